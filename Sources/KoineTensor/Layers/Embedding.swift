/// A lookup table: row `i` of the `count × width` table is the vector of
/// symbol `i`. Equivalent to a one-hot input times a weight matrix, without
/// the multiplications by zero.
public struct Embedding {
    public let count: Int
    public let width: Int
    public let table: Parameter

    public static func parameterCount(count: Int, width: Int) -> Int { count * width }

    /// Initialised uniform in ±1/√count, as a linear layer over one-hot input.
    public init(count: Int, width: Int, parameters: Parameters) {
        self.count = count
        self.width = width
        table = parameters.claim(rows: count, columns: width, initializer: .uniform(1 / Float(count).squareRoot()))
    }

    /// `y[r] = table[indices[r]]` (or `+=` when `accumulate`).
    @inlinable
    public func forward(_ indices: Indices, into y: Matrix, accumulate: Bool = false) {
        for r in 0..<indices.count {
            let source = table.value.row(indices[r]), target = y.row(r)
            if accumulate {
                for c in 0..<width { target[c] += source[c] }
            } else {
                target.update(from: source, count: width)
            }
        }
    }

    /// `table.gradient[indices[r]] += dy[r]`.
    @inlinable
    public func backward(_ indices: Indices, outputGradient dy: Matrix) {
        for r in 0..<indices.count {
            let target = table.gradient.row(indices[r]), source = dy.row(r)
            for c in 0..<width { target[c] += source[c] }
        }
    }
}
