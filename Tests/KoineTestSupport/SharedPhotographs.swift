import Foundation
import XCTest

/// Classes of the JPEG copy of CIFAR-10 in ../shared/data (see its README),
/// unpacked for tests that train on real photographs; such a test is skipped,
/// saying why, on a machine without the archive.
public enum SharedPhotographs {
    public static let archive = packageDirectory.appendingPathComponent("../shared/data/cifar10-jpeg.tar.gz").standardized.path

    /// The training and test images of `classes`, unpacked into a fresh
    /// directory: returns its image-folder tree (`train/<class>`, `test/<class>`).
    public static func unpack(_ classes: [String], label: String) throws -> URL {
        guard FileManager.default.fileExists(atPath: archive) else {
            throw XCTSkip("\(archive) is absent: this machine has no copy of the CIFAR-10 JPEG data set")
        }
        let directory = try makeTemporaryDirectory(label)
        let members = classes.flatMap { ["cifar10/train/\($0)", "cifar10/test/\($0)"] }
        let result = try runProcess("/usr/bin/env", ["tar", "-xzf", archive, "-C", directory.path] + members)
        XCTAssertEqual(result.status, 0, "tar: \(result.standardError)")
        return directory.appendingPathComponent("cifar10")
    }
}
