#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How a block of parameters starts (and restarts, on a reset).
public enum Initializer {
    case zeros
    case constant(Float)
    /// Uniform in [-bound, bound]: PyTorch's default for linear and recurrent layers.
    case uniform(Float)
}

/// One named block inside a `Parameters` buffer, with its gradient.
public struct Parameter {
    public let value: Matrix
    public let gradient: Matrix
    public let offset: Int
}

/// A module's parameters as one contiguous buffer, with a gradient buffer that
/// mirrors it. Reset, checksum, optimizer step and all-reduce are each one pass
/// over one span. Layers claim their blocks in order when they are built.
public final class Parameters {
    public let count: Int
    public let values: UnsafeMutablePointer<Float>
    public let gradients: UnsafeMutablePointer<Float>
    private var blocks: [(offset: Int, count: Int, initializer: Initializer)] = []
    public private(set) var claimed = 0

    /// Whether `gradients` is this module's own (else lent, by `init(count:gradients:)`).
    private let ownsGradients: Bool

    public init(count: Int) {
        self.count = count
        values = .allocate(capacity: max(count, 1))
        gradients = .allocate(capacity: max(count, 1))
        values.initialize(repeating: 0, count: max(count, 1))
        gradients.initialize(repeating: 0, count: max(count, 1))
        ownsGradients = true
    }

    /// Parameters whose gradient lives in `gradients` (`count` Floats, which
    /// must outlive them), e.g. a buffer that models updating in turn share:
    /// every gradient is zero again after an update that clears it.
    public init(count: Int, gradients: UnsafeMutablePointer<Float>) {
        self.count = count
        values = .allocate(capacity: max(count, 1))
        values.initialize(repeating: 0, count: max(count, 1))
        self.gradients = gradients
        gradients.update(repeating: 0, count: count)
        ownsGradients = false
    }

    deinit {
        values.deallocate()
        if ownsGradients { gradients.deallocate() }
    }

    /// Takes the next `rows × columns` block of the buffer for a layer.
    public func claim(rows: Int, columns: Int, initializer: Initializer) -> Parameter {
        let size = rows * columns
        precondition(claimed + size <= count, "parameters: claimed \(claimed + size) of \(count)")
        let offset = claimed
        claimed += size
        blocks.append((offset, size, initializer))
        return Parameter(
            value: Matrix(values + offset, rows: rows, columns: columns),
            gradient: Matrix(gradients + offset, rows: rows, columns: columns),
            offset: offset)
    }

    public var valueBuffer: UnsafeMutableBufferPointer<Float> { .init(start: values, count: count) }
    public var gradientBuffer: UnsafeMutableBufferPointer<Float> { .init(start: gradients, count: count) }

    /// Draws every block afresh from its initializer and clears the gradient.
    public func initialize(using random: inout Random) {
        precondition(claimed == count, "parameters: \(claimed) of \(count) claimed")
        for block in blocks {
            let p = values + block.offset
            switch block.initializer {
            case .zeros:
                p.update(repeating: 0, count: block.count)
            case .constant(let value):
                p.update(repeating: value, count: block.count)
            case .uniform(let bound):
                for i in 0..<block.count { p[i] = (random.nextFloat() * 2 - 1) * bound }
            }
        }
        zeroGradients()
    }

    public func zeroGradients() {
        gradients.update(repeating: 0, count: count)
    }

    /// Copies values from another buffer of the same layout.
    public func copyValues(from other: Parameters) {
        precondition(other.count == count)
        values.update(from: other.values, count: count)
    }

    /// A hash of the exact bits of every value: equal on two ranks only when
    /// the replicas are bit-identical.
    public func checksum() -> UInt64 {
        Checksum.fnv1a(UnsafeRawBufferPointer(start: values, count: count * MemoryLayout<Float>.stride))
    }

    /// The L2 norm of the gradient.
    public func gradientNorm() -> Float {
        var sum: Double = 0
        for i in 0..<count { sum += Double(gradients[i]) * Double(gradients[i]) }
        return Float(sum.squareRoot())
    }
}

/// FNV-1a over bytes, word-folded for speed.
public enum Checksum {
    public static func fnv1a(_ bytes: UnsafeRawBufferPointer, seed: UInt64 = 0xCBF2_9CE4_8422_2325) -> UInt64 {
        var hash = seed
        for byte in bytes {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01B3
        }
        return hash
    }

    /// Combines checksums (order matters): FNV-1a over the bytes of `a` then
    /// of `b`. (Seeding with `a` alone let `a` meet only `b`'s first byte, by
    /// XOR, so `combine(1, 2) == combine(2, 1)`.)
    public static func combine(_ a: UInt64, _ b: UInt64) -> UInt64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        withUnsafeBytes(of: a.littleEndian) { hash = fnv1a($0, seed: hash) }
        withUnsafeBytes(of: b.littleEndian) { hash = fnv1a($0, seed: hash) }
        return hash
    }
}
