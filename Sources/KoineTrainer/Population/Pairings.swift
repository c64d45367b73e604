import KoineTensor

/// Who plays whom in one step: each speaker's listeners, drawn by the
/// pairing mode, and for each listener how many speakers chose it and which
/// was the last (so the step can update a listener right after its last game).
final class Pairings {
    let mode: PairingMode
    let speakers: Int
    let listeners: Int
    /// Row s: the listeners of speaker s, `counts[s]` of them.
    private let table: UnsafeMutablePointer<Int>
    private let counts: UnsafeMutablePointer<Int>
    /// Speakers that chose each listener this step.
    private let plays: UnsafeMutablePointer<Int>
    /// The last speaker each listener plays this step (-1: none).
    private let lastSpeaker: UnsafeMutablePointer<Int>

    init(mode: PairingMode, speakers: Int, listeners: Int) {
        self.mode = mode
        self.speakers = speakers
        self.listeners = listeners
        table = .allocate(capacity: speakers * listeners)
        counts = .allocate(capacity: speakers)
        plays = .allocate(capacity: listeners)
        lastSpeaker = .allocate(capacity: listeners)
    }

    deinit {
        table.deallocate()
        counts.deallocate()
        plays.deallocate()
        lastSpeaker.deallocate()
    }

    /// Draws the pairs of `step`.
    func draw(step: Int, random: inout Random) {
        for l in 0..<listeners {
            plays[l] = 0
            lastSpeaker[l] = -1
        }
        for s in 0..<speakers {
            let row = table + s * listeners
            switch mode {
            case .all:
                for l in 0..<listeners { row[l] = l }
                counts[s] = listeners
            case .uniform:
                row[0] = random.nextInt(below: listeners)
                counts[s] = 1
            case .roundRobin:
                row[0] = (s + step) % listeners
                counts[s] = 1
            }
            for j in 0..<counts[s] {
                plays[row[j]] += 1
                lastSpeaker[row[j]] = s
            }
        }
    }

    /// The listeners speaker `s` plays this step.
    func partners(of s: Int) -> UnsafeBufferPointer<Int> {
        UnsafeBufferPointer(start: table + s * listeners, count: counts[s])
    }

    /// How many speakers play listener `l` this step.
    func plays(of l: Int) -> Int { plays[l] }

    /// Whether speaker `s` is the last to play listener `l` this step.
    func isLast(speaker s: Int, of l: Int) -> Bool { lastSpeaker[l] == s }

    /// Whether no speaker plays listener `l` this step.
    func isIdle(_ l: Int) -> Bool { lastSpeaker[l] < 0 }
}
