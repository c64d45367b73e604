#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Elementwise activations. Each backward takes the forward's *output*, which
/// is all these derivatives need, so no input has to be kept.
public enum Tanh {
    @inlinable
    public static func forward(_ x: Matrix, into y: Matrix) {
        for r in 0..<x.rows {
            let a = x.row(r), b = y.row(r)
            for c in 0..<x.columns { b[c] = tanhf(a[c]) }
        }
    }

    /// `dx = dy · (1 - y²)`.
    @inlinable
    public static func backward(output y: Matrix, outputGradient dy: Matrix, inputGradient dx: Matrix) {
        for r in 0..<y.rows {
            let a = y.row(r), g = dy.row(r), d = dx.row(r)
            for c in 0..<y.columns { d[c] = g[c] * (1 - a[c] * a[c]) }
        }
    }
}

public enum Sigmoid {
    @inlinable
    public static func forward(_ x: Matrix, into y: Matrix) {
        for r in 0..<x.rows {
            let a = x.row(r), b = y.row(r)
            for c in 0..<x.columns { b[c] = Kernels.sigmoid(a[c]) }
        }
    }

    /// `dx = dy · y · (1 - y)`.
    @inlinable
    public static func backward(output y: Matrix, outputGradient dy: Matrix, inputGradient dx: Matrix) {
        for r in 0..<y.rows {
            let a = y.row(r), g = dy.row(r), d = dx.row(r)
            for c in 0..<y.columns { d[c] = g[c] * a[c] * (1 - a[c]) }
        }
    }
}

public enum ReLU {
    @inlinable
    public static func forward(_ x: Matrix, into y: Matrix) {
        for r in 0..<x.rows {
            let a = x.row(r), b = y.row(r)
            for c in 0..<x.columns { b[c] = max(a[c], 0) }
        }
    }

    /// `dx = dy` where the output is positive, else 0.
    @inlinable
    public static func backward(output y: Matrix, outputGradient dy: Matrix, inputGradient dx: Matrix) {
        for r in 0..<y.rows {
            let a = y.row(r), g = dy.row(r), d = dx.row(r)
            for c in 0..<y.columns { d[c] = a[c] > 0 ? g[c] : 0 }
        }
    }
}

/// Row-wise softmax.
public enum Softmax {
    @inlinable
    public static func forward(_ x: Matrix, into y: Matrix) {
        for r in 0..<x.rows { Kernels.softmax(row: x.row(r), into: y.row(r), count: x.columns) }
    }

    /// `dx = y · (dy - Σ dy·y)`.
    @inlinable
    public static func backward(output y: Matrix, outputGradient dy: Matrix, inputGradient dx: Matrix) {
        for r in 0..<y.rows {
            let a = y.row(r), g = dy.row(r), d = dx.row(r)
            let inner = Kernels.dot(a, g, count: y.columns)
            for c in 0..<y.columns { d[c] = a[c] * (g[c] - inner) }
        }
    }
}

/// Row-wise log-softmax.
public enum LogSoftmax {
    @inlinable
    public static func forward(_ x: Matrix, into y: Matrix) {
        for r in 0..<x.rows { Kernels.logSoftmax(row: x.row(r), into: y.row(r), count: x.columns) }
    }

    /// `dx = dy - softmax · Σ dy`, with softmax = exp(y).
    @inlinable
    public static func backward(output y: Matrix, outputGradient dy: Matrix, inputGradient dx: Matrix) {
        for r in 0..<y.rows {
            let a = y.row(r), g = dy.row(r), d = dx.row(r)
            var total: Float = 0
            for c in 0..<y.columns { total += g[c] }
            for c in 0..<y.columns { d[c] = g[c] - FastMath.exponentialOrZero(a[c]) * total }
        }
    }
}
