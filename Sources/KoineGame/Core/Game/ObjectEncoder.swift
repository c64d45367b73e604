import KoineTensor

/// What agents see of objects: a table with one encoding per object id,
/// recomputed once per step, and its gradient, which every game that read the
/// table adds into. One encoder may serve every agent of a population (the
/// design's shared encoder, all-reduced across ranks) or one agent alone.
public protocol ObjectEncoder: AnyObject {
    var module: Module { get }
    /// Encoding of every object, `objects × hidden`.
    var table: Matrix { get }
    /// ∂L/∂table, accumulated by every game that read the table.
    var tableGradient: Matrix { get }
    /// Recomputes the table from the current parameters.
    func forward()
    /// Turns the accumulated table gradient into parameter gradients and clears it.
    func backward()
}
