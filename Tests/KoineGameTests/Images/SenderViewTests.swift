import XCTest
@testable import KoineGame
import KoineTensor

/// The sender's augmented view in the visual encoder: appended rows encode
/// the altered images — checked against an encoder that holds those images
/// as images of its own — and an unaltered view encodes like the scene.
final class SenderViewTests: XCTestCase {
    let side = 8, channels = 3

    func randomPixels(count: Int, seed: UInt64) -> [Float] {
        var random = Random(seed: seed)
        return (0..<(count * channels * side * side)).map { _ in random.nextFloat() }
    }

    func images(_ pixels: [Float]) -> ImageSet {
        let count = pixels.count / (channels * side * side)
        return ImageSet(channels: channels, height: side, width: side, pixels: pixels, labels: Array(repeating: 0, count: count),
                        classNames: ["any"])
    }

    func makeEncoder(_ images: ImageSet, mode: VisualEncoderMode, standardizeOver: Int) throws -> VisualEncoder {
        try VisualEncoder(images: images, settings: VisualEncoderSettings(mode: mode, widths: [4, 6], convolutionsPerBlock: 2),
                          hidden: 5, maxBatch: 6, optimizer: OptimizerSettings(), initializer: Random(seed: 12),
                          standardizeOver: standardizeOver, augmentedCapacity: 3)
    }

    /// Image `index` of NCHW `pixels` turned by `turns` quarter turns, NCHW, plane by plane.
    func turned(_ pixels: [Float], index: Int, turns: Int) -> [Float] {
        let plane = side * side
        var out = [Float](repeating: 0, count: channels * plane)
        let shape = ImageShape(height: side, width: side, channels: 1)
        pixels.withUnsafeBufferPointer { source in
            out.withUnsafeMutableBufferPointer { target in
                for c in 0..<channels {
                    ImageAugmentation.rotate(source.baseAddress! + (index * channels + c) * plane, quarterTurns: turns, shape: shape,
                                             into: target.baseAddress! + c * plane)
                }
            }
        }
        return out
    }

    func testQuarterTurnedRowsEncodeTheTurnedImages() throws {
        for mode in [VisualEncoderMode.frozenRandom, .learned] {
            let pixels = randomPixels(count: 10, seed: 11)
            let encoder = try makeEncoder(images(pixels), mode: mode, standardizeOver: 10)
            encoder.select([7, 2, 9])
            var random = Random(seed: 3)
            encoder.appendAugmented(first: 3, augmentation: ImageAugmentation(rotation: .quarterTurns), random: &random)
            XCTAssertEqual(encoder.augmentedRows, 3..<6)
            encoder.training = false
            encoder.forward()
            let rotations = encoder.rotations.array
            XCTAssertEqual(rotations.count, 3)
            XCTAssertNotEqual(Set(rotations), [0], "seed 3 turns at least one image")
            // The same images, turned by hand, as images 10–12 of a second encoder
            // with the same seed and the same standardisation (over images 0–9).
            let extended = pixels + [7, 2, 9].enumerated().flatMap { turned(pixels, index: $0.element, turns: rotations[$0.offset]) }
            let reference = try makeEncoder(images(extended), mode: mode, standardizeOver: 10)
            reference.select([10, 11, 12])
            reference.training = false
            reference.forward()
            for row in 0..<3 {
                for column in 0..<5 {
                    let expected = reference.table[row, column]
                    XCTAssertEqual(encoder.table[3 + row, column], expected, accuracy: 1e-4 * max(1, abs(expected)), "\(mode) row \(row)")
                }
            }
        }
    }

    func testAnUnalteredViewEncodesLikeTheScene() throws {
        for mode in [VisualEncoderMode.frozenRandom, .learned] {
            let encoder = try makeEncoder(images(randomPixels(count: 10, seed: 5)), mode: mode, standardizeOver: 10)
            encoder.select([4, 0, 8])
            var random = Random(seed: 1)
            encoder.appendAugmented(first: 2, augmentation: ImageAugmentation(), random: &random)
            encoder.training = false
            encoder.forward()
            XCTAssertEqual(encoder.rotations.array, [0, 0])
            for row in 0..<2 {
                for column in 0..<5 {
                    XCTAssertEqual(encoder.table[3 + row, column], encoder.table[row, column], accuracy: 1e-5, "\(mode)")
                }
            }
            // A new selection drops the view.
            encoder.select([1])
            XCTAssertEqual(encoder.augmentedRows, 0..<0)
            XCTAssertEqual(encoder.batch, 1)
        }
    }
}
