import KoineTensor

/// A batch of messages as a speaker wrote them: a symbol per step and game,
/// and for the Gumbel channel the (straight-through) one-hot rows that carry
/// gradients back to the speaker.
public struct Message {
    public let length: Int
    public let vocabulary: Int
    /// Symbols of step t, one per game.
    public let symbols: [Indices]
    /// One-hot (or relaxed) symbols of step t, `games × vocabulary` (Gumbel only).
    public let oneHot: [Matrix]
    /// ∂L/∂oneHot of step t, accumulated by every listener that read it (Gumbel only).
    public let gradients: [Matrix]
    /// Games in the current batch.
    public var rows: Int

    public init(length: Int, vocabulary: Int, capacity: Int, differentiable: Bool, arena: Arena) {
        self.length = length
        self.vocabulary = vocabulary
        symbols = (0..<length).map { _ in arena.indices(capacity) }
        oneHot = differentiable ? (0..<length).map { _ in arena.matrix(rows: capacity, columns: vocabulary) } : []
        gradients = differentiable ? (0..<length).map { _ in arena.matrix(rows: capacity, columns: vocabulary) } : []
        rows = 0
    }

    public var isDifferentiable: Bool { !oneHot.isEmpty }

    /// The symbols of game `game`, in order.
    public func symbols(of game: Int) -> [Int] { (0..<length).map { symbols[$0][game] } }

    public func zeroGradients() {
        for g in gradients { g.rows(0..<rows).zero() }
    }
}
