import KoineTensor

/// Mihai & Hare's auxiliary task: predicting the rotation of the sender's
/// image (0, 90, 180 or 270 degrees) from an encoding — the shared visual
/// encoder's row of the sender's image, or the receiver's state after the
/// message (see `RotationTask`) — by a linear map to the four classes and
/// softmax cross-entropy. Its gradient flows back into the encoding, so the
/// task shapes whatever produced it.
public final class RotationHead {
    public let module: Module
    let linear: Linear
    let logits: Matrix
    let probabilities: Matrix
    let logitGradient: Matrix
    let predictions: Indices
    public private(set) var rows = 0

    public static func parameterCount(hidden: Int) -> Int {
        Linear.parameterCount(input: hidden, output: ImageAugmentation.rotationClasses)
    }

    public init(hidden: Int, capacity: Int, optimizer: OptimizerSettings, random: Random, arena: Arena) {
        let classes = ImageAugmentation.rotationClasses
        let parameters = Parameters(count: RotationHead.parameterCount(hidden: hidden))
        linear = Linear(input: hidden, output: classes, parameters: parameters)
        module = Module(parameters: parameters, settings: optimizer, initializer: random)
        logits = arena.matrix(rows: capacity, columns: classes)
        probabilities = arena.matrix(rows: capacity, columns: classes)
        logitGradient = arena.matrix(rows: capacity, columns: classes)
        predictions = arena.indices(capacity)
    }

    /// The class scores of each row of `encodings`; returns the mean
    /// cross-entropy against `rotations` (each row's quarter turns) and leaves
    /// each row's most likely class in `predictions`.
    @discardableResult
    public func forward(_ encodings: Matrix, rotations: Indices) -> Float {
        rows = encodings.rows
        precondition(rows <= logits.rows && rotations.count == rows, "rotation head: \(rows) rows, \(rotations.count) rotations")
        let z = logits.rows(0..<rows)
        linear.forward(encodings, into: z)
        for r in 0..<rows {
            let row = z.row(r)
            var best = 0
            for k in 1..<z.columns where row[k] > row[best] { best = k }
            predictions[r] = best
        }
        return CrossEntropy.forward(logits: z, targets: rotations, probabilities: probabilities.rows(0..<rows))
    }

    /// The fraction of rows whose predicted class is their rotation.
    public func accuracy(_ rotations: Indices) -> Float {
        guard rows > 0 else { return 0 }
        var correct = 0
        for r in 0..<rows where predictions[r] == rotations[r] { correct += 1 }
        return Float(correct) / Float(rows)
    }

    /// Backward of `weight` × the mean cross-entropy: accumulates the head's
    /// gradient and adds ∂/∂encodings into `encodingGradient`.
    public func backward(_ encodings: Matrix, rotations: Indices, weight: Float, encodingGradient: Matrix) {
        let dz = logitGradient.rows(0..<rows)
        CrossEntropy.backward(probabilities: probabilities.rows(0..<rows), targets: rotations, logitGradient: dz,
                              scale: weight / Float(max(rows, 1)))
        linear.backward(encodings, outputGradient: dz, inputGradient: encodingGradient, accumulateInput: true)
    }
}
