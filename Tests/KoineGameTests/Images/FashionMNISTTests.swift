import XCTest
@testable import KoineGame

final class FashionMNISTTests: XCTestCase {
    func header(_ dimensions: [Int]) -> [UInt8] {
        var bytes: [UInt8] = [0, 0, 8, UInt8(dimensions.count)]
        for dimension in dimensions {
            for shift in [24, 16, 8, 0] { bytes.append(UInt8((dimension >> shift) & 0xFF)) }
        }
        return bytes
    }

    /// `count` images of 3 × 2 whose pixel p of image i is 10i + p, and labels i mod 10.
    func images(_ count: Int) -> [UInt8] { header([count, 3, 2]) + (0..<count * 6).map(value) }
    func labels(_ count: Int) -> [UInt8] { header([count]) + (0..<count).map { (i: Int) -> UInt8 in UInt8(i % 10) } }
    func value(_ index: Int) -> UInt8 { UInt8(10 * (index / 6) + index % 6) }

    func writeFiles(_ directory: DatasetDirectory, under root: String, gzipped: Bool) throws {
        let files = [("train-images-idx3-ubyte", images(4)), ("train-labels-idx1-ubyte", labels(4)),
                     ("t10k-images-idx3-ubyte", images(2)), ("t10k-labels-idx1-ubyte", labels(2))]
        for (name, bytes) in files {
            if gzipped { try directory.writeGzip(bytes, to: "\(root)/\(name).gz") } else { try directory.write(bytes, to: "\(root)/\(name)") }
        }
    }

    func testPlainAndGzippedFilesLoadAlike() throws {
        let directory = try DatasetDirectory()
        try writeFiles(directory, under: "plain", gzipped: false)
        try writeFiles(directory, under: "gzipped", gzipped: true)
        let plain = try ImageDataset.load(kind: .fashionMNIST, path: directory.path + "/plain")
        let gzipped = try ImageDataset.load(kind: .fashionMNIST, path: directory.path + "/gzipped")
        for dataset in [plain, gzipped] {
            XCTAssertEqual([dataset.train.count, dataset.test.count], [4, 2])
            XCTAssertEqual([dataset.channels, dataset.height, dataset.width], [1, 3, 2])
            XCTAssertEqual(dataset.train.labels, [0, 1, 2, 3])
            XCTAssertEqual(dataset.classNames[9], "Ankle boot")
            XCTAssertEqual(dataset.train.pixel(3, channel: 0, row: 2, column: 1), Float(35) / 255)
            XCTAssertEqual(dataset.test.pixels, (0..<12).map { (i: Int) -> Float in Float(value(i)) / 255 })
        }
        XCTAssertEqual(plain.train.pixels, gzipped.train.pixels)
    }

    func testBadFilesAreOneClearError() throws {
        let directory = try DatasetDirectory()
        assertDatasetError(try FashionMNIST.load(path: directory.path + "/absent")) {
            if case .missing(let path, _) = $0 { return path.hasSuffix("/absent") } else { return false }
        }

        try writeFiles(directory, under: "no-labels", gzipped: true)
        try FileManager.default.removeItem(atPath: directory.path + "/no-labels/t10k-labels-idx1-ubyte.gz")
        assertDatasetError(try FashionMNIST.load(path: directory.path + "/no-labels")) {
            if case .missing(let path, _) = $0 { return path.hasSuffix("no-labels/t10k-labels-idx1-ubyte.gz") } else { return false }
        }

        try writeFiles(directory, under: "truncated", gzipped: false)
        try directory.write(Array(images(4).dropLast(5)), to: "truncated/train-images-idx3-ubyte")
        assertDatasetError(try FashionMNIST.load(path: directory.path + "/truncated")) {
            $0 == .malformed(path: directory.path + "/truncated/train-images-idx3-ubyte",
                             expected: "40 bytes for shape 4×3×2", found: "35 bytes")
        }

        try writeFiles(directory, under: "cut-gzip", gzipped: true)
        let gzipPath = directory.path + "/cut-gzip/train-images-idx3-ubyte.gz"
        let whole = try Data(contentsOf: URL(fileURLWithPath: gzipPath))
        try whole.prefix(whole.count - 12).write(to: URL(fileURLWithPath: gzipPath))
        assertDatasetError(try FashionMNIST.load(path: directory.path + "/cut-gzip")) {
            if case .malformed(let path, _, _) = $0 { return path == gzipPath } else { return false }
        }

        try writeFiles(directory, under: "magic", gzipped: false)
        try directory.write(labels(4), to: "magic/train-images-idx3-ubyte")
        assertDatasetError(try FashionMNIST.load(path: directory.path + "/magic")) {
            if case .malformed(let path, _, let found) = $0 { return path.hasSuffix("magic/train-images-idx3-ubyte") && found == "magic 0 0 8 1" } else { return false }
        }

        try writeFiles(directory, under: "count", gzipped: false)
        try directory.write(labels(3), to: "count/train-labels-idx1-ubyte")
        assertDatasetError(try FashionMNIST.load(path: directory.path + "/count")) {
            $0 == .malformed(path: directory.path + "/count/train-labels-idx1-ubyte", expected: "4 labels, one per image", found: "3")
        }
    }

    /// Debian's package, where it is installed: the real file names and sizes.
    func testDebianPackage() throws {
        guard DatasetFiles.isDirectory(FashionMNIST.defaultDirectory) else {
            throw XCTSkip("\(FashionMNIST.defaultDirectory) is absent (apt-get install dataset-fashion-mnist)")
        }
        let dataset = try ImageDataset.load(kind: .fashionMNIST)
        XCTAssertEqual([dataset.train.count, dataset.test.count], [60_000, 10_000])
        XCTAssertEqual([dataset.channels, dataset.height, dataset.width], [1, 28, 28])
        XCTAssertEqual(Set(dataset.train.labels).count, 10)
        // The standard split is balanced: 6,000 and 1,000 images per class.
        XCTAssertEqual(dataset.test.labels.filter { $0 == 4 }.count, 1_000)
    }
}
