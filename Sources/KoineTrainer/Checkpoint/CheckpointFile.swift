import KoineTensor

/// A checkpoint file that cannot be used: which file, and what is wrong with it.
public struct CheckpointFault: Error, CustomStringConvertible {
    public let file: String
    public let fault: String
    public init(file: String, _ fault: String) {
        self.file = file
        self.fault = fault
    }
    public var description: String { "\(file): \(fault)" }
}

/// The fixed header of one rank's checkpoint file. All integers are
/// little-endian; the header ends with a checksum of its own bytes, so a
/// damaged header is told apart from a damaged payload.
///
///     magic "KOINECKP" · version u32 · rank u32 · world size u32 · reserved u32
///     step u64 · configuration identity u64 · payload length u64
///     payload checksum u64 · header checksum u64          (64 bytes)
public struct CheckpointHeader: Equatable {
    public static let magic = Array("KOINECKP".utf8)
    public static let version: UInt32 = 1
    public static let size = 64

    public var rank: Int
    public var worldSize: Int
    public var step: Int
    /// `Configuration.identity` of the run that wrote it.
    public var configuration: UInt64
    public var payloadLength: Int
    public var payloadChecksum: UInt64

    public init(rank: Int, worldSize: Int, step: Int, configuration: UInt64, payloadLength: Int, payloadChecksum: UInt64) {
        self.rank = rank
        self.worldSize = worldSize
        self.step = step
        self.configuration = configuration
        self.payloadLength = payloadLength
        self.payloadChecksum = payloadChecksum
    }

    public var bytes: [UInt8] {
        var out = CheckpointPayload()
        out.bytes += CheckpointHeader.magic
        out.append(UInt32(CheckpointHeader.version))
        out.append(UInt32(rank))
        out.append(UInt32(worldSize))
        out.append(UInt32(0))
        out.append(UInt64(step))
        out.append(configuration)
        out.append(UInt64(payloadLength))
        out.append(payloadChecksum)
        out.append(out.bytes.withUnsafeBytes { Checksum.fnv1a($0) })
        return out.bytes
    }

    /// Reads and checks a whole file's bytes: header, length and payload
    /// checksum. Throws a fault naming `file` for anything that is not an
    /// intact Koine checkpoint of this format.
    public static func parse(_ data: [UInt8], file: String) throws -> (header: CheckpointHeader, payload: ArraySlice<UInt8>) {
        let header = try parseHeader(data.prefix(size), fileSize: data.count, file: file)
        let payload = data[size...]
        guard payload.withUnsafeBytes({ Checksum.fnv1a($0) }) == header.payloadChecksum else {
            throw CheckpointFault(file: file, "corrupted (payload checksum mismatch)")
        }
        return (header, payload)
    }

    /// Checks a file's first bytes (`prefix`, up to `size` of them) and its
    /// payload length against the file's size, before the payload is read.
    public static func parseHeader(_ prefix: ArraySlice<UInt8>, fileSize: Int, file: String) throws -> CheckpointHeader {
        func fault(_ text: String) -> CheckpointFault { CheckpointFault(file: file, text) }
        if prefix.count < magic.count || Array(prefix.prefix(magic.count)) != magic {
            if prefix.isEmpty { throw fault("empty file (truncated)") }
            if magic.starts(with: prefix) { throw fault("truncated (\(prefix.count) bytes, inside the header)") }
            throw fault("not a Koine checkpoint (foreign file: no KOINECKP signature)")
        }
        guard prefix.count >= size else { throw fault("truncated (\(prefix.count) bytes; the header alone is \(size))") }
        var reader = CheckpointReader(prefix.prefix(size), file: file)
        reader.position += magic.count
        let version = try reader.uint32()
        let rank = Int(try reader.uint32()), worldSize = Int(try reader.uint32())
        _ = try reader.uint32()
        let step = Int(truncatingIfNeeded: try reader.uint64()), configuration = try reader.uint64()
        let length = try reader.uint64(), checksum = try reader.uint64()
        let stored = try reader.uint64()
        let intact = stored == prefix.prefix(size - 8).withUnsafeBytes { Checksum.fnv1a($0) }
        guard version == CheckpointHeader.version else {
            throw fault(intact ? "checkpoint format version \(version); this koine reads version \(CheckpointHeader.version)"
                               : "corrupted header (or an unknown format version \(version))")
        }
        guard intact else { throw fault("corrupted header (checksum mismatch)") }
        let available = UInt64(fileSize - size)
        if available < length { throw fault("truncated (payload \(available) of \(length) bytes)") }
        if available > length { throw fault("\(available - length) unexpected bytes after the payload") }
        return CheckpointHeader(rank: rank, worldSize: worldSize, step: step, configuration: configuration,
                                payloadLength: Int(length), payloadChecksum: checksum)
    }
}

/// Builds a payload: fixed-width little-endian values and raw Float spans.
/// In memory (`bytes` holds it all), or streamed: small values gather in a
/// buffer and go to `sink` in blocks, Float spans go straight from the
/// parameters, and the length and checksum are kept on the way, so a
/// checkpoint never needs a second copy of the state in memory.
public struct CheckpointPayload {
    public var bytes: [UInt8] = []
    private let sink: ((UnsafeRawBufferPointer) throws -> Void)?
    private var streamed = 0
    private var checksum = Checksum.fnv1a(UnsafeRawBufferPointer(start: nil, count: 0))
    private var failure: Error?
    /// Floats appended that are NaN or infinite: a diverged population's
    /// state, which no checkpoint should keep.
    public private(set) var nonFiniteFloats = 0

    /// A payload kept in memory.
    public init() { sink = nil }

    /// A payload streamed to `sink` (which may throw; the first error is
    /// reported by `finish`).
    public init(sink: @escaping (UnsafeRawBufferPointer) throws -> Void) {
        self.sink = sink
        bytes.reserveCapacity(CheckpointPayload.block)
    }

    static let block = 1 << 16

    /// Bytes so far.
    public var count: Int { streamed + bytes.count }

    private mutating func emit(_ raw: UnsafeRawBufferPointer) {
        guard let sink else { return }
        checksum = Checksum.fnv1a(raw, seed: checksum)
        streamed += raw.count
        if failure == nil {
            do { try sink(raw) } catch { failure = error }
        }
    }

    private mutating func flush() {
        guard sink != nil, !bytes.isEmpty else { return }
        // Moved out, not copied, so clearing it keeps its storage for the next block.
        var pending: [UInt8] = []
        swap(&pending, &bytes)
        pending.withUnsafeBytes { emit($0) }
        pending.removeAll(keepingCapacity: true)
        bytes = pending
    }

    /// Adds small values to the buffer, sending it on once a block is full.
    private mutating func buffer(_ raw: UnsafeRawBufferPointer) {
        bytes += raw
        if sink != nil && bytes.count >= CheckpointPayload.block { flush() }
    }

    /// Sends what is buffered; the streamed payload's length and checksum.
    public mutating func finish() throws -> (length: Int, checksum: UInt64) {
        flush()
        if let failure { throw failure }
        return (streamed, checksum)
    }

    public mutating func append<T: FixedWidthInteger>(_ value: T) {
        withUnsafeBytes(of: value.littleEndian) { buffer($0) }
    }

    public mutating func append(_ value: Int) { append(Int64(value)) }
    public mutating func append(_ value: Double) { append(value.bitPattern) }
    public mutating func append(_ value: Float) { append(value.bitPattern) }

    public mutating func append(_ values: [Double]) {
        append(values.count)
        for value in values { append(value) }
    }

    public mutating func append(_ text: String) {
        let utf8 = Array(text.utf8)
        append(utf8.count)
        utf8.withUnsafeBytes { buffer($0) }
    }

    /// A span of floats, with its length so a reader can check it fits.
    public mutating func append(floats: UnsafeBufferPointer<Float>) {
        append(floats.count)
        for value in floats where !value.isFinite { nonFiniteFloats += 1 }
        if sink != nil {
            flush()
            emit(UnsafeRawBufferPointer(floats))
        } else {
            bytes += UnsafeRawBufferPointer(floats)
        }
    }

    public mutating func append(_ random: Random) {
        append(random.identity)
        append(random.state.0)
        append(random.state.1)
        append(random.state.2)
        append(random.state.3)
    }
}

/// Reads a payload in the order it was built; any mismatch is a fault of the file.
public struct CheckpointReader {
    let data: ArraySlice<UInt8>
    let file: String
    var position: Int

    public init(_ data: ArraySlice<UInt8>, file: String) {
        self.data = data
        self.file = file
        position = data.startIndex
    }

    public var isAtEnd: Bool { position == data.endIndex }

    /// Bytes not read yet.
    public var remaining: Int { data.endIndex - position }

    public func fault(_ text: String) -> CheckpointFault { CheckpointFault(file: file, text) }

    private mutating func take(_ count: Int) throws -> ArraySlice<UInt8> {
        guard count >= 0, data.endIndex - position >= count else {
            throw fault("payload ends early (at byte \(position - data.startIndex))")
        }
        defer { position += count }
        return data[position..<(position + count)]
    }

    public mutating func uint64() throws -> UInt64 {
        var value: UInt64 = 0
        for (i, byte) in try take(8).enumerated() { value |= UInt64(byte) << (8 * UInt64(i)) }
        return value
    }

    public mutating func uint32() throws -> UInt32 {
        var value: UInt32 = 0
        for (i, byte) in try take(4).enumerated() { value |= UInt32(byte) << (8 * UInt32(i)) }
        return value
    }

    public mutating func int() throws -> Int { Int(Int64(bitPattern: try uint64())) }
    public mutating func double() throws -> Double { Double(bitPattern: try uint64()) }
    public mutating func float() throws -> Float { Float(bitPattern: try uint32()) }

    public mutating func doubles() throws -> [Double] {
        let count = try int()
        guard count >= 0, count <= (data.endIndex - position) / 8 else { throw fault("payload ends early (a list of \(count) numbers)") }
        return try (0..<count).map { _ in try double() }
    }

    public mutating func string() throws -> String {
        let count = try int()
        return String(decoding: try take(count), as: UTF8.self)
    }

    /// Fills `destination` from a span written by `append(floats:)` of the same length.
    public mutating func floats(into destination: UnsafeMutableBufferPointer<Float>, what: String) throws {
        let count = try int()
        guard count == destination.count else {
            throw fault("\(what) holds \(count) values; this configuration has \(destination.count)")
        }
        let bytes = try take(count * MemoryLayout<Float>.stride)
        bytes.withUnsafeBytes { source in
            UnsafeMutableRawBufferPointer(destination).copyMemory(from: source)
        }
    }

    public mutating func random() throws -> Random {
        let identity = try uint64()
        return Random(identity: identity, state: (try uint64(), try uint64(), try uint64(), try uint64()))
    }
}
