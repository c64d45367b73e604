import KoineTensor

/// A linear encoder of attribute objects evaluated over the whole object
/// space at once: every agent that shares it reads rows of one table per step
/// and adds its gradient into one table gradient, so the encoder's own forward
/// and backward run once per step however many games use it.
public final class AttributeEncoder: ObjectEncoder {
    public let space: ObjectSpace
    public let module: Module
    public let linear: Linear
    /// Encoding of every object, `count × hidden`.
    public let table: Matrix
    /// ∂L/∂table, accumulated by every game that read the table.
    public let tableGradient: Matrix
    private let arena = Arena()
    /// No batch norm: the same encoding in either mode.
    public var training = true
    public var statistics: Parameters? { nil }
    public var capacity: Int { space.count }
    /// The table as a layer of each object's attribute values.
    let features: OneHotFeatures

    public static func parameterCount(space: ObjectSpace, hidden: Int) -> Int {
        Linear.parameterCount(input: space.width, output: hidden)
    }

    public init(space: ObjectSpace, hidden: Int, optimizer: OptimizerSettings, random: Random) {
        self.space = space
        let parameters = Parameters(count: AttributeEncoder.parameterCount(space: space, hidden: hidden))
        linear = Linear(input: space.width, output: hidden, parameters: parameters)
        module = Module(parameters: parameters, settings: optimizer, initializer: random)
        table = arena.matrix(rows: space.count, columns: hidden)
        tableGradient = arena.matrix(rows: space.count, columns: hidden)
        // Object o's features: the column of each of its attribute values in `space.encodings`.
        let perObject = space.attributes.count
        let active = arena.indices(space.count * perObject)
        for o in 0..<space.count {
            var offset = 0
            for a in 0..<perObject {
                active[o * perObject + a] = offset + space.value(of: o, attribute: a)
                offset += space.attributes[a]
            }
        }
        features = OneHotFeatures(linear: linear, active: active, perObject: perObject)
    }

    /// The table always covers every object in id order: the attribute game
    /// has no scene, and a selection must be exactly that.
    public func select(_ objects: Indices) {
        precondition(objects.count == space.count && (0..<objects.count).allSatisfy { objects[$0] == $0 },
                     "attribute encoder: its table covers every object in order")
    }

    public func factoredScoring(query: Linear, plain: QueryScoring, rows: Int, arena: Arena) -> QueryScoring? {
        FactoredScoring(query: query, features: features, plain: plain, rows: rows, arena: arena)
    }

    public func factoredTableProduct(columns: Int, arena: Arena) -> TableProduct? {
        features.rows < features.objects ? FactoredTableProduct(features: features, columns: columns, arena: arena) : nil
    }

    public func reset() { module.reset() }

    public func forward() {
        linear.forward(space.encodings, into: table)
    }

    public var gradientReady: ((Range<Int>) -> Void)?

    /// Whether a game opened the table's gradient since the last backward.
    private var tableGradientOpened = false

    public func openTableGradient() -> Matrix {
        tableGradientOpened = true
        return tableGradient
    }

    public func backward() {
        // The factored products and scorings add into the layer's gradient
        // themselves; when every agent's did, no game opened the table's
        // gradient and its product is skipped.
        if tableGradientOpened {
            linear.backward(space.encodings, outputGradient: tableGradient)
            tableGradient.zero()
            tableGradientOpened = false
        }
        gradientReady?(0..<module.parameters.count)
    }
}
