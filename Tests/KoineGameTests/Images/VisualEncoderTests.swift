import CAllocationCounter
import Foundation
import XCTest
@testable import KoineGame
import KoineTensor

/// The visual encoder: whole-encoder gradients against finite differences,
/// the frozen modes' feature cache, the pretrained weights file, and a learned
/// step that does not allocate.
final class VisualEncoderTests: XCTestCase {
    /// `count` images of uniform pixels in [0, 1], from `seed`.
    func randomImages(count: Int, channels: Int, side: Int, seed: UInt64) -> ImageSet {
        var random = Random(seed: seed)
        let pixels = (0..<(count * channels * side * side)).map { _ in random.nextFloat() }
        return ImageSet(channels: channels, height: side, width: side, pixels: pixels, labels: Array(repeating: 0, count: count), classNames: ["any"])
    }

    func encoder(_ images: ImageSet, _ settings: VisualEncoderSettings, hidden: Int, maxBatch: Int, seed: UInt64) throws -> VisualEncoder {
        try VisualEncoder(images: images, settings: settings, hidden: hidden, maxBatch: maxBatch, optimizer: OptimizerSettings(),
                          initializer: Random(seed: seed))
    }

    // MARK: gradients

    /// ReLU and max-pool have kinks, and a finite difference across one is
    /// meaningless, so each check runs on the first seed whose forward keeps
    /// every ReLU input and the two largest values of every pooling window
    /// (whose largest is positive) at least `margin` apart: ten times the step
    /// `epsilon`. The search is deterministic and fails loudly when no seed
    /// qualifies. Images are 4 × 4 so that few values can fall near a kink.
    static let margin: Float = 0.01
    static let epsilon: Float = 1e-3

    func testLearnedGradientsWithBatchNorm() throws {
        try checkFirstClearSeed(VisualEncoderSettings(widths: [4, 6], convolutionsPerBlock: 2, batchNorm: true), channels: 3, seeds: 1..<3001)
    }

    func testLearnedGradientsWithoutBatchNorm() throws {
        // Without batch norm the convolutions have biases, checked here.
        try checkFirstClearSeed(VisualEncoderSettings(widths: [3, 4], convolutionsPerBlock: 1, batchNorm: false), channels: 2, seeds: 1..<3001)
    }

    func checkFirstClearSeed(_ settings: VisualEncoderSettings, channels: Int, seeds: Range<UInt64>,
                             file: StaticString = #filePath, line: UInt = #line) throws {
        for seed in seeds where try gradientCheck(settings, channels: channels, seed: seed, check: false) {
            _ = try gradientCheck(settings, channels: channels, seed: seed, check: true, file: file, line: line)
            return
        }
        XCTFail("no seed in \(seeds) keeps the encoder's forward away from its kinks", file: file, line: line)
    }

    /// Builds a learned encoder (batch 3 of 5 images, hidden 5) from `seed`;
    /// whether its forward is clear of the kinks and, when `check`, every
    /// parameter block's gradient of Σ w ⊙ table against central differences.
    func gradientCheck(_ settings: VisualEncoderSettings, channels: Int, seed: UInt64, check: Bool,
                       file: StaticString = #filePath, line: UInt = #line) throws -> Bool {
        let images = randomImages(count: 5, channels: channels, side: 4, seed: seed)
        let encoder = try encoder(images, settings, hidden: 5, maxBatch: 4, seed: seed)
        encoder.select([3, 0, 4])
        var random = Random(seed: seed ^ 0xFFFF)
        let weights = (0..<(3 * 5)).map { _ in random.nextFloat() * 2 - 1 }
        let loss = { () -> Double in
            encoder.forward()
            var total = 0.0
            for r in 0..<3 { for c in 0..<5 { total += Double(encoder.table[r, c]) * Double(weights[r * 5 + c]) } }
            return total
        }
        _ = loss()
        guard kinkMargin(encoder.stack, batch: 3) >= Self.margin else { return false }
        guard check else { return true }
        encoder.module.parameters.zeroGradients()
        _ = loss()
        for r in 0..<3 { for c in 0..<5 { encoder.tableGradient[r, c] = weights[r * 5 + c] } }
        encoder.backward()
        XCTAssertTrue(encoder.tableGradient.array.allSatisfy { $0 == 0 }, "backward clears the table gradient", file: file, line: line)
        var blocks: [(String, Parameter)] = []
        for (index, layer) in encoder.stack.layers.enumerated() {
            blocks.append(("conv \(index) weight", layer.convolution.weight))
            if let bias = layer.convolution.bias { blocks.append(("conv \(index) bias", bias)) }
            if let norm = layer.norm { blocks += [("norm \(index) scale", norm.scale), ("norm \(index) shift", norm.shift)] }
        }
        blocks += [("linear weight", encoder.projection.weight), ("linear bias", encoder.projection.bias!)]
        XCTAssertEqual(blocks.map { $0.1.value.count }.reduce(0, +), encoder.module.parameters.count, "every parameter is in a checked block")
        for (label, parameter) in blocks {
            assertCentralDifferences(label: "seed \(seed) \(label)", parameter: parameter, file: file, line: line, loss: loss)
        }
        return true
    }

    /// |analytic − numeric| ≤ 2e-2 · max(0.1, |analytic|, |numeric|) for every
    /// value, and some value of the block has a gradient.
    func assertCentralDifferences(label: String, parameter: Parameter, file: StaticString, line: UInt, loss: () -> Double) {
        let values = parameter.value.base, gradients = parameter.gradient.base
        var largest = 0.0
        for i in 0..<parameter.value.count {
            let saved = values[i]
            values[i] = saved + Self.epsilon
            let plus = loss()
            values[i] = saved - Self.epsilon
            let minus = loss()
            values[i] = saved
            let numeric = (plus - minus) / Double(2 * Self.epsilon), analytic = Double(gradients[i])
            largest = max(largest, abs(numeric))
            XCTAssertLessThanOrEqual(abs(analytic - numeric), 2e-2 * max(0.1, abs(analytic), abs(numeric)),
                                     "\(label): value \(i) analytic \(analytic) numeric \(numeric)", file: file, line: line)
        }
        XCTAssertGreaterThan(largest, 1e-4, "\(label): no value has a gradient", file: file, line: line)
        if ProcessInfo.processInfo.environment["KOINE_GRADCHECK_VERBOSE"] != nil {
            print("gradcheck \(label): \(parameter.value.count) values, largest numeric gradient \(largest)")
        }
    }

    /// The smallest distance of the last forward from a kink: |ReLU input|,
    /// and the gap between a pooling window's two largest values when the
    /// largest is positive.
    func kinkMargin(_ stack: VisualStack, batch: Int) -> Float {
        var margin = Float.infinity
        for layer in stack.layers {
            // The ReLU's input: the convolution's output, through batch norm's per-channel map when there is one.
            let channels = layer.convolution.output.channels
            for (index, value) in layer.preActivations.rows(0..<batch).array.enumerated() {
                let input = layer.cache.map { value * $0.slope[index % channels] + $0.intercept[index % channels] } ?? value
                margin = min(margin, abs(input))
            }
            guard let block = layer.pool else { continue }
            let shape = stack.pools[block].input, activations = layer.activations
            for n in 0..<batch {
                for y in 0..<(shape.height / 2) {
                    for x in 0..<(shape.width / 2) {
                        for c in 0..<shape.channels {
                            let window = [(0, 0), (0, 1), (1, 0), (1, 1)].map { dy, dx in
                                activations[n, ((2 * y + dy) * shape.width + 2 * x + dx) * shape.channels + c]
                            }.sorted(by: >)
                            if window[0] > 0 { margin = min(margin, window[0] - window[1]) }
                        }
                    }
                }
            }
        }
        return margin
    }

    // MARK: input

    /// The data set's NCHW pixels land in the layers' NHWC rows, in the
    /// selected order (a non-square image, so height and width cannot swap unseen).
    func testGatherTurnsNCHWIntoNHWC() throws {
        var random = Random(seed: 5)
        let channels = 2, height = 4, width = 6
        let pixels = (0..<(3 * channels * height * width)).map { _ in random.nextFloat() }
        let images = ImageSet(channels: channels, height: height, width: width, pixels: pixels, labels: [0, 0, 0], classNames: ["any"])
        let encoder = try encoder(images, VisualEncoderSettings(widths: [3], convolutionsPerBlock: 1), hidden: 2, maxBatch: 2, seed: 6)
        encoder.select([2, 0])
        encoder.gather(encoder.selected.prefix(2), into: encoder.input)
        for (row, index) in [2, 0].enumerated() {
            for y in 0..<height {
                for x in 0..<width {
                    for c in 0..<channels {
                        XCTAssertEqual(encoder.input[row, (y * width + x) * channels + c], images.pixel(index, channel: c, row: y, column: x))
                    }
                }
            }
        }
    }

    // MARK: frozen modes

    /// The cache, filled in chunks of `maxBatch` (4, 4, 2 of 10 images), gives
    /// what a fresh evaluation-mode forward gives, standardised; each channel
    /// has mean 0 and standard deviation 1 over the data set; the module is
    /// the linear map alone, and a step leaves the stack as it was.
    func testFrozenCacheMatchesAFreshForward() throws {
        let images = randomImages(count: 10, channels: 3, side: 8, seed: 11)
        let encoder = try encoder(images, VisualEncoderSettings(mode: .frozenRandom, widths: [4, 6], convolutionsPerBlock: 2),
                                  hidden: 5, maxBatch: 4, seed: 12)
        XCTAssertEqual(encoder.module.parameters.count, Linear.parameterCount(input: 6, output: 5))
        let stackChecksum = encoder.stackParameters.checksum()
        let chosen = [7, 2, 9]
        encoder.select(chosen)
        encoder.forward()
        let cached = encoder.features.array, table = encoder.table.array
        encoder.gather(encoder.selected.prefix(3), into: encoder.input)
        encoder.stack.forward(encoder.input.rows(0..<3), training: false)
        let raw = encoder.stack.features.rows(0..<3)
        XCTAssertGreaterThan(raw.array.map(abs).max()!, 0)
        for r in 0..<3 {
            for c in 0..<6 {
                let fresh = (raw[r, c] - encoder.featureMean[c]) * encoder.featureScale[c]
                XCTAssertEqual(cached[r * 6 + c], fresh, accuracy: 1e-4 * max(1, abs(fresh)))
            }
        }
        let all = encoder.featureCache!
        var standardised = 0
        for c in 0..<6 {
            let column = (0..<10).map { Double(all[$0, c]) }, mean = column.reduce(0, +) / 10
            let deviation = (column.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 10).squareRoot()
            XCTAssertEqual(mean, 0, accuracy: 1e-5)
            // A channel the ReLUs silence for every image stays 0.
            XCTAssertTrue(abs(deviation - 1) < 1e-4 || deviation == 0, "channel \(c): standard deviation \(deviation)")
            if deviation > 0 { standardised += 1 }
        }
        XCTAssertGreaterThan(standardised, 0)
        encoder.tableGradient.fill(1)
        encoder.backward()
        XCTAssertGreaterThan(encoder.module.parameters.gradientNorm(), 0)
        encoder.module.step()
        XCTAssertEqual(encoder.stackParameters.checksum(), stackChecksum)
        encoder.forward()
        XCTAssertEqual(encoder.features.array, cached)
        XCTAssertNotEqual(encoder.table.array, table, "the linear map learns")
    }

    // MARK: pretrained weights file

    func temporaryPath(_ name: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("koine-visual-\(ProcessInfo.processInfo.processIdentifier)-\(name)").path
    }

    /// A learned encoder's stack, after two steps (so the running statistics
    /// moved), written and read back; a pretrained encoder built from the file
    /// gives the learned one's evaluation-mode features, standardised.
    func testPretrainedFileRoundTrip() throws {
        let images = randomImages(count: 6, channels: 3, side: 8, seed: 21)
        let settings = VisualEncoderSettings(widths: [4, 6], convolutionsPerBlock: 2)
        let learned = try encoder(images, settings, hidden: 5, maxBatch: 4, seed: 22)
        learned.select([0, 1, 2, 3])
        for _ in 0..<2 {
            learned.forward()
            learned.tableGradient.fill(0.5)
            learned.backward()
            learned.module.step()
        }
        let path = temporaryPath("round-trip.weights")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try learned.stackFile.write(to: path)
        let file = try VisualEncoderFile.read(from: path)
        XCTAssertEqual(file, learned.stackFile)
        XCTAssertTrue(file.statistics.contains { $0 != 0 && $0 != 1 }, "the running statistics moved")
        let fresh = try encoder(images, settings, hidden: 5, maxBatch: 4, seed: 22)
        XCTAssertNotEqual(learned.stackFile, fresh.stackFile)

        var pretrainedSettings = settings
        pretrainedSettings.mode = .pretrained
        pretrainedSettings.pretrainedPath = path
        let pretrained = try encoder(images, pretrainedSettings, hidden: 5, maxBatch: 4, seed: 23)
        learned.training = false
        for chosen in [[5, 0], [3, 4, 1]] {
            learned.select(chosen)
            learned.forward()
            pretrained.select(chosen)
            pretrained.forward()
            let raw = learned.features
            for r in 0..<chosen.count {
                for c in 0..<6 {
                    let expected = (raw[r, c] - pretrained.featureMean[c]) * pretrained.featureScale[c]
                    XCTAssertEqual(pretrained.features[r, c], expected, accuracy: 1e-4 * max(1, abs(expected)))
                }
            }
        }
    }

    /// Missing, foreign, truncated, corrupt and mismatched files: each one
    /// line naming the file.
    func testBadFilesAreRejectedNamingTheFile() throws {
        let images = randomImages(count: 2, channels: 3, side: 4, seed: 31)
        let settings = VisualEncoderSettings(widths: [4, 6], convolutionsPerBlock: 1)
        let source = try encoder(images, settings, hidden: 5, maxBatch: 2, seed: 32)
        let good = source.stackFile.bytes
        var corrupt = good
        corrupt[good.count / 2] ^= 0x10
        let other = try encoder(images, VisualEncoderSettings(widths: [4, 8], convolutionsPerBlock: 1), hidden: 5, maxBatch: 2, seed: 33)
        let cases: [(String, [UInt8]?, String)] = [
            ("missing", nil, "not found"),
            ("foreign", Array("hello, world\n".utf8), "not a visual encoder weights file"),
            ("truncated", Array(good.dropLast(5)), "checksum mismatch"),
            ("corrupt", corrupt, "checksum mismatch"),
            ("mismatched", other.stackFile.bytes, "widths [4, 8]"),
        ]
        for (name, bytes, expected) in cases {
            let path = temporaryPath("bad-\(name).weights")
            defer { try? FileManager.default.removeItem(atPath: path) }
            if let bytes { try Data(bytes).write(to: URL(fileURLWithPath: path)) }
            var pretrained = settings
            pretrained.mode = .pretrained
            pretrained.pretrainedPath = path
            XCTAssertThrowsError(try encoder(images, pretrained, hidden: 5, maxBatch: 2, seed: 34), name) { error in
                let text = String(describing: error)
                XCTAssertTrue(text.contains(path), "\(name): \(text)")
                XCTAssertTrue(text.contains(expected), "\(name): \(text)")
                XCTAssertFalse(text.contains("\n"), "\(name): \(text)")
            }
        }
    }

    // MARK: allocation

    /// A learned step at batch 4 (8 × 8 × 3 images, widths [4, 8], two
    /// convolutions per block, batch norm): forward, backward and Adam touch
    /// no heap once the encoder exists. A measurement that sees allocations is
    /// repeated up to three times, as in KoineTensorTests.AllocationTests: one
    /// made by the step shows in every attempt, a stray one from another
    /// thread of the test process does not.
    func testLearnedStepDoesNotAllocate() throws {
        let savedThreads = BLAS.threads
        BLAS.threads = 1
        defer { BLAS.threads = savedThreads }
        let images = randomImages(count: 6, channels: 3, side: 8, seed: 41)
        let encoder = try encoder(images, VisualEncoderSettings(widths: [4, 8], convolutionsPerBlock: 2), hidden: 5, maxBatch: 4, seed: 42)
        let chosen = [5, 1, 3, 0]
        encoder.select(chosen)
        func step() {
            encoder.forward()
            encoder.tableGradient.fill(0.25)
            encoder.backward()
            encoder.module.step()
        }
        for _ in 0..<3 { step() }
        var attempts: [UInt64] = []
        attempts.reserveCapacity(3)
        for _ in 0..<3 {
            let before = koine_allocation_count()
            for _ in 0..<200 { step() }
            let after = koine_allocation_count()
            attempts.append(after - before)
            if after == before { break }
        }
        XCTAssertEqual(attempts.min(), 0, "heap allocations in 200 learned steps (attempts: \(attempts))")
        XCTAssertTrue(encoder.table[0, 0].isFinite)
    }
}
