#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Softmax cross-entropy against a target index per row, averaged over rows.
public enum CrossEntropy {
    /// Returns the mean loss; leaves softmax(logits) in `probabilities`.
    @inlinable
    @discardableResult
    public static func forward(logits: Matrix, targets: Indices, probabilities: Matrix) -> Float {
        var total: Float = 0
        for r in 0..<logits.rows {
            let p = probabilities.row(r)
            Kernels.logSoftmax(row: logits.row(r), into: p, count: logits.columns)
            total -= p[targets[r]]
            for j in 0..<logits.columns { p[j] = FastMath.exponentialOrZero(p[j]) }
        }
        return total / Float(logits.rows)
    }

    /// ∂L/∂logits = (p − onehot(target)) · scale, with scale 1/rows by default.
    @inlinable
    public static func backward(probabilities: Matrix, targets: Indices, logitGradient: Matrix, scale: Float? = nil) {
        let s = scale ?? 1 / Float(probabilities.rows)
        for r in 0..<probabilities.rows {
            let p = probabilities.row(r), d = logitGradient.row(r)
            for j in 0..<probabilities.columns { d[j] = p[j] * s }
            d[targets[r]] -= s
        }
    }
}
