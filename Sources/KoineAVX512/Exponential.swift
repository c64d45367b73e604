#if arch(x86_64)
/// `FastMath.exponential`, `sigmoid` and `tanh` over sixteen lanes: the same
/// operations in the same order (Cephes' range reduction and polynomial in
/// Estrin's scheme), so each lane is bit for bit the scalar function's value.
enum Exponential {
    typealias Vector = SIMD16<Float>

    @inline(__always)
    static func exponential(_ x: Vector) -> Vector {
        let clamped = pointwiseMin(pointwiseMax(x, Vector(repeating: -87)), Vector(repeating: 88))
        let shifted = clamped * 1.442_695_04 + 12_582_912
        let n = shifted - 12_582_912
        let r = clamped - n * 0.693_359_375 + n * 2.121_944_4e-4
        let r2 = r * r
        let p01 = Vector(repeating: 5.000_000_120_1e-1).addingProduct(Vector(repeating: 1.666_666_545_9e-1), r)
        let p23 = Vector(repeating: 4.166_579_589_4e-2).addingProduct(Vector(repeating: 8.333_451_907_3e-3), r)
        let p45 = Vector(repeating: 1.398_199_950_7e-3).addingProduct(Vector(repeating: 1.987_569_15e-4), r)
        let p = p01.addingProduct(r2, p23.addingProduct(r2, p45))
        let polynomial = (r + 1).addingProduct(p, r2)
        let integer = unsafeBitCast(shifted, to: SIMD16<UInt32>.self) &- 0x4B40_0000
        return polynomial * unsafeBitCast((integer &+ 127) &<< 23, to: Vector.self)
    }

    @inline(__always)
    static func sigmoid(_ x: Vector) -> Vector { 1 / (1 + exponential(-x)) }

    @inline(__always)
    static func tanh(_ x: Vector) -> Vector { 2 / (1 + exponential(-2 * x)) - 1 }

    /// `x = σ(x)` over `count` Floats.
    @inline(__always)
    static func sigmoid(_ x: UnsafeMutablePointer<Float>, count: Int) {
        var i = 0
        while i + 16 <= count { Lanes.store(sigmoid(Lanes.load(x + i)), x + i); i += 16 }
        if i < count { Lanes.store(sigmoid(Lanes.load(x + i, count: count - i)), x + i, count: count - i) }
    }

    /// `x = tanh(x)` over `count` Floats.
    @inline(__always)
    static func tanh(_ x: UnsafeMutablePointer<Float>, count: Int) {
        var i = 0
        while i + 16 <= count { Lanes.store(tanh(Lanes.load(x + i)), x + i); i += 16 }
        if i < count { Lanes.store(tanh(Lanes.load(x + i, count: count - i)), x + i, count: count - i) }
    }
}

/// Public for the tests that hold the lanes to the scalar functions.
public enum WideMath {
    public static func exponential(_ x: UnsafeMutablePointer<Float>, count: Int) {
        var i = 0
        while i < count {
            let n = min(16, count - i)
            Lanes.store(Exponential.exponential(Lanes.load(x + i, count: n)), x + i, count: n)
            i += 16
        }
    }

    public static func sigmoid(_ x: UnsafeMutablePointer<Float>, count: Int) { Exponential.sigmoid(x, count: count) }

    public static func tanh(_ x: UnsafeMutablePointer<Float>, count: Int) { Exponential.tanh(x, count: count) }
}
#endif
