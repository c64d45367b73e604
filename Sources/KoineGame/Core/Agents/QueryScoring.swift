import KoineTensor

/// How a listener scores its candidates: the query of each game, its state
/// row through the listener's query layer, `state[r(b)] · W + c`, dotted
/// with the encoder's row of each candidate, `scores[b, k] = query(b) ·
/// table[id(b, k)]`; `r(b)` is `rows[b]` when games share a state row, else
/// `b`. Chosen when the listener is built; a scoring may still decide per
/// call whether its shortcut pays for the batch, else run the plain pass.
public protocol QueryScoring: AnyObject {
    /// The pass the last `forward` ran.
    var lastPass: QueryScoringPass { get }

    func forward(_ states: Matrix, rows: Indices?, candidates: Indices, scores: Matrix)

    /// Puts ∂L/∂states into `stateGradient`, which the caller clears first,
    /// and adds into the query layer's gradients and the encoder's. Call
    /// after `forward`, with the same arguments.
    func backward(_ states: Matrix, rows: Indices?, candidates: Indices, scoreGradient: Matrix, stateGradient: Matrix)
}

public enum QueryScoringPass {
    /// The query layer over the state rows (`PlainScoring`).
    case plain
    /// The query layer folded into the object table (`FoldedScoring`).
    case folded
    /// Folded further into the encoder's one-hot features (`FactoredScoring`).
    case factored
}
