import KoineTensor

/// A linear object encoder evaluated over the whole object space at once:
/// every agent that shares it reads rows of one table per step and adds its
/// gradient into one table gradient, so the encoder's own forward and
/// backward run once per step however many games use it.
public final class ObjectEncoder {
    public let space: ObjectSpace
    public let module: Module
    public let linear: Linear
    /// Encoding of every object, `count × hidden`.
    public let table: Matrix
    /// ∂L/∂table, accumulated by every game that read the table.
    public let tableGradient: Matrix
    private let arena = Arena()

    public static func parameterCount(space: ObjectSpace, hidden: Int) -> Int {
        Linear.parameterCount(input: space.width, output: hidden)
    }

    public init(space: ObjectSpace, hidden: Int, optimizer: OptimizerSettings, random: Random) {
        self.space = space
        let parameters = Parameters(count: ObjectEncoder.parameterCount(space: space, hidden: hidden))
        linear = Linear(input: space.width, output: hidden, parameters: parameters)
        module = Module(parameters: parameters, settings: optimizer, initializer: random)
        table = arena.matrix(rows: space.count, columns: hidden)
        tableGradient = arena.matrix(rows: space.count, columns: hidden)
    }

    /// Recomputes the table from the current parameters.
    public func forward() {
        linear.forward(space.encodings, into: table)
    }

    /// Turns the accumulated table gradient into parameter gradients.
    public func backward() {
        linear.backward(space.encodings, outputGradient: tableGradient)
        tableGradient.zero()
    }
}
