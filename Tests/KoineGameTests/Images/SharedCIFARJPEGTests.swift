import Foundation
import XCTest
@testable import KoineGame

/// The JPEG copy of CIFAR-10 in ../shared/data (see its README), when this
/// machine has it: the folder loader on real files.
final class SharedCIFARJPEGTests: XCTestCase {
    static let archive = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("../shared/data/cifar10-jpeg.tar.gz").standardized.path

    /// Unpacks `members` of the archive (all of it when empty) into a fresh directory.
    func unpack(_ members: [String]) throws -> DatasetDirectory {
        guard FileManager.default.fileExists(atPath: Self.archive) else {
            throw XCTSkip("\(Self.archive) is absent: this machine has no copy of the CIFAR-10 JPEG data set")
        }
        let directory = try DatasetDirectory()
        let tar = Process()
        tar.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        tar.arguments = ["tar", "-xzf", Self.archive, "-C", directory.path] + members
        try tar.run()
        tar.waitUntilExit()
        XCTAssertEqual(tar.terminationStatus, 0, "tar -xzf \(Self.archive)")
        return directory
    }

    func testAFewClasses() throws {
        let classes = ["cat", "dog", "ship"]
        let directory = try unpack(classes.flatMap { ["cifar10/train/\($0)", "cifar10/test/\($0)"] })
        let dataset = try ImageDataset.load(kind: .folder, path: directory.path + "/cifar10",
                                            options: ImageDatasetOptions(height: 32, width: 32))
        XCTAssertEqual(dataset.classNames, classes)
        XCTAssertEqual([dataset.train.count, dataset.test.count], [15_000, 3_000])
        XCTAssertEqual([dataset.channels, dataset.height, dataset.width], [3, 32, 32])
        XCTAssertEqual(dataset.test.labels.filter { $0 == 2 }.count, 1_000)
        // Natural photographs: neither black nor white on average, and varied.
        let mean = dataset.train.pixels.reduce(0, +) / Float(dataset.train.pixels.count)
        XCTAssertTrue((0.3...0.7).contains(mean), "mean pixel \(mean)")
        XCTAssertGreaterThan(Set(dataset.test.image(0)).count, 50)
    }

    /// The decode time of all 60,000 images; a measurement, run when
    /// KOINE_BENCH_DATASETS is set (it unpacks 60,000 files and holds 740 MB).
    func testDecodeTimeOfTheWholeCopy() throws {
        guard ProcessInfo.processInfo.environment["KOINE_BENCH_DATASETS"] != nil else {
            throw XCTSkip("a measurement: set KOINE_BENCH_DATASETS=1 to run it")
        }
        let directory = try unpack([])
        let start = Date()
        let dataset = try ImageDataset.load(kind: .folder, path: directory.path + "/cifar10",
                                            options: ImageDatasetOptions(height: 32, width: 32))
        let seconds = Date().timeIntervalSince(start)
        XCTAssertEqual([dataset.train.count, dataset.test.count], [50_000, 10_000])
        print("CIFAR-10 JPEG copy: 60,000 images decoded in \(String(format: "%.2f", seconds)) s "
              + "(\(String(format: "%.1f", seconds / 60_000 * 1e6)) µs an image)")
    }
}
