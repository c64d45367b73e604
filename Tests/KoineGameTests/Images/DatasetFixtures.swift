import CImageCodecs
import Foundation
import XCTest
@testable import KoineGame

/// Small data sets written by the tests themselves, in a fresh directory each.
final class DatasetDirectory {
    let path: String

    init() throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("koine-datasets-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    /// `path/relative`, its parent directories created.
    func file(_ relative: String) throws -> String {
        let full = path + "/" + relative
        try FileManager.default.createDirectory(atPath: (full as NSString).deletingLastPathComponent,
                                                withIntermediateDirectories: true)
        return full
    }

    func directory(_ relative: String) throws -> String {
        let full = path + "/" + relative
        try FileManager.default.createDirectory(atPath: full, withIntermediateDirectories: true)
        return full
    }

    func write(_ bytes: [UInt8], to relative: String) throws {
        try Data(bytes).write(to: URL(fileURLWithPath: try file(relative)))
    }

    /// Writes `bytes` gzipped with zlib.
    func writeGzip(_ bytes: [UInt8], to relative: String) throws {
        let file = try file(relative)
        let handle = try XCTUnwrap(gzopen(file, "wb"))
        let written = bytes.withUnsafeBytes { gzwrite(handle, $0.baseAddress, UInt32($0.count)) }
        XCTAssertEqual(gzclose(handle), Z_OK)
        XCTAssertEqual(Int(written), bytes.count)
    }

    /// Writes interleaved 8-bit `pixels` as a PNG or a JPEG (by the name's extension).
    func writeImage(_ pixels: [UInt8], height: Int, width: Int, channels: Int, to relative: String) throws {
        precondition(pixels.count == height * width * channels)
        let file = try file(relative)
        let status = relative.hasSuffix(".png")
            ? koine_write_png(file, pixels, Int32(height), Int32(width), Int32(channels))
            : koine_write_jpeg(file, pixels, Int32(height), Int32(width), Int32(channels), 95)
        XCTAssertEqual(status, 0, "writing \(relative)")
    }

    /// A height × width image of one RGB colour.
    static func solid(_ colour: (UInt8, UInt8, UInt8), height: Int, width: Int) -> [UInt8] {
        var pixels: [UInt8] = []
        for _ in 0..<height * width { pixels += [colour.0, colour.1, colour.2] }
        return pixels
    }
}

/// Asserts that `body` throws an `ImageDatasetError` matching `expected`, whose
/// description is one line naming the error's path.
func assertDatasetError<T>(_ body: @autoclosure () throws -> T, file: StaticString = #filePath, line: UInt = #line,
                           _ expected: (ImageDatasetError) -> Bool) {
    do {
        _ = try body()
        XCTFail("loaded a bad data set", file: file, line: line)
    } catch let error as ImageDatasetError {
        XCTAssertTrue(expected(error), "unexpected error: \(error)", file: file, line: line)
        XCTAssertFalse(error.description.contains("\n"), "one line: \(error)", file: file, line: line)
        XCTAssertTrue(error.description.contains(error.path), "names \(error.path): \(error)", file: file, line: line)
    } catch {
        XCTFail("not an ImageDatasetError: \(error)", file: file, line: line)
    }
}
