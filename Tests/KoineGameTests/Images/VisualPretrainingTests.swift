import XCTest
@testable import KoineGame
import KoineTensor

/// Classifier pretraining of the visual stack: it learns the data set's
/// classes (far above chance on held-out images), and its weights file loads
/// into a `pretrained` encoder whose cached features are the trained stack's.
final class VisualPretrainingTests: XCTestCase {
    func testTheStackLearnsTheClassesAndItsFileLoads() throws {
        let dataset = try ImageDataset.load(kind: .shapes, options: ImageDatasetOptions(seed: 3, shapesSide: 16, shapesTrain: 512, shapesTest: 128))
        let settings = VisualEncoderSettings(mode: .learned, widths: [8, 16], convolutionsPerBlock: 1, batchNorm: true)
        let pretraining = try VisualPretraining(dataset: dataset, settings: settings, batch: 32, learningRate: 0.003, seed: 1)
        let before = pretraining.testAccuracy()
        for _ in 0..<(8 * pretraining.stepsPerEpoch) { _ = pretraining.step() }
        let after = pretraining.testAccuracy()
        // Four shapes: chance is 0.25. Budget: 8 passes over 512 images.
        XCTAssertLessThan(before, 0.45, "an untrained stack classifies near chance")
        XCTAssertGreaterThan(after, 0.7, "held-out accuracy after pretraining")

        let path = FileManager.default.temporaryDirectory.appendingPathComponent("pretrained-\(UUID().uuidString).weights").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try pretraining.file.write(to: path)
        var frozen = settings
        frozen.mode = .pretrained
        frozen.pretrainedPath = path
        let loaded = try VisualEncoder(images: dataset.train, settings: frozen, hidden: 4, maxBatch: 32, optimizer: OptimizerSettings(),
                                       initializer: Random(seed: 9))
        XCTAssertEqual(Array(loaded.stackParameters.valueBuffer.prefix(settings.layout(inputChannels: 3).parameterCount)),
                       Array(pretraining.encoder.stackParameters.valueBuffer.prefix(settings.layout(inputChannels: 3).parameterCount)),
                       "the file holds the trained stack")
    }
}
