import XCTest
@testable import KoineGame
import KoineTensor

/// The sender's augmentations: rotations exact on a known image, any angle
/// agreeing with quarter turns, the noise's statistics, and determinism by seed.
final class ImageAugmentationTests: XCTestCase {
    /// A 3 × 3 image of 2 channels: pixel (y, x) holds (10·y + x, −(10·y + x)).
    func knownImage(_ arena: Arena) -> (Matrix, ImageShape) {
        let shape = ImageShape(height: 3, width: 3, channels: 2)
        let image = arena.matrix(rows: 1, columns: shape.count)
        for y in 0..<3 { for x in 0..<3 { image[0, (y * 3 + x) * 2] = Float(10 * y + x); image[0, (y * 3 + x) * 2 + 1] = -Float(10 * y + x) } }
        return (image, shape)
    }

    /// The first channel of an image, row by row.
    func firstChannel(_ image: Matrix, row: Int = 0, side: Int = 3) -> [[Float]] {
        (0..<side).map { y in (0..<side).map { x in image[row, (y * side + x) * 2] } }
    }

    func testQuarterTurnsByHand() {
        let arena = Arena()
        let (image, shape) = knownImage(arena)
        let rotated = arena.matrix(rows: 1, columns: shape.count)
        // One turn counterclockwise: the right column becomes the top row (numpy's rot90).
        ImageAugmentation.rotate(image.row(0), quarterTurns: 1, shape: shape, into: rotated.row(0))
        XCTAssertEqual(firstChannel(rotated), [[2, 12, 22], [1, 11, 21], [0, 10, 20]])
        XCTAssertEqual(rotated[0, 1], -2)   // channels travel with their pixel
        ImageAugmentation.rotate(image.row(0), quarterTurns: 2, shape: shape, into: rotated.row(0))
        XCTAssertEqual(firstChannel(rotated), [[22, 21, 20], [12, 11, 10], [2, 1, 0]])
        ImageAugmentation.rotate(image.row(0), quarterTurns: 3, shape: shape, into: rotated.row(0))
        XCTAssertEqual(firstChannel(rotated), [[20, 10, 0], [21, 11, 1], [22, 12, 2]])
        ImageAugmentation.rotate(image.row(0), quarterTurns: 4, shape: shape, into: rotated.row(0))
        XCTAssertEqual(rotated.array, image.array)
    }

    /// A rotation by exactly 90°, 180° or 270° through bilinear sampling lands
    /// every sample on a pixel: the same image as the quarter turns.
    func testAnyAngleAtQuarterTurnsIsExact() {
        let arena = Arena()
        let shape = ImageShape(height: 6, width: 6, channels: 3)
        let image = arena.matrix(rows: 1, columns: shape.count), byAngle = arena.matrix(rows: 1, columns: shape.count)
        let byTurns = arena.matrix(rows: 1, columns: shape.count)
        var random = Random(seed: 4)
        for i in 0..<shape.count { image[0, i] = random.nextFloat() }
        for turns in 1...3 {
            ImageAugmentation.rotate(image.row(0), angle: Float(turns) * .pi / 2, shape: shape, into: byAngle.row(0))
            ImageAugmentation.rotate(image.row(0), quarterTurns: turns, shape: shape, into: byTurns.row(0))
            for (a, b) in zip(byAngle.array, byTurns.array) { XCTAssertEqual(a, b, accuracy: 1e-5, "\(turns) turns") }
        }
        // 45° on 9 × 9: a corner samples 1.66 rows above the image, so it is
        // zero; the centre stays; (0, 4) samples inside, 2.83 pixels from the centre.
        let square = ImageShape(height: 9, width: 9, channels: 1)
        let plain = arena.matrix(rows: 1, columns: 81), turned = arena.matrix(rows: 1, columns: 81)
        plain.fill(1)
        ImageAugmentation.rotate(plain.row(0), angle: .pi / 4, shape: square, into: turned.row(0))
        XCTAssertEqual(turned[0, 0], 0)
        XCTAssertEqual(turned[0, 40], 1, accuracy: 1e-6)
        XCTAssertEqual(turned[0, 4], 1, accuracy: 1e-5)
    }

    func testNoiseHasItsStandardDeviationAndNoMean() {
        let arena = Arena()
        let shape = ImageShape(height: 64, width: 64, channels: 3), images = 4
        let clean = arena.matrix(rows: images, columns: shape.count), noisy = arena.matrix(rows: images, columns: shape.count)
        clean.fill(0.25)
        var random = Random(seed: 7)
        ImageAugmentation(noise: 0.5).apply(clean, shape: shape, into: noisy, random: &random)
        let deviations = noisy.array.map { Double($0) - 0.25 }
        let mean = deviations.reduce(0, +) / Double(deviations.count)
        let sd = (deviations.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(deviations.count)).squareRoot()
        // 49,152 draws: the mean's standard error is 0.0023, the sd's 0.0016.
        XCTAssertEqual(mean, 0, accuracy: 0.01)
        XCTAssertEqual(sd, 0.5, accuracy: 0.01)
    }

    /// The same seed gives the same augmented images and rotation classes; the
    /// classes are the quarter turns applied.
    func testDeterministicBySeedAndRecordsTheRotation() {
        let arena = Arena()
        let shape = ImageShape(height: 8, width: 8, channels: 3), images = 16
        let clean = arena.matrix(rows: images, columns: shape.count)
        var fill = Random(seed: 1)
        for r in 0..<images { for i in 0..<shape.count { clean[r, i] = fill.nextFloat() } }
        let augmentation = ImageAugmentation(noise: 0.1, rotation: .quarterTurns)
        var outputs: [[Float]] = [], classes: [[Int]] = []
        for seed: UInt64 in [3, 3, 4] {
            let out = arena.matrix(rows: images, columns: shape.count), turns = arena.indices(images)
            var random = Random(seed: seed)
            augmentation.apply(clean, shape: shape, into: out, rotations: turns, random: &random)
            outputs.append(out.array)
            classes.append(turns.array)
        }
        XCTAssertEqual(outputs[0], outputs[1])
        XCTAssertEqual(classes[0], classes[1])
        XCTAssertNotEqual(outputs[0], outputs[2])
        XCTAssertEqual(Set(classes[0]).count, 4, "16 images draw every quarter turn (this seed)")
        // Without noise, each image is exactly its recorded rotation.
        let out = arena.matrix(rows: images, columns: shape.count), turns = arena.indices(images)
        let expected = arena.matrix(rows: images, columns: shape.count)
        var random = Random(seed: 5)
        ImageAugmentation(rotation: .quarterTurns).apply(clean, shape: shape, into: out, rotations: turns, random: &random)
        for r in 0..<images { ImageAugmentation.rotate(clean.row(r), quarterTurns: turns[r], shape: shape, into: expected.row(r)) }
        XCTAssertEqual(out.array, expected.array)
        XCTAssertTrue(ImageAugmentation().isIdentity)
    }
}
