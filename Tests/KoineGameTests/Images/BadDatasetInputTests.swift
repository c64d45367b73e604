import CImageCodecs
import Foundation
import KoineTensor
import XCTest
@testable import KoineGame

/// Hardening II (issue 31): one table of bad inputs for the image data sets
/// and one for visual encoder weights files. Every case must be refused with
/// one `ImageDatasetError` (or `VisualEncoderFileError`) line naming the file,
/// quickly, without allocating what a header claims and without blocking on
/// a FIFO. The issue's own examples are marked.
final class BadDatasetInputTests: XCTestCase {
    /// An IDX header of unsigned bytes with these dimensions.
    static func idx(_ dimensions: [Int]) -> [UInt8] {
        var bytes: [UInt8] = [0, 0, 8, UInt8(dimensions.count)]
        for dimension in dimensions {
            for shift in [24, 16, 8, 0] { bytes.append(UInt8((dimension >> shift) & 0xFF)) }
        }
        return bytes
    }

    /// A PNG whose IHDR claims width × height (its data is a few rows of zeros).
    static func pngHeader(width: Int, height: Int) -> [UInt8] {
        func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
            let typed = Array(type.utf8) + data
            let crc = UInt32(truncatingIfNeeded: crc32(0, typed, UInt32(typed.count)))
            return bigEndian(UInt32(data.count)) + typed + bigEndian(crc)
        }
        let header = bigEndian(UInt32(width)) + bigEndian(UInt32(height)) + [8, 2, 0, 0, 0]
        // The header is read up to the first IDAT: a few bytes of (not even valid) image data follow.
        return [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + chunk("IHDR", header) + chunk("IDAT", [0x78, 0x9C, 0x03, 0x00])
            + chunk("IEND", [])
    }

    static func bigEndian(_ value: UInt32) -> [UInt8] { [24, 16, 8, 0].map { UInt8((value >> $0) & 0xFF) } }

    /// Good Fashion-MNIST files (4 training and 2 test images of 3 × 2) under `root`.
    static func fashion(_ directory: DatasetDirectory, _ root: String) throws {
        for (name, count) in [("train", 4), ("t10k", 2)] {
            try directory.write(idx([count, 3, 2]) + [UInt8](repeating: 7, count: count * 6), to: "\(root)/\(name)-images-idx3-ubyte")
            try directory.write(idx([count]) + [UInt8](repeating: 1, count: count), to: "\(root)/\(name)-labels-idx1-ubyte")
        }
    }

    struct Case {
        let name: String
        /// Writes the bad input into the directory and loads it.
        let load: (DatasetDirectory) throws -> Void
        /// What the one line must say.
        let fragment: String
    }

    static let datasetCases: [Case] = [
        // Issue 31: dimensions whose product wraps to 0 without overflow checks (2^22 · 2^21 · 2^21 = 2^64).
        Case(name: "IDX product wraps to 0", load: { d in
            try fashion(d, "wrap")
            try d.write(idx([1 << 22, 1 << 21, 1 << 21]), to: "wrap/train-images-idx3-ubyte")
            try d.write(idx([1 << 22]), to: "wrap/train-labels-idx1-ubyte")
            _ = try FashionMNIST.load(path: d.path + "/wrap")
        }, fragment: "found a header of shape 4194304×2097152×2097152"),
        Case(name: "IDX header of 2^96 values", load: { d in
            try fashion(d, "max")
            try d.write(idx([0xFFFF_FFFF, 0xFFFF_FFFF, 0xFFFF_FFFF]), to: "max/train-images-idx3-ubyte")
            _ = try FashionMNIST.load(path: d.path + "/max")
        }, fragment: "at most 1073741824 bytes"),
        Case(name: "IDX header of 216 TB, no overflow", load: { d in
            try fashion(d, "huge")
            try d.write(idx([60000, 60000, 60000]), to: "huge/train-images-idx3-ubyte")
            _ = try FashionMNIST.load(path: d.path + "/huge")
        }, fragment: "found a header of shape 60000×60000×60000"),
        // Issue 31: a small .gz inflating far past its header's size is stopped once past it.
        Case(name: "gzip inflating past the header", load: { d in
            try fashion(d, "bomb")
            try FileManager.default.removeItem(atPath: d.path + "/bomb/train-images-idx3-ubyte")
            try d.writeGzip(idx([1, 28, 28]) + [UInt8](repeating: 0, count: 8 << 20), to: "bomb/train-images-idx3-ubyte.gz")
            _ = try FashionMNIST.load(path: d.path + "/bomb")
        }, fragment: "expected 800 bytes for shape 1×28×28, found more bytes"),
        // Issue 31: a FIFO named like a data file blocked open() forever.
        Case(name: "FIFO as IDX file", load: { d in
            try fashion(d, "fifo")
            try FileManager.default.removeItem(atPath: d.path + "/fifo/train-images-idx3-ubyte")
            XCTAssertEqual(mkfifo(d.path + "/fifo/train-images-idx3-ubyte", 0o644), 0)
            _ = try FashionMNIST.load(path: d.path + "/fifo")
        }, fragment: "found a FIFO (named pipe)"),
        Case(name: "device as IDX file", load: { d in
            try fashion(d, "device")
            try FileManager.default.removeItem(atPath: d.path + "/device/train-labels-idx1-ubyte")
            try FileManager.default.createSymbolicLink(atPath: d.path + "/device/train-labels-idx1-ubyte", withDestinationPath: "/dev/zero")
            _ = try FashionMNIST.load(path: d.path + "/device")
        }, fragment: "found a device"),
        Case(name: "directory as gzipped IDX file", load: { d in
            try fashion(d, "dir")
            try FileManager.default.removeItem(atPath: d.path + "/dir/t10k-images-idx3-ubyte")
            _ = try d.directory("dir/t10k-images-idx3-ubyte.gz")
            _ = try FashionMNIST.load(path: d.path + "/dir")
        }, fragment: "found a directory"),
        Case(name: "CIFAR-10 batch is a FIFO", load: { d in
            let root = try d.directory("cifar/cifar-10-batches-bin")
            for name in CIFAR10.trainingFiles + [CIFAR10.testFile] {
                try d.write([UInt8](repeating: 0, count: CIFAR10.recordLength), to: "cifar/cifar-10-batches-bin/\(name)")
            }
            try FileManager.default.removeItem(atPath: root + "/data_batch_3.bin")
            XCTAssertEqual(mkfifo(root + "/data_batch_3.bin", 0o644), 0)
            _ = try CIFAR10.load(path: d.path + "/cifar")
        }, fragment: "data_batch_3.bin: expected a CIFAR-10 binary batch of 3073-byte records, found a FIFO"),
        Case(name: "CIFAR-10 gzip bomb past the file limit", load: { d in
            // The limit lowered for the test: the reader stops at it rather than inflating the rest.
            try d.writeGzip([UInt8](repeating: 0, count: 4 << 20), to: "bomb.bin")
            _ = try DatasetFiles.read(d.path + "/bomb.bin", expected: "a CIFAR-10 binary batch", limit: 1 << 20)
        }, fragment: "of at most 1.0 MiB, found more data than that once gunzipped"),
        // Issue 31: a PNG header claiming 60,000 × 60,000 first in a folder (a 907 GB allocation before).
        Case(name: "PNG header of 60000×60000", load: { d in
            try d.write(pngHeader(width: 60000, height: 60000), to: "big/a/0.png")
            try d.writeImage([UInt8](repeating: 9, count: 8 * 8 * 3), height: 8, width: 8, channels: 3, to: "big/b/0.png")
            _ = try ImageFolder.load(root: d.path + "/big", channels: 3)
        }, fragment: "expected an image of at most 16777216 pixels (4096×4096), found 60000×60000"),
        Case(name: "PNG header of 4097×4097", load: { d in
            try d.write(pngHeader(width: 4097, height: 4097), to: "edge/a/0.png")
            _ = try ImageFolder.load(root: d.path + "/edge", channels: 1)
        }, fragment: "found 4097×4097"),
        Case(name: "configured size of 100000×100000", load: { d in
            try d.writeImage([UInt8](repeating: 9, count: 8 * 8 * 3), height: 8, width: 8, channels: 3, to: "sized/a/0.png")
            _ = try ImageFolder.load(root: d.path + "/sized", channels: 3, height: 100_000, width: 100_000)
        }, fragment: "found 100000×100000"),
        Case(name: "PNG that is a FIFO", load: { d in
            try d.writeImage([UInt8](repeating: 9, count: 8 * 8 * 3), height: 8, width: 8, channels: 3, to: "pipe/a/0.png")
            _ = try d.directory("pipe/b")
            XCTAssertEqual(mkfifo(d.path + "/pipe/b/1.png", 0o644), 0)
            _ = try ImageFolder.load(root: d.path + "/pipe", channels: 3)
        }, fragment: "pipe/b/1.png: expected a PNG or JPEG image, found a FIFO"),
        Case(name: "set larger than memory", load: { d in
            try DatasetLimits.checkSet(count: 1 << 40, channels: 3, height: 4096, width: 4096, path: d.path)
        }, fragment: "a size that overflows"),
        Case(name: "set larger than memory, no overflow", load: { d in
            try DatasetLimits.checkSet(count: 1 << 30, channels: 3, height: 32, width: 32, path: d.path)
        }, fragment: "as 32-bit floats"),
    ]

    func testBadDataSetsAreOneLineEach() throws {
        for bad in Self.datasetCases {
            let directory = try DatasetDirectory()
            let started = Date()
            do {
                try bad.load(directory)
                XCTFail("\(bad.name): accepted")
            } catch let error as ImageDatasetError {
                XCTAssertTrue(error.description.contains(bad.fragment), "\(bad.name): \(error)")
                XCTAssertFalse(error.description.contains("\n"), "\(bad.name): one line: \(error)")
            } catch {
                XCTFail("\(bad.name): not an ImageDatasetError: \(error)")
            }
            XCTAssertLessThan(Date().timeIntervalSince(started), 5, "\(bad.name): refused quickly")
        }
    }

    func testOverflowCheckedProducts() {
        XCTAssertEqual(DatasetLimits.product([60000, 28, 28]), 47_040_000)
        XCTAssertNil(DatasetLimits.product([1 << 22, 1 << 21, 1 << 21]))
        XCTAssertNil(DatasetLimits.product([Int.max, 2]))
        XCTAssertNil(DatasetLimits.product([-1, 5]))
        XCTAssertEqual(DatasetLimits.product([]), 1)
    }

    /// The memory the loaders measure against: the lowest limit of the
    /// process's cgroup and its ancestors, v1 or v2, else physical memory.
    func testCgroupLimits() {
        let files = [
            "/sys/fs/cgroup/memory/jobs/memory.limit_in_bytes": "8589934592\n",
            "/sys/fs/cgroup/memory/jobs/42/memory.limit_in_bytes": "9223372036854771712\n",
            "/sys/fs/cgroup/user.slice/job/memory.max": "max\n",
            "/sys/fs/cgroup/user.slice/memory.max": "2147483648\n",
        ]
        XCTAssertEqual(MemoryLimit.cgroupLimit(membership: "4:memory:/jobs/42\n3:cpuset:/\n", read: { files[$0] }), 8_589_934_592)
        XCTAssertEqual(MemoryLimit.cgroupLimit(membership: "0::/user.slice/job\n", read: { files[$0] }), 2_147_483_648)
        XCTAssertNil(MemoryLimit.cgroupLimit(membership: "0::/\n", read: { files[$0] }))
        XCTAssertNil(MemoryLimit.cgroupLimit(membership: "garbage", read: { _ in "not a number" }))
        XCTAssertLessThanOrEqual(MemoryLimit.available, Double(ProcessInfo.processInfo.physicalMemory))
    }

    // MARK: weights files

    /// A weights file's bytes, fields as given, with a correct checksum.
    static func weights(channels: UInt32 = 3, perBlock: UInt32 = 1, batchNorm: UInt32 = 0, widths: [UInt32] = [2],
                        counts: (UInt64, UInt64)? = nil, values: [Float]? = nil) -> [UInt8] {
        var bytes = Array("KOINEVIS".utf8)
        func append<T: FixedWidthInteger>(_ value: T) { withUnsafeBytes(of: value.littleEndian) { bytes += $0 } }
        append(UInt32(1))
        for value in [channels, perBlock, batchNorm, UInt32(widths.count)] + widths { append(value) }
        // 3 × 3 × channels × width + width biases, for one block of one convolution.
        let parameters = UInt64(9 * Int(channels) * Int(widths[0]) + Int(widths[0]))
        append(counts?.0 ?? parameters)
        append(counts?.1 ?? 0)
        // At most a few values: a header claiming billions must be refused without them.
        for value in values ?? [Float](repeating: 0.5, count: min(Int(parameters), 56)) { append(value.bitPattern) }
        append(bytes.withUnsafeBytes { Checksum.fnv1a($0) })
        return bytes
    }

    static let weightsCases: [(name: String, bytes: [UInt8]?, fragment: String)] = [
        ("width 2^31 in the header", weights(widths: [1 << 31]), "header holds a block of width 2147483648"),
        ("2^31 convolutions per block", weights(perBlock: 1 << 31), "header holds no valid stack"),
        ("2^31 input channels", weights(channels: 1 << 31), "header holds no valid stack"),
        ("counts that disagree", weights(counts: (1 << 62, 0)), "holds 4611686018427387904 parameters"),
        // Issue 31: pretraining with --lr 1e30 wrote NaN weights, and runs on them "trained".
        ("NaN weights", weights(values: [Float](repeating: .nan, count: 56)), "holds a non-finite weight (NaN at value 0)"),
        ("infinite weight", weights(values: [Float](repeating: 1, count: 55) + [.infinity]), "holds a non-finite weight (inf at value 55)"),
        ("a FIFO", nil, "found a FIFO (named pipe)"),
    ]

    func testBadWeightsFilesAreOneLineEach() throws {
        let directory = try DatasetDirectory()
        XCTAssertNoThrow(try VisualEncoderFile.decode(Self.weights(), path: "good"), "the table's good file reads")
        for (index, bad) in Self.weightsCases.enumerated() {
            let path = directory.path + "/w\(index)"
            if let bytes = bad.bytes { try directory.write(bytes, to: "w\(index)") } else { XCTAssertEqual(mkfifo(path, 0o644), 0) }
            do {
                _ = try VisualEncoderFile.read(from: path)
                XCTFail("\(bad.name): accepted")
            } catch let error as VisualEncoderFileError {
                XCTAssertTrue(error.description.contains(bad.fragment), "\(bad.name): \(error)")
                XCTAssertTrue(error.description.contains(path), "\(bad.name): names the file: \(error)")
                XCTAssertFalse(error.description.contains("\n"), "\(bad.name): \(error)")
            }
        }
    }
}
