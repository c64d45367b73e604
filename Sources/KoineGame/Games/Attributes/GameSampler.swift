import KoineTensor

/// Draws games without touching the heap: targets from a pool of object ids,
/// distractors distinct from the target and each other.
public struct GameSampler {
    public let pool: [Int32]
    public let distractorPool: [Int32]
    public let candidates: Int

    /// Targets come from `targets`; distractors from `distractors` (both
    /// non-empty, and `distractors` large enough for distinct choices).
    public init(targets: [Int], distractors: [Int], candidates: Int) {
        precondition(candidates >= 1 && distractors.count >= candidates - 1)
        pool = targets.map(Int32.init)
        distractorPool = distractors.map(Int32.init)
        self.candidates = candidates
    }

    /// Fills `batch` with random games.
    public func sample(into batch: GameBatch, random: inout Random) {
        for game in 0..<batch.size {
            let target = pool[random.nextInt(below: pool.count)]
            fill(game: game, target: target, batch: batch, random: &random)
        }
    }

    /// Fills game `game` of `batch` around a given target.
    public func fill(game: Int, target: Int32, batch: GameBatch, random: inout Random) {
        let k = candidates
        let base = batch.candidates.base + game * k
        batch.targets.base[game] = target
        base[0] = target
        var filled = 1
        while filled < k {
            let choice = distractorPool[random.nextInt(below: distractorPool.count)]
            var fresh = true
            for j in 0..<filled where base[j] == choice { fresh = false; break }
            if fresh { base[filled] = choice; filled += 1 }
        }
        // Fisher–Yates shuffle so the target's position is uniform.
        for i in stride(from: k - 1, to: 0, by: -1) {
            let j = random.nextInt(below: i + 1)
            let swap = base[i]; base[i] = base[j]; base[j] = swap
        }
        for j in 0..<k where base[j] == target { batch.targetPositions.base[game] = Int32(j) }
    }
}
