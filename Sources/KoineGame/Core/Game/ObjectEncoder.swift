import KoineTensor

/// What agents see of objects: a table with one encoding per object of the
/// step's scene, recomputed once per step, and its gradient, which every game
/// that read the table adds into. One encoder may serve every agent of a
/// population (the design's shared encoder, all-reduced across ranks) or one
/// agent alone.
///
/// A game whose objects all fit in one table (the attribute game's 32) has
/// no scene: the table covers every object and row i is object i. A game
/// with more objects than a step can encode (the image game's data set)
/// names each step's objects with `select` before `forward`, and its games
/// name objects by their row in that selection.
public protocol ObjectEncoder: AnyObject {
    var module: Module { get }
    /// The most rows a table can have.
    var capacity: Int { get }
    /// Encoding of every object of the scene, `objects × hidden`.
    var table: Matrix { get }
    /// ∂L/∂table, accumulated by every game that read the table.
    var tableGradient: Matrix { get }
    /// `tableGradient`, for a game to add its part into: an encoder may skip
    /// its backward product when no game asked for it since the last
    /// `backward` (agents whose products are factored through the encoder's
    /// structure add into its layer's gradient instead).
    func openTableGradient() -> Matrix
    /// State that is neither trained nor all-reduced as a gradient but must
    /// match across replicas and survive checkpoints (batch norm's running
    /// statistics); nil when there is none.
    var statistics: Parameters? { get }
    /// Batch statistics (training) or running ones (evaluation), for encoders
    /// with batch norm; the others compute the same either way.
    var training: Bool { get set }
    /// Makes `objects` (ids of the game's objects) the scene the next
    /// `forward` encodes: table row i encodes `objects[i]`.
    func select(_ objects: Indices)
    /// Recomputes the table from the current parameters.
    func forward()
    /// Turns the accumulated table gradient into parameter gradients and clears it.
    func backward()
    /// When set, `backward` reports each range of `module.parameters` as its
    /// gradient becomes final, every parameter once, last layers first, so
    /// their all-reduce can start while earlier layers are still differentiated.
    var gradientReady: ((Range<Int>) -> Void)? { get set }
    /// Fresh parameters and optimizer state (and statistics), as for a newly
    /// built encoder of the module's next generation.
    func reset()
    /// A listener's scoring that folds its `query` layer into the encoder's
    /// own structure (the attribute game's one-hot features, see
    /// FactoredScoring), running `plain` for batches it does not pay on;
    /// buffers for up to `rows` state rows. Nil when there is none (images).
    func factoredScoring(query: Linear, plain: QueryScoring, rows: Int, arena: Arena) -> QueryScoring?
    /// The product of the whole table with a weight `columns` wide factored
    /// through the encoder's own structure (the attribute game's one-hot
    /// features, see FactoredTableProduct), when that is cheaper; nil
    /// otherwise (images): then agents multiply the table itself.
    func factoredTableProduct(columns: Int, arena: Arena) -> TableProduct?
    /// Appends to the selection the rows speakers read in place of its own
    /// (an altered copy of it, as the image game's augmentations show the
    /// sender), each alteration drawn from `random`, and returns their first
    /// row; 0 when speakers read the selection as it is. After `select`,
    /// before `forward`.
    func appendSenderView(random: inout Random) -> Int
    /// The rows `appendSenderView` appended and the class of each one's
    /// alteration (the image game's quarter turns); nil when there are none.
    var senderView: SenderView? { get }
}

/// Rows of an encoder's table that show speakers an altered view of the
/// selection, and what was done to each (the label an auxiliary task predicts).
public struct SenderView {
    public let rows: Range<Int>
    public let alterations: Indices

    public init(rows: Range<Int>, alterations: Indices) {
        self.rows = rows
        self.alterations = alterations
    }
}

extension ObjectEncoder {
    public func factoredScoring(query: Linear, plain: QueryScoring, rows: Int, arena: Arena) -> QueryScoring? { nil }
    public func factoredTableProduct(columns: Int, arena: Arena) -> TableProduct? { nil }
    public func appendSenderView(random: inout Random) -> Int { 0 }
    public var senderView: SenderView? { nil }
}
