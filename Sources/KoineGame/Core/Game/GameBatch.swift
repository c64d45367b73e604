import KoineTensor

/// A batch of referential games: a target per game and `candidates` distinct
/// objects per game (the target among them, in shuffled order).
public struct GameBatch {
    public let size: Int
    public let candidateCount: Int
    /// Target object id per game.
    public let targets: Indices
    /// Candidate object ids, `candidateCount` per game, row-major.
    public let candidates: Indices
    /// Where the target stands among its game's candidates.
    public let targetPositions: Indices

    public init(size: Int, candidates: Int, arena: Arena) {
        self.size = size
        candidateCount = candidates
        targets = arena.indices(size)
        self.candidates = arena.indices(size * candidates)
        targetPositions = arena.indices(size)
    }

    /// The first `rows` games.
    public func prefix(_ rows: Int) -> GameBatch {
        GameBatch(size: rows, candidateCount: candidateCount, targets: targets.prefix(rows),
                  candidates: candidates.prefix(rows * candidateCount), targetPositions: targetPositions.prefix(rows))
    }

    /// The table rows the speaker reads for the targets: the targets
    /// themselves, or (`row` > 0) their rows in the speakers' view of the
    /// scene that starts at `row` (see `ReferentialGame.addSenderView`),
    /// written into `buffer`.
    public func senderTargets(from row: Int, into buffer: Indices) -> Indices {
        guard row > 0 else { return targets }
        for game in 0..<size { buffer[game] = targets[game] + row }
        return buffer.prefix(size)
    }

    private init(size: Int, candidateCount: Int, targets: Indices, candidates: Indices, targetPositions: Indices) {
        self.size = size
        self.candidateCount = candidateCount
        self.targets = targets
        self.candidates = candidates
        self.targetPositions = targetPositions
    }
}
