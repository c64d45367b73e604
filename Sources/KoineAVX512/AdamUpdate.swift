#if arch(x86_64)
/// Adam's update over sixteen lanes at a time: the same operations, in the
/// same order, as `Adam.update`'s loop, so each parameter ends bit for bit
/// where the eight-lane loop puts it. Its square root and division are what
/// bound that loop; on a processor with 512-bit units each instruction does
/// twice the lanes.
public enum AdamUpdate {
    public typealias Vector = SIMD16<Float>

    public static func run(
        values p: UnsafeMutablePointer<Float>, gradients g: UnsafeMutablePointer<Float>,
        firstMoment m: UnsafeMutablePointer<Float>, secondMoment v: UnsafeMutablePointer<Float>, count: Int,
        stepSize: Float, inverseRoot: Float, beta1 b1: Float, beta2 b2: Float, epsilon eps: Float, clearingGradients: Bool
    ) {
        let whole = count & ~15
        let beta1 = Vector(repeating: b1), beta2 = Vector(repeating: b2)
        let rest1 = Vector(repeating: 1 - b1), rest2 = Vector(repeating: 1 - b2)
        let step = Vector(repeating: stepSize), root = Vector(repeating: inverseRoot), epsilon = Vector(repeating: eps)
        var i = 0
        while i < whole {
            let gi = Lanes.load(g + i)
            if clearingGradients { Lanes.store(Vector(), g + i) }
            let mi = beta1 * Lanes.load(m + i) + rest1 * gi
            let vi = beta2 * Lanes.load(v + i) + rest2 * gi * gi
            Lanes.store(mi, m + i)
            Lanes.store(vi, v + i)
            Lanes.store(Lanes.load(p + i) - step * mi / (vi.squareRoot() * root + epsilon), p + i)
            i += 16
        }
        while i < count {
            let gi = g[i]
            if clearingGradients { g[i] = 0 }
            let mi = b1 * m[i] + (1 - b1) * gi
            let vi = b2 * v[i] + (1 - b2) * gi * gi
            m[i] = mi
            v[i] = vi
            p[i] -= stepSize * mi / (vi.squareRoot() * inverseRoot + eps)
            i += 1
        }
    }
}
#endif
