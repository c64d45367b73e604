import Foundation
import KoineTensor

/// A visual stack's weights on disk, for the `pretrained` mode: the layout,
/// the flat parameters and the batch-norm running statistics. The final linear
/// map is not in it (it maps to the agents' hidden size, which a classifier
/// trained elsewhere does not share).
///
/// Little-endian: the 8 bytes `KOINEVIS`, then UInt32 version (1), input
/// channels, convolutions per block, batch norm (0 or 1), block count, and
/// each block's width; UInt64 parameter count and statistic count; the
/// parameters and statistics as Float32; last, the UInt64 FNV-1a checksum of
/// every byte before it.
public struct VisualEncoderFile: Equatable {
    public var layout: VisualStackLayout
    public var parameters: [Float]
    public var statistics: [Float]

    static let magic = Array("KOINEVIS".utf8)
    static let version: UInt32 = 1

    public init(layout: VisualStackLayout, parameters: [Float], statistics: [Float]) {
        precondition(parameters.count == layout.parameterCount && statistics.count == layout.statisticCount,
                     "visual encoder file: \(parameters.count) parameters and \(statistics.count) statistics for a stack of \(layout)")
        self.layout = layout
        self.parameters = parameters
        self.statistics = statistics
    }

    public var bytes: [UInt8] {
        var bytes = Self.magic
        func append<T: FixedWidthInteger>(_ value: T) { withUnsafeBytes(of: value.littleEndian) { bytes += $0 } }
        append(Self.version)
        for value in [layout.inputChannels, layout.convolutionsPerBlock, layout.batchNorm ? 1 : 0, layout.widths.count] + layout.widths {
            append(UInt32(value))
        }
        append(UInt64(parameters.count))
        append(UInt64(statistics.count))
        for value in parameters + statistics { append(value.bitPattern) }
        append(bytes.withUnsafeBytes { Checksum.fnv1a($0) })
        return bytes
    }

    public func write(to path: String) throws {
        do {
            try Data(bytes).write(to: URL(fileURLWithPath: path))
        } catch {
            throw VisualEncoderFileError(path: path, problem: "could not be written (\(error.localizedDescription))")
        }
    }

    /// Bytes of a weights file: far above any stack that fits in memory to train.
    public static let largestBytes = 1 << 30
    /// Bounds on a header's counts, so the stack's sizes cannot overflow (1,000 × 16 convolutions of 2^20 channels).
    static let largestWidth = 1 << 20
    static let largestConvolutionsPerBlock = 16

    /// Reads `path`: a regular file (a FIFO or device is refused before it is
    /// opened) of at most `largestBytes`.
    public static func read(from path: String) throws -> VisualEncoderFile {
        let bytes: [UInt8]
        do {
            bytes = try DatasetFiles.read(path, expected: "a visual encoder weights file", limit: largestBytes)
        } catch {
            throw VisualEncoderFileError(path: path, problem: error.detail)
        }
        return try decode(bytes, path: path)
    }

    /// Parses `bytes`, which came from `path` (named in every error).
    public static func decode(_ bytes: [UInt8], path: String) throws -> VisualEncoderFile {
        func fail(_ problem: String) -> VisualEncoderFileError { VisualEncoderFileError(path: path, problem: problem) }
        guard bytes.count >= magic.count + 8, Array(bytes[0..<magic.count]) == magic else {
            throw fail("not a visual encoder weights file (expected it to start with KOINEVIS)")
        }
        let storedChecksum = bytes[(bytes.count - 8)...].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        let checksum = bytes[..<(bytes.count - 8)].withUnsafeBytes { Checksum.fnv1a($0) }
        guard storedChecksum == checksum else { throw fail("checksum mismatch (the file is truncated or corrupt)") }
        var offset = magic.count
        func read<T: FixedWidthInteger>(_: T.Type) throws -> T {
            let size = MemoryLayout<T>.size
            guard offset + size <= bytes.count - 8 else { throw fail("ends inside its header") }
            let value = bytes[offset..<(offset + size)].reversed().reduce(T(0)) { $0 << 8 | T($1) }
            offset += size
            return value
        }
        let version = try read(UInt32.self)
        guard version == Self.version else { throw fail("version \(version), expected \(Self.version)") }
        let inputChannels = Int(try read(UInt32.self)), perBlock = Int(try read(UInt32.self))
        let batchNorm = try read(UInt32.self), blocks = Int(try read(UInt32.self))
        guard inputChannels > 0, inputChannels <= largestWidth, perBlock > 0, perBlock <= largestConvolutionsPerBlock,
              batchNorm <= 1, blocks > 0, blocks < 1000 else {
            throw fail("header holds no valid stack (\(inputChannels) input channels, \(perBlock) convolutions per block, \(blocks) blocks)")
        }
        var widths: [Int] = []
        for _ in 0..<blocks { widths.append(Int(try read(UInt32.self))) }
        guard widths.allSatisfy({ $0 > 0 && $0 <= largestWidth }) else {
            throw fail("header holds a block of width \(widths.first { $0 <= 0 || $0 > largestWidth } ?? 0) (expected 1 to \(largestWidth))")
        }
        let layout = VisualStackLayout(inputChannels: inputChannels, widths: widths, convolutionsPerBlock: perBlock, batchNorm: batchNorm == 1)
        let parameterCount = try read(UInt64.self), statisticCount = try read(UInt64.self)
        guard parameterCount == layout.parameterCount, statisticCount == layout.statisticCount else {
            throw fail("holds \(parameterCount) parameters and \(statisticCount) statistics, a stack of \(layout) has \(layout.parameterCount) and \(layout.statisticCount)")
        }
        let floats = layout.parameterCount + layout.statisticCount
        guard bytes.count - 8 - offset == 4 * floats else {
            throw fail("holds \(bytes.count - 8 - offset) bytes of weights, expected \(4 * floats)")
        }
        var values: [Float] = []
        values.reserveCapacity(floats)
        for _ in 0..<floats { values.append(Float(bitPattern: try read(UInt32.self))) }
        // Weights a diverged pretraining wrote would make every feature NaN.
        if let bad = values.firstIndex(where: { !$0.isFinite }) {
            throw fail("holds a non-finite weight (\(values[bad].isNaN ? "NaN" : "\(values[bad])") at value \(bad)); expected finite weights")
        }
        return VisualEncoderFile(layout: layout, parameters: Array(values[..<layout.parameterCount]),
                                 statistics: Array(values[layout.parameterCount...]))
    }
}

/// Why a visual encoder weights file could not be used: one line naming the file.
public struct VisualEncoderFileError: Error, Equatable, CustomStringConvertible {
    public let path: String
    public let problem: String

    public var description: String {
        "pretrained visual encoder \(path): \(problem)".split(whereSeparator: \.isNewline).joined(separator: " ")
    }
}
