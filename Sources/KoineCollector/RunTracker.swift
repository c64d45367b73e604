import Foundation

/// Identifies one rank of one run.
public struct RankKey: Hashable, Comparable, Sendable {
    public var run: String
    public var rank: Int

    public init(run: String, rank: Int) {
        self.run = run
        self.rank = rank
    }

    public static func < (lhs: RankKey, rhs: RankKey) -> Bool {
        (lhs.run, lhs.rank) < (rhs.run, rhs.rank)
    }
}

/// What the collector knows about one rank: how many distinct events it stored, the highest
/// `seq`, and the latest figures for the live view.
public struct RankState: Sendable {
    public var events = 0
    public var maxSeq = -1
    /// Events the publisher says it dropped (its own count, reported in later events).
    public var dropped = 0
    public var lastStep: Int?
    public var lastTime: Double?
    public var gamesPerSecond: Double?
    public var accuracy: Double?
    public var topsim: Double?
    public var resets = 0
    public var finished = false
    /// The seq the figures above come from, so a late (resent) event never rolls them back.
    var figuresSeq = -1
    /// Changed since the state was last written to the database.
    var dirty = false

    /// Sequence numbers below the highest one that are not stored: the gaps.
    public var missing: Int { wholeNumbers(from: events, through: maxSeq) }
}

/// How many whole numbers lie from `lower` through `upper`: the seqs missing below the
/// highest one are those from `events` through `maxSeq`, and a gap's size is its range's.
/// The collector bounds every seq at ingest, but these numbers may come from a database an
/// older collector (or a person) wrote, so the count saturates: never negative, and Int.max
/// rather than a trap.
func wholeNumbers(from lower: Int, through upper: Int) -> Int {
    let (difference, overflow) = upper.subtractingReportingOverflow(lower)
    if overflow { return upper > lower ? Int.max : 0 }
    if difference < 0 { return 0 }
    return difference == Int.max ? Int.max : difference + 1
}

extension Sequence where Element == Int {
    /// The sum, held at Int.max or Int.min instead of overflowing.
    func saturatingSum() -> Int {
        reduce(0) { total, value in
            let (sum, overflow) = total.addingReportingOverflow(value)
            return overflow ? (value > 0 ? Int.max : Int.min) : sum
        }
    }
}

/// What the collector knows about one run as a whole.
public struct RunState: Sendable {
    public var firstSeen: Double
    public var lastSeen: Double
    public var worldSize: Int?
    public var totalSteps: Int?
    public var startedAt: Double?
    public var finishedAt: Double?
    public var finishedRanks = 0

    public var finished: Bool {
        guard let worldSize else { return false }
        return finishedRanks >= worldSize
    }
}

/// The collector's in-memory picture of every run and rank, updated with each stored event.
///
/// Gap counting needs no list of seqs: because duplicates are never stored twice, the number
/// of missing seqs is always `maxSeq + 1 - events`, whatever order events arrive in — which
/// also makes it exact after a restart, from two numbers per rank in the database.
public struct RunTracker: Sendable {
    public private(set) var ranks: [RankKey: RankState] = [:]
    public private(set) var runs: [String: RunState] = [:]
    private(set) var dirtyRuns: Set<String> = []

    public init() {}

    /// Restores state loaded from the database.
    mutating func restore(run: String, state: RunState) { runs[run] = state }
    mutating func restore(_ key: RankKey, state: RankState) { ranks[key] = state }

    /// Counts each restored run's finished ranks from the ranks themselves, once, so the
    /// counts kept up as ranks finish start from what the ranks say.
    mutating func recountFinishedRanks() {
        for run in runs.keys { runs[run]?.finishedRanks = 0 }
        for (key, state) in ranks where state.finished { runs[key.run]?.finishedRanks += 1 }
    }

    /// Accounts for one event that was newly stored (`now` is the collector's clock).
    mutating func apply(_ event: ReceivedEvent, now: Double) {
        let key = RankKey(run: event.run, rank: event.rank)
        // One dictionary access per table: the states are changed in place.
        let newlyFinished = Self.update(&ranks[key, default: RankState()], with: event)
        if let last = lastRun, last == event.run, event.kind != .runStarted, event.kind != .runFinished {
            lastSeenPending = now
            return
        }
        flushLastSeen()
        Self.update(&runs[event.run, default: RunState(firstSeen: now, lastSeen: now)], with: event,
                    now: now, newlyFinished: newlyFinished)
        lastRun = event.run
        dirtyRuns.insert(event.run)
    }

    /// Most events belong to the run of the event before; its last_seen is set once per batch.
    private var lastRun: String?
    private var lastSeenPending: Double?

    private mutating func flushLastSeen() {
        if let run = lastRun, let time = lastSeenPending { runs[run]?.lastSeen = time }
        lastSeenPending = nil
    }

    /// Returns whether this event finished the rank.
    private static func update(_ rank: inout RankState, with event: ReceivedEvent) -> Bool {
        let wasFinished = rank.finished
        rank.events += 1
        rank.dirty = true
        rank.maxSeq = max(rank.maxSeq, event.seq)
        if let dropped = event.dropped { rank.dropped = max(rank.dropped, dropped) }
        if event.kind == .reset { rank.resets += 1 }
        if event.kind == .runFinished { rank.finished = true }
        if event.seq > rank.figuresSeq {
            rank.figuresSeq = event.seq
            if let step = event.step { rank.lastStep = step }
            rank.lastTime = event.time
            if let value = event.gamesPerSecond { rank.gamesPerSecond = value }
            if let value = event.accuracy { rank.accuracy = value }
            if let value = event.topsim { rank.topsim = value }
            if let value = event.resets { rank.resets = max(rank.resets, value) }
        }
        return rank.finished && !wasFinished
    }

    /// `newlyFinished`: the event finished one more of the run's ranks. Counting them as
    /// they finish keeps a run_finished event's cost independent of how many ranks the
    /// collector knows.
    private static func update(_ run: inout RunState, with event: ReceivedEvent, now: Double, newlyFinished: Bool) {
        run.lastSeen = now
        if event.kind == .runStarted {
            if let size = event.worldSize { run.worldSize = size }
            if let total = event.totalSteps { run.totalSteps = total }
            run.startedAt = min(run.startedAt ?? event.time, event.time)
        }
        if event.kind == .runFinished {
            if newlyFinished { run.finishedRanks += 1 }
            run.finishedAt = max(run.finishedAt ?? event.time, event.time)
        }
    }

    /// Hands over (and forgets) what changed since the last call, for writing to the database.
    mutating func takeDirty() -> (runs: [String], ranks: [RankKey]) {
        flushLastSeen()
        lastRun = nil
        var changed: [RankKey] = []
        for (key, state) in ranks where state.dirty {
            changed.append(key)
            ranks[key]?.dirty = false
        }
        defer { dirtyRuns.removeAll(keepingCapacity: true) }
        return (Array(dirtyRuns), changed)
    }

    /// Missing plus dropped events over all ranks of `run`.
    public func lostEvents(run: String) -> (missing: Int, dropped: Int) {
        let states = ranks.filter { $0.key.run == run }.values
        return (states.map(\.missing).saturatingSum(), states.map(\.dropped).saturatingSum())
    }
}
