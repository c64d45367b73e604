#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A seeded, splittable generator: xoshiro256** seeded through SplitMix64.
///
/// `split(_:)` derives a child from the generator's *identity* (its seed and
/// the keys that led to it), not from how many numbers it has drawn, so
/// `Random(seed: 1).split(rank).split(agent)` names the same stream in every
/// run, whatever else was drawn before.
public struct Random: RandomNumberGenerator {
    /// The seed and split keys, mixed into one word.
    public private(set) var identity: UInt64
    public var state: (UInt64, UInt64, UInt64, UInt64)

    public init(seed: UInt64) {
        self.init(identity: Random.mix(seed ^ 0x4B4F_494E_4521_0000))
    }

    private init(identity: UInt64) {
        self.identity = identity
        var seeder = identity
        state = (Random.splitMix(&seeder), Random.splitMix(&seeder), Random.splitMix(&seeder), Random.splitMix(&seeder))
    }

    /// Restores a generator captured with `identity` and `state` (checkpoints).
    public init(identity: UInt64, state: (UInt64, UInt64, UInt64, UInt64)) {
        self.identity = identity
        self.state = state
    }

    /// An independent generator for `key` (a rank, an agent, a purpose).
    public func split(_ key: UInt64) -> Random {
        Random(identity: Random.mix(identity &+ Random.mix(key &+ 0x9E37_79B9_7F4A_7C15)))
    }

    public func split(_ keys: UInt64...) -> Random {
        var child = self
        for key in keys { child = child.split(key) }
        return child
    }

    @inlinable
    public mutating func next() -> UInt64 {
        let result = rotate(state.1 &* 5, 7) &* 9
        let t = state.1 << 17
        state.2 ^= state.0
        state.3 ^= state.1
        state.1 ^= state.2
        state.0 ^= state.3
        state.2 ^= t
        state.3 = rotate(state.3, 45)
        return result
    }

    @inlinable
    func rotate(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

    /// Uniform in [0, 1) with 24 random bits.
    @inlinable
    public mutating func nextFloat() -> Float {
        Float(next() >> 40) * (1.0 / 16_777_216.0)
    }

    /// Uniform in [0, 1) with a double's 53 random bits.
    @inlinable
    public mutating func nextDouble() -> Double {
        Double(next() >> 11) * 0x1p-53
    }

    /// Uniform in (0, 1): never 0 and never 1, so logarithms of it (and of
    /// its logarithm, for Gumbel noise) are finite. 23 random bits: with 24,
    /// `x + 0.5` is not representable above 2²³ and rounds up to 2²⁴ = 1.0.
    @inlinable
    public mutating func nextOpenFloat() -> Float {
        (Float(next() >> 41) + 0.5) * (1.0 / 8_388_608.0)
    }

    /// Uniform in 0..<bound without modulo bias (Lemire's method).
    @inlinable
    public mutating func nextInt(below bound: Int) -> Int {
        precondition(bound > 0)
        let range = UInt64(bound)
        var product = next().multipliedFullWidth(by: range)
        if product.low < range {
            let threshold = (0 &- range) % range
            while product.low < threshold { product = next().multipliedFullWidth(by: range) }
        }
        return Int(product.high)
    }

    /// A standard Gumbel sample, -log(-log(u)).
    @inlinable
    public mutating func nextGumbel() -> Float {
        -logf(-logf(nextOpenFloat()))
    }

    /// A standard normal sample (Box–Muller).
    public mutating func nextNormal() -> Float {
        let u = nextOpenFloat(), v = nextFloat()
        return sqrtf(-2 * logf(u)) * cosf(2 * Float.pi * v)
    }

    static func splitMix(_ state: inout UInt64) -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        return mix(state)
    }

    static func mix(_ value: UInt64) -> UInt64 {
        var z = value
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
