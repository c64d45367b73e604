import XCTest
@testable import KoineGame

final class CIFAR10Tests: XCTestCase {
    /// A record whose label is `label` and whose channel c, pixel p holds (label + 3c + p) mod 256.
    func record(label: UInt8) -> [UInt8] {
        let planes: [UInt8] = (0..<3 * 1024).map { (index: Int) -> UInt8 in
            let value: Int = Int(label) + 3 * (index / 1024) + index % 1024
            return UInt8(value % 256)
        }
        return [label] + planes
    }

    /// Batch file k holds labels k-1 and k+4 (mod 10); the test batch 9, 0, 1.
    func writeBatches(_ directory: DatasetDirectory, under root: String = "cifar-10-batches-bin") throws {
        for k in 1...5 {
            try directory.write(record(label: UInt8(k - 1)) + record(label: UInt8((k + 4) % 10)), to: "\(root)/data_batch_\(k).bin")
        }
        try directory.write(record(label: 9) + record(label: 0) + record(label: 1), to: "\(root)/test_batch.bin")
    }

    func testRecordsBecomeLabelsAndPlanes() throws {
        let directory = try DatasetDirectory()
        try writeBatches(directory)
        for path in [directory.path, directory.path + "/cifar-10-batches-bin"] {
            let dataset = try ImageDataset.load(kind: .cifar10, path: path)
            XCTAssertEqual(dataset.train.labels, [0, 5, 1, 6, 2, 7, 3, 8, 4, 9])
            XCTAssertEqual(dataset.test.labels, [9, 0, 1])
            XCTAssertEqual(dataset.classNames[3], "cat")
            XCTAssertEqual([dataset.channels, dataset.height, dataset.width], [3, 32, 32])
            let set = dataset.train
            for index in [0, 3, 9] {
                let label = set.labels[index]
                for (channel, row, column) in [(0, 0, 0), (1, 5, 7), (2, 31, 31)] {
                    let value = (label + 3 * channel + row * 32 + column) % 256
                    XCTAssertEqual(set.pixel(index, channel: channel, row: row, column: column), Float(value) / 255)
                }
            }
        }
    }

    func testBadBatchesAreOneClearError() throws {
        let directory = try DatasetDirectory()
        assertDatasetError(try ImageDataset.load(kind: .cifar10, path: directory.path + "/absent")) {
            if case .missing(let path, _) = $0 { return path.hasSuffix("/absent") } else { return false }
        }
        assertDatasetError(try ImageDataset.load(kind: .cifar10)) {
            if case .missing = $0 { return true } else { return false }
        }

        try writeBatches(directory, under: "no-test")
        try FileManager.default.removeItem(atPath: directory.path + "/no-test/test_batch.bin")
        assertDatasetError(try CIFAR10.load(path: directory.path + "/no-test")) {
            if case .missing(let path, _) = $0 { return path.hasSuffix("no-test/test_batch.bin") } else { return false }
        }

        try writeBatches(directory, under: "truncated")
        try directory.write(record(label: 1) + Array(record(label: 2).prefix(100)), to: "truncated/data_batch_3.bin")
        assertDatasetError(try CIFAR10.load(path: directory.path + "/truncated")) {
            $0 == .malformed(path: directory.path + "/truncated/data_batch_3.bin",
                             expected: "a whole number of 3073-byte records", found: "3173 bytes")
        }

        try writeBatches(directory, under: "empty")
        try directory.write([], to: "empty/data_batch_1.bin")
        assertDatasetError(try CIFAR10.load(path: directory.path + "/empty")) {
            if case .malformed(let path, _, _) = $0 { return path.hasSuffix("empty/data_batch_1.bin") } else { return false }
        }

        try writeBatches(directory, under: "label")
        try directory.write(record(label: 1) + record(label: 10), to: "label/data_batch_2.bin")
        assertDatasetError(try CIFAR10.load(path: directory.path + "/label")) {
            $0 == .malformed(path: directory.path + "/label/data_batch_2.bin", expected: "labels 0 to 9", found: "label 10 in record 1")
        }
    }
}
