import KoineTensor
import XCTest
@testable import KoineGame

final class ShapesDatasetTests: XCTestCase {
    func testSameSeedSamePixelsOtherSeedOthers() {
        let a = ShapesDataset.make(side: 32, train: 50, test: 20, seed: 7)
        let b = ShapesDataset.make(side: 32, train: 50, test: 20, seed: 7)
        let c = ShapesDataset.make(side: 32, train: 50, test: 20, seed: 8)
        XCTAssertEqual(a.train.pixels, b.train.pixels)
        XCTAssertEqual(a.test.pixels, b.test.pixels)
        XCTAssertEqual(a.train.attributes, b.train.attributes)
        XCTAssertNotEqual(a.train.pixels, c.train.pixels)
        XCTAssertNotEqual(a.train.pixels, a.test.pixels, "the splits are independent streams")
        // A split does not depend on the other's size.
        let longer = ShapesDataset.make(side: 32, train: 80, test: 20, seed: 7)
        XCTAssertEqual(longer.test.pixels, a.test.pixels)
        XCTAssertEqual(Array(longer.train.pixels.prefix(a.train.pixels.count)), a.train.pixels)
    }

    func testShapeAndLayout() {
        let set = ShapesDataset.make(side: 32, train: 10, test: 3, seed: 1).train
        XCTAssertEqual(set.count, 10)
        XCTAssertEqual([set.channels, set.height, set.width], [3, 32, 32])
        XCTAssertEqual(set.pixels.count, 10 * 3 * 32 * 32)
        XCTAssertTrue(set.pixels.allSatisfy { $0 >= 0 && $0 <= 1 })
        XCTAssertEqual(set.classNames, ShapeRenderer.shapes)
        let attributes = try! XCTUnwrap(set.attributes)
        XCTAssertEqual(attributes.names, ["shape", "colour", "size", "position"])
        XCTAssertEqual(attributes.sizes, [4, 8, 2, 4])
        for index in 0..<set.count {
            XCTAssertEqual(set.labels[index], attributes.value(of: index, attribute: 0), "the class is the shape")
        }
    }

    /// Each image's colour is at its shape's centre, and the image is black
    /// outside the shape's box: the attributes describe the pixels.
    func testAttributesMatchPixels() throws {
        let side = 32
        let set = ShapesDataset.make(side: side, train: 200, test: 0, seed: 3).train
        let attributes = try XCTUnwrap(set.attributes)
        let pictures = ShapesDataset.pictures(count: 200, side: side, random: Random(seed: 3).split(0x5348_4150_4553).split(0))
        for index in 0..<set.count {
            let picture = pictures[index]
            XCTAssertEqual(attributes.values(of: index), [picture.shape, picture.colour, picture.size, picture.position])
            let (row, column) = ShapeRenderer.centre(of: picture, side: side)
            let (r, g, b) = ShapeRenderer.rgb[picture.colour]
            XCTAssertEqual((0..<3).map { set.pixel(index, channel: $0, row: row, column: column) },
                           [Float(r) / 255, Float(g) / 255, Float(b) / 255], "image \(index): its colour at its centre")
            // The quadrant named by the position holds the centre.
            XCTAssertEqual(row < side / 2, picture.position < 2)
            XCTAssertEqual(column < side / 2, picture.position % 2 == 0)
            let radius = ShapeRenderer.radius(size: picture.size, side: side)
            var lit = 0
            for y in 0..<side {
                for x in 0..<side where set.pixel(index, channel: 0, row: y, column: x) + set.pixel(index, channel: 1, row: y, column: x)
                        + set.pixel(index, channel: 2, row: y, column: x) > 0 {
                    lit += 1
                    XCTAssertTrue(abs(y - row + 0) <= radius && abs(x - column) <= radius, "image \(index): lit pixel outside its shape's box")
                }
            }
            XCTAssertGreaterThan(lit, picture.size == 0 ? 10 : 40)
            XCTAssertLessThanOrEqual(lit, 4 * radius * radius)
        }
    }

    /// The shapes differ where they should: a square fills its box's corners, a
    /// circle and a cross do not; a triangle is narrow at the top and wide at the bottom.
    func testShapesHaveTheirOutlines() {
        let side = 32
        func draw(_ shape: Int) -> [Float] {
            var planes = [Float](repeating: 0, count: 3 * side * side)
            planes.withUnsafeMutableBufferPointer {
                ShapeRenderer.draw(ShapePicture(shape: shape, colour: 6, size: 1, position: 0), side: side, into: $0.baseAddress!)
            }
            return planes
        }
        let (row, column) = (8, 8), radius = 7
        func lit(_ planes: [Float], _ y: Int, _ x: Int) -> Bool { planes[y * side + x] > 0 }
        let square = draw(0), circle = draw(1), triangle = draw(2), cross = draw(3)
        let corner = (row - radius, column - radius)
        XCTAssertTrue(lit(square, corner.0, corner.1))
        XCTAssertFalse(lit(circle, corner.0, corner.1))
        XCTAssertFalse(lit(cross, corner.0, corner.1))
        XCTAssertTrue(lit(cross, row, column - radius) && lit(cross, row - radius, column))
        let width = { (y: Int) in (0..<side).filter { lit(triangle, y, $0) }.count }
        XCTAssertLessThan(width(row - radius), 4)
        XCTAssertEqual(width(row + radius - 1), 2 * radius)
        XCTAssertEqual(square.filter { $0 > 0 }.count, 3 * 4 * radius * radius)
    }

    /// Attribute tuples are object ids of the attribute game's space, so topsim
    /// and posdis apply to images as they do to tuples.
    func testAttributesAreObjectSpaceIds() throws {
        let set = ShapesDataset.make(side: 32, train: 100, test: 0, seed: 2).train
        let attributes = try XCTUnwrap(set.attributes)
        let space = try ObjectSpace(attributes: attributes.sizes, holdout: 0, random: Random(seed: 1))
        for index in 0..<set.count {
            XCTAssertEqual(space.values(of: attributes.object(of: index)), attributes.values(of: index))
        }
    }

    func testLargerSidesScale() {
        let set = ShapesDataset.make(side: 64, train: 5, test: 0, seed: 1).train
        XCTAssertEqual([set.height, set.width], [64, 64])
        XCTAssertTrue(set.pixels.contains { $0 > 0 })
    }
}
