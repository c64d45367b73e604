/// Exponential, sigmoid and tanh written with only arithmetic and bit
/// operations, so loops over them vectorise (libm's `expf` and `tanhf` are
/// calls the compiler cannot vectorise, and they dominated recurrent steps).
/// `exponential` is Cephes' `expf` — range reduction by ln 2 in two parts and
/// a degree-6 polynomial — accurate to about 2 ulp over its range.
public enum FastMath {
    @inlinable @inline(__always)
    public static func exponential(_ x: Float) -> Float {
        let clamped = Swift.min(Swift.max(x, -87), 88)
        // Adding 1.5·2²³ rounds to the nearest integer, which lands in the low mantissa bits.
        let shifted = clamped * 1.442_695_04 + 12_582_912
        let n = shifted - 12_582_912
        let r = clamped - n * 0.693_359_375 + n * 2.121_944_4e-4
        // Fused multiply-adds (Swift never contracts a * b + c itself) in
        // Estrin's scheme: short chains instead of one long Horner chain,
        // whose latency bound the vectorised loops (26% faster here).
        let r2 = r * r
        let p01 = (5.000_000_120_1e-1 as Float).addingProduct(1.666_666_545_9e-1 as Float, r)
        let p23 = (4.166_579_589_4e-2 as Float).addingProduct(8.333_451_907_3e-3 as Float, r)
        let p45 = (1.398_199_950_7e-3 as Float).addingProduct(1.987_569_15e-4 as Float, r)
        let p = p01.addingProduct(r2, p23.addingProduct(r2, p45))
        let polynomial = (r + 1).addingProduct(p, r2)
        let integer = shifted.bitPattern &- 0x4B40_0000
        return polynomial * Float(bitPattern: (integer &+ 127) << 23)
    }

    /// e^x, and exactly 0 below −87, where `exponential` clamps: a masked (−∞)
    /// logit keeps probability 0, which sampling and entropies test for. Used by
    /// the softmaxes, whose libm `expf` calls were 6% of a population iteration.
    @inlinable @inline(__always)
    public static func exponentialOrZero(_ x: Float) -> Float {
        x < -87 ? 0 : exponential(x)
    }

    /// `exponentialOrZero` eight lanes at a time, the same operations in the
    /// same order, so each lane is the scalar function's value bit for bit
    /// (`CategoricalRowGroupTests`). Concrete, not generic over the lane
    /// count: the generic version ran a quarter of a population step slower.
    /// The sixteen-lane kernels, built for another processor in KoineAVX512,
    /// keep their own copy (`VectorKernelsTests` holds it to the same bits).
    @inlinable @inline(__always)
    public static func exponentialOrZero(_ x: SIMD8<Float>) -> SIMD8<Float> {
        typealias Lanes = SIMD8<Float>
        // Swift.max and Swift.min as the scalar function has them, which pass a NaN
        // through (SIMD's `clamped` would turn it into −87).
        var clamped = x.replacing(with: -87, where: x .<= -87)
        clamped.replace(with: 88, where: clamped .> 88)
        let shifted = clamped * 1.442_695_04 + 12_582_912
        let n = shifted - 12_582_912
        let r = clamped - n * 0.693_359_375 + n * 2.121_944_4e-4
        let r2 = r * r
        let p01 = Lanes(repeating: 5.000_000_120_1e-1).addingProduct(Lanes(repeating: 1.666_666_545_9e-1), r)
        let p23 = Lanes(repeating: 4.166_579_589_4e-2).addingProduct(Lanes(repeating: 8.333_451_907_3e-3), r)
        let p45 = Lanes(repeating: 1.398_199_950_7e-3).addingProduct(Lanes(repeating: 1.987_569_15e-4), r)
        let p = p01.addingProduct(r2, p23.addingProduct(r2, p45))
        let polynomial = (r + 1).addingProduct(p, r2)
        let integer = unsafeBitCast(shifted, to: SIMD8<UInt32>.self) &- 0x4B40_0000
        let value = polynomial * unsafeBitCast((integer &+ 127) &<< 23, to: Lanes.self)
        return value.replacing(with: 0, where: x .< -87)
    }

    @inlinable @inline(__always)
    public static func sigmoid(_ x: Float) -> Float {
        1 / (1 + exponential(-x))
    }

    /// tanh(x) = 2·σ(2x) − 1: absolute error about 1e-7.
    @inlinable @inline(__always)
    public static func tanh(_ x: Float) -> Float {
        2 / (1 + exponential(-2 * x)) - 1
    }
}
