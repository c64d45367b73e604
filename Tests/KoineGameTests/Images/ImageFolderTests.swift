import XCTest
@testable import KoineGame

final class ImageFolderTests: XCTestCase {
    let red: (UInt8, UInt8, UInt8) = (200, 30, 30)
    let blue: (UInt8, UInt8, UInt8) = (20, 40, 220)

    /// Two classes written out of name order, PNG and JPEG mixed.
    func makeTree(_ directory: DatasetDirectory, root: String = "tree") throws {
        try directory.writeImage(DatasetDirectory.solid(blue, height: 4, width: 6), height: 4, width: 6, channels: 3, to: "\(root)/zebra/b.png")
        try directory.writeImage(DatasetDirectory.solid(blue, height: 4, width: 6), height: 4, width: 6, channels: 3, to: "\(root)/zebra/a.jpg")
        try directory.writeImage(DatasetDirectory.solid(red, height: 4, width: 6), height: 4, width: 6, channels: 3, to: "\(root)/apple/x.JPEG")
        // Not images: left out.
        try directory.write(Array("notes".utf8), to: "\(root)/apple/README.txt")
        try directory.write([1, 2, 3], to: "\(root)/apple/.hidden.png")
    }

    func testClassesSortedImagesDecoded() throws {
        let directory = try DatasetDirectory()
        try makeTree(directory)
        // A gradient PNG checks the layout: NCHW, exact values.
        let gradient: [UInt8] = (0..<4 * 6).flatMap { (i: Int) -> [UInt8] in [UInt8(i * 10), UInt8(255 - i * 10), 7] }
        try directory.writeImage(gradient, height: 4, width: 6, channels: 3, to: "tree/apple/y.png")
        let set = try ImageFolder.load(root: directory.path + "/tree", channels: 3)
        XCTAssertEqual(set.classNames, ["apple", "zebra"])
        XCTAssertEqual(set.labels, [0, 0, 1, 1], "apple/x.JPEG, apple/y.png, zebra/a.jpg, zebra/b.png")
        XCTAssertEqual([set.count, set.channels, set.height, set.width], [4, 3, 4, 6], "the first image's size")
        for row in 0..<4 {
            for column in 0..<6 {
                let i = row * 6 + column
                XCTAssertEqual(set.pixel(1, channel: 0, row: row, column: column), Float(i * 10) / 255)
                XCTAssertEqual(set.pixel(1, channel: 1, row: row, column: column), Float(255 - i * 10) / 255)
                XCTAssertEqual(set.pixel(1, channel: 2, row: row, column: column), Float(7) / 255)
                // A solid JPEG comes back within a few levels; PNG exactly.
                for (image, colour) in [(0, red), (2, blue)] {
                    for (channel, value) in [colour.0, colour.1, colour.2].enumerated() {
                        XCTAssertEqual(set.pixel(image, channel: channel, row: row, column: column), Float(value) / 255, accuracy: 4 / 255)
                    }
                }
                XCTAssertEqual(set.pixel(3, channel: 2, row: row, column: column), Float(blue.2) / 255)
            }
        }
    }

    func testGreyConversion() throws {
        let directory = try DatasetDirectory()
        try directory.writeImage([UInt8](repeating: 90, count: 4 * 6), height: 4, width: 6, channels: 1, to: "tree/grey/a.png")
        try makeTree(directory)
        let grey = try ImageFolder.load(root: directory.path + "/tree", channels: 1, height: 4, width: 6)
        XCTAssertEqual(grey.channels, 1)
        XCTAssertEqual(grey.classNames, ["apple", "grey", "zebra"])
        XCTAssertEqual(grey.pixels.count, 4 * 4 * 6)
        XCTAssertEqual(grey.pixel(1, channel: 0, row: 2, column: 3), 90 / 255)
        let colour = try ImageFolder.load(root: directory.path + "/tree", channels: 3)
        XCTAssertEqual((0..<3).map { colour.pixel(1, channel: $0, row: 0, column: 0) }, [90 / 255, 90 / 255, 90 / 255])
    }

    func testTrainAndTestDirectoriesAreTheSplit() throws {
        let directory = try DatasetDirectory()
        try makeTree(directory, root: "data/train")
        try makeTree(directory, root: "data/test")
        let dataset = try ImageDataset.load(kind: .folder, path: directory.path + "/data")
        XCTAssertEqual(dataset.train.count, 3)
        XCTAssertEqual(dataset.test.count, 3)
        XCTAssertEqual(dataset.classNames, ["apple", "zebra"])
        XCTAssertEqual(dataset.train.pixels, dataset.test.pixels)
    }

    func testOneTreeHoldsOutEveryTenthImageOfEachClass() throws {
        let directory = try DatasetDirectory()
        for index in 0..<23 {
            let value = UInt8(index)
            try directory.writeImage([UInt8](repeating: value, count: 4), height: 2, width: 2, channels: 1,
                                     to: "data/\(index < 12 ? "a" : "b")/\(String(format: "%02d", index)).png")
        }
        let dataset = try ImageDataset.load(kind: .folder, path: directory.path + "/data", options: ImageDatasetOptions(channels: 1))
        // Class a has images 0…11 (its 10th is 9), class b 12…22 (its 10th is 21).
        XCTAssertEqual(dataset.test.count, 2)
        XCTAssertEqual(dataset.test.labels, [0, 1])
        XCTAssertEqual(dataset.test.pixels.map { Int(($0 * 255).rounded()) }, [9, 9, 9, 9, 21, 21, 21, 21])
        XCTAssertEqual(dataset.train.count, 21)
        XCTAssertFalse(dataset.train.pixels.contains(9 / 255))
    }

    func testBadTreesAreOneClearError() throws {
        let directory = try DatasetDirectory()
        assertDatasetError(try ImageFolder.load(root: directory.path + "/absent", channels: 3)) {
            if case .missing(let path, _) = $0 { return path.hasSuffix("/absent") } else { return false }
        }
        assertDatasetError(try ImageDataset.load(kind: .folder)) {
            if case .missing = $0 { return true } else { return false }
        }
        _ = try directory.directory("flat")
        try directory.writeImage([0, 0, 0, 0], height: 2, width: 2, channels: 1, to: "flat/loose.png")
        assertDatasetError(try ImageFolder.load(root: directory.path + "/flat", channels: 3)) {
            if case .malformed(let path, _, let found) = $0 { return path.hasSuffix("/flat") && found == "no directory" } else { return false }
        }

        try makeTree(directory, root: "empty")
        _ = try directory.directory("empty/nothing")
        try directory.write(Array("x".utf8), to: "empty/nothing/list.txt")
        assertDatasetError(try ImageFolder.load(root: directory.path + "/empty", channels: 3)) {
            $0 == .emptyClass(path: directory.path + "/empty/nothing")
        }

        try makeTree(directory, root: "sizes")
        try directory.writeImage(DatasetDirectory.solid(red, height: 5, width: 6), height: 5, width: 6, channels: 3, to: "sizes/zebra/c.png")
        assertDatasetError(try ImageFolder.load(root: directory.path + "/sizes", channels: 3)) {
            $0 == .wrongImageSize(path: directory.path + "/sizes/zebra/c.png", expected: "4×6", found: "5×6")
        }
        assertDatasetError(try ImageFolder.load(root: directory.path + "/sizes", channels: 3, height: 32, width: 32)) {
            $0 == .wrongImageSize(path: directory.path + "/sizes/apple/x.JPEG", expected: "32×32", found: "4×6")
        }
    }

    func testCorruptAndTruncatedFilesAreRejected() throws {
        let directory = try DatasetDirectory()
        try makeTree(directory, root: "garbage")
        try directory.write(Array("not an image at all".utf8), to: "garbage/zebra/c.png")
        assertDatasetError(try ImageFolder.load(root: directory.path + "/garbage", channels: 3)) {
            if case .malformed(let path, _, _) = $0 { return path.hasSuffix("garbage/zebra/c.png") } else { return false }
        }
        for name in ["a.jpg", "b.png"] {
            try makeTree(directory, root: "cut-\(name)")
            let path = directory.path + "/cut-\(name)/zebra/\(name)"
            let whole = try Data(contentsOf: URL(fileURLWithPath: path))
            try whole.prefix(whole.count * 2 / 3).write(to: URL(fileURLWithPath: path))
            assertDatasetError(try ImageFolder.load(root: directory.path + "/cut-\(name)", channels: 3)) {
                if case .malformed(let found, _, _) = $0 { return found == path } else { return false }
            }
        }
    }

    func testTestClassesMustBeTheTrainingClasses() throws {
        let directory = try DatasetDirectory()
        try makeTree(directory, root: "data/train")
        try makeTree(directory, root: "data/test")
        try directory.writeImage(DatasetDirectory.solid(red, height: 4, width: 6), height: 4, width: 6, channels: 3, to: "data/test/extra/a.png")
        assertDatasetError(try ImageDataset.load(kind: .folder, path: directory.path + "/data")) {
            if case .malformed(let path, _, let found) = $0 { return path.hasSuffix("data/test") && found == "apple, extra, zebra" } else { return false }
        }
    }
}
