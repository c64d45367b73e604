#if arch(x86_64)
/// Sixteen-lane loads and stores, unaligned, and their partial forms that
/// never touch memory past `count` Floats.
enum Lanes {
    typealias Vector = SIMD16<Float>

    @inline(__always)
    static func load(_ p: UnsafePointer<Float>) -> Vector {
        UnsafeRawPointer(p).loadUnaligned(as: Vector.self)
    }

    @inline(__always)
    static func load(_ p: UnsafeMutablePointer<Float>) -> Vector { load(UnsafePointer(p)) }

    /// The first `count` (≤ 16) Floats at `p`, zeros after.
    @inline(__always)
    static func load(_ p: UnsafePointer<Float>, count: Int) -> Vector {
        if count == 16 { return load(p) }
        var lanes = Vector()
        for lane in 0..<count { lanes[lane] = p[lane] }
        return lanes
    }

    @inline(__always)
    static func load(_ p: UnsafeMutablePointer<Float>, count: Int) -> Vector { load(UnsafePointer(p), count: count) }

    @inline(__always)
    static func store(_ lanes: Vector, _ p: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(p).storeBytes(of: lanes, as: Vector.self)
    }

    /// Stores the first `count` (≤ 16) lanes.
    @inline(__always)
    static func store(_ lanes: Vector, _ p: UnsafeMutablePointer<Float>, count: Int) {
        if count == 16 { return store(lanes, p) }
        for lane in 0..<count { p[lane] = lanes[lane] }
    }
}
#endif
