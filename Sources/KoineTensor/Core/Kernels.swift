#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Elementwise and row-wise kernels over raw buffers. Loops are written so the
/// compiler vectorises them in release builds.
public enum Kernels {
    /// `y[r, :] = bias` for every row (before a gemm with beta 1).
    @inlinable
    public static func broadcastRows(_ bias: UnsafePointer<Float>, into y: Matrix) {
        for r in 0..<y.rows { y.row(r).update(from: bias, count: y.columns) }
    }

    /// The input side of a recurrent cell's gate pre-activations: `gates =
    /// bias + x·W`, or, when the caller already `prepared` x·W in `gates`
    /// (e.g. as a table lookup), `gates += bias`. A nil `x` is a zero input.
    @inlinable
    public static func addInputSide(into gates: Matrix, bias: UnsafePointer<Float>, input x: Matrix?, weight: Matrix,
                                    prepared: Bool) {
        if prepared {
            for r in 0..<gates.rows { axpy(1, bias, gates.row(r), count: gates.columns) }
        } else {
            broadcastRows(bias, into: gates)
            if let x { BLAS.gemm(x, weight, into: gates, beta: 1) }
        }
    }

    /// `gradient += column sums of dy` (a bias gradient).
    @inlinable
    public static func accumulateColumnSums(_ dy: Matrix, into gradient: UnsafeMutablePointer<Float>) {
        for r in 0..<dy.rows {
            let p = dy.row(r)
            for c in 0..<dy.columns { gradient[c] += p[c] }
        }
    }

    /// `y += alpha · x` over `count` Floats.
    @inlinable
    public static func axpy(_ alpha: Float, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count: Int) {
        for i in 0..<count { y[i] += alpha * x[i] }
    }

    /// Eight Floats from `p`, unaligned.
    @inlinable @inline(__always)
    public static func load8(_ p: UnsafePointer<Float>) -> SIMD8<Float> {
        UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
    }

    /// The first `count` (≤ 8) Floats at `p` and zeros after: never reads past them.
    @inlinable @inline(__always)
    public static func load8(_ p: UnsafePointer<Float>, count: Int) -> SIMD8<Float> {
        if count == 8 { return load8(p) }
        var lanes = SIMD8<Float>()
        for lane in 0..<count { lanes[lane] = p[lane] }
        return lanes
    }

    /// Stores eight Floats at `p`, unaligned.
    @inlinable @inline(__always)
    public static func store8(_ lanes: SIMD8<Float>, _ p: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(p).storeBytes(of: lanes, as: SIMD8<Float>.self)
    }

    /// Stores the first `count` (≤ 8) lanes of `lanes` at `p`.
    @inlinable @inline(__always)
    public static func store8(_ lanes: SIMD8<Float>, _ p: UnsafeMutablePointer<Float>, count: Int) {
        if count == 8 { return store8(lanes, p) }
        for lane in 0..<count { p[lane] = lanes[lane] }
    }

    /// x·y. Eight partial sums: a single running sum is a chain the compiler
    /// may not reorder, so it stays scalar; eight lanes make it one vector loop.
    @inlinable
    public static func dot(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, count: Int) -> Float {
        var lanes = SIMD8<Float>()
        let whole = count & ~7
        var i = 0
        while i < whole {
            lanes.addProduct(load8(x + i), load8(y + i))
            i += 8
        }
        var sum = lanes.sum()
        while i < count {
            sum += x[i] * y[i]
            i += 1
        }
        return sum
    }

    @inlinable
    public static func sigmoid(_ x: Float) -> Float { 1 / (1 + expf(-x)) }

    /// `x = σ(x)` over `count` Floats, vectorised (see FastMath).
    @inlinable
    public static func sigmoid(_ x: UnsafeMutablePointer<Float>, count: Int) {
        for j in 0..<count { x[j] = FastMath.sigmoid(x[j]) }
    }

    /// `x = tanh(x)` over `count` Floats, vectorised (see FastMath).
    @inlinable
    public static func tanh(_ x: UnsafeMutablePointer<Float>, count: Int) {
        for j in 0..<count { x[j] = FastMath.tanh(x[j]) }
    }

    /// Row-wise log-softmax of `x` into `y` (may alias).
    @inlinable
    public static func logSoftmax(row x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, count: Int) {
        var largest = x[0]
        for i in 1..<count where x[i] > largest { largest = x[i] }
        var sum: Float = 0
        for i in 0..<count { sum += FastMath.exponentialOrZero(x[i] - largest) }
        // (x − max) − log Σ, not x − (max + log Σ): the latter rounds to the
        // precision of max, losing digits when logits are large.
        let logSum = logf(sum)
        for i in 0..<count { y[i] = (x[i] - largest) - logSum }
    }

    /// Row-wise softmax of `x` into `y` (may alias).
    @inlinable
    public static func softmax(row x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, count: Int) {
        var largest = x[0]
        for i in 1..<count where x[i] > largest { largest = x[i] }
        var sum: Float = 0
        for i in 0..<count {
            let e = FastMath.exponentialOrZero(x[i] - largest)
            y[i] = e
            sum += e
        }
        let inverse = 1 / sum
        for i in 0..<count { y[i] *= inverse }
    }

    /// The index of the largest value (the first, on ties).
    @inlinable
    public static func argmax(_ x: UnsafePointer<Float>, count: Int) -> Int {
        var best = 0
        for i in 1..<count where x[i] > x[best] { best = i }
        return best
    }
}
