import XCTest
@testable import KoineTensor

/// The image layers (NHWC batches, one image per row): forwards against
/// direct loops, gradients against finite differences with loss Σ w ⊙ y and
/// tolerance `Tolerance.standard`.
final class ConvolutionGradientTests: XCTestCase {
    /// `y[n, oy, ox, o] = b[o] + Σ x[n, oy·s − p + ky, ox·s − p + kx, c] · W[(ky, kx, c), o]`, directly.
    func directConvolution(_ conv: Conv2D, _ x: Matrix) -> [Float] {
        let i = conv.input, o = conv.output, k = conv.kernel
        var out = [Float]()
        for n in 0..<x.rows {
            for oy in 0..<o.height {
                for ox in 0..<o.width {
                    for oc in 0..<o.channels {
                        var sum = Double(conv.bias?.value[0, oc] ?? 0)
                        for ky in 0..<k {
                            for kx in 0..<k {
                                let iy = oy * conv.stride - conv.padding + ky, ix = ox * conv.stride - conv.padding + kx
                                guard iy >= 0 && iy < i.height && ix >= 0 && ix < i.width else { continue }
                                for c in 0..<i.channels {
                                    sum += Double(x[n, (iy * i.width + ix) * i.channels + c])
                                        * Double(conv.weight.value[(ky * k + kx) * i.channels + c, oc])
                                }
                            }
                        }
                        out.append(Float(sum))
                    }
                }
            }
        }
        return out
    }

    func checkConvolution(_ label: String, seed: UInt64, batch: Int, input: ImageShape, outputChannels: Int, kernel: Int,
                          stride: Int, padding: Int, bias: Bool, rowsPerProduct: Int,
                          algorithm: Conv2D.Algorithm = .im2col, tilesPerProduct: Int = WinogradConvolution.defaultTilesPerProduct,
                          file: StaticString = #filePath, line: UInt = #line) {
        let f = Fixture(seed: seed)
        var conv: Conv2D!
        let count = Conv2D.parameterCount(inputChannels: input.channels, outputChannels: outputChannels, kernel: kernel, bias: bias)
        let p = f.parameters(count) {
            conv = Conv2D(input: input, outputChannels: outputChannels, kernel: kernel, stride: stride, padding: padding,
                          bias: bias, rowsPerProduct: rowsPerProduct, algorithm: algorithm, tilesPerProduct: tilesPerProduct,
                          parameters: $0)
        }
        XCTAssertEqual(conv.winograd != nil, algorithm == .winograd, "\(label): algorithm", file: file, line: line)
        let scratch = Conv2D.Scratch(for: [conv], arena: f.arena)
        let x = f.uniform(batch, input.count), y = f.zeros(batch, conv.output.count), w = f.uniform(batch, conv.output.count)
        let loss = { () -> Double in conv.forward(x, into: y, scratch: scratch); return weightedSum(y, w) }
        _ = loss()
        let expected = directConvolution(conv, x)
        for (index, (a, b)) in zip(y.array, expected).enumerated() where abs(a - b) > 1e-5 {
            XCTFail("\(label): output \(index) is \(a), directly \(b)", file: file, line: line)
            break
        }
        p.zeroGradients()
        let dx = f.filled(batch, input.count, 123)   // backward must overwrite
        conv.backward(x, outputGradient: w, inputGradient: dx, scratch: scratch)
        assertGradient("\(label) dx", analytic: dx, values: x, file: file, line: line, loss: loss)
        assertGradient("\(label) dW", analytic: conv.weight.gradient, values: conv.weight.value, file: file, line: line, loss: loss)
        if let b = conv.bias { assertGradient("\(label) db", analytic: b.gradient, values: b.value, file: file, line: line, loss: loss) }
    }

    func testConvolutionSamePaddingOneImagePerProduct() {
        checkConvolution("conv 3×3 pad 1", seed: 51, batch: 2, input: ImageShape(height: 5, width: 4, channels: 3),
                         outputChannels: 4, kernel: 3, stride: 1, padding: 1, bias: true, rowsPerProduct: 1)
    }

    func testConvolutionStrideTwoUnevenGroups() {
        // 3 images, 2 per product: the last group is short.
        let input = ImageShape(height: 7, width: 6, channels: 2)
        checkConvolution("conv 3×3 stride 2", seed: 52, batch: 3, input: input, outputChannels: 3, kernel: 3, stride: 2,
                         padding: 0, bias: false, rowsPerProduct: 2 * 3 * 2)
    }

    func testConvolutionStridePaddingAndWideKernel() {
        checkConvolution("conv 4×4 stride 2 pad 2", seed: 53, batch: 2, input: ImageShape(height: 5, width: 6, channels: 2),
                         outputChannels: 3, kernel: 4, stride: 2, padding: 2, bias: true, rowsPerProduct: 1000)
    }

    func testPointwiseConvolution() {
        checkConvolution("conv 1×1", seed: 54, batch: 3, input: ImageShape(height: 3, width: 2, channels: 4),
                         outputChannels: 3, kernel: 1, stride: 1, padding: 0, bias: true, rowsPerProduct: 6)
    }

    // MARK: Winograd's F(2 × 2, 3 × 3)

    func testWinogradConvolution() {
        // 3 images, one per group of 6 tiles: every product's group is a whole image.
        checkConvolution("winograd 6×4", seed: 57, batch: 3, input: ImageShape(height: 6, width: 4, channels: 8),
                         outputChannels: 16, kernel: 3, stride: 1, padding: 1, bias: true, rowsPerProduct: 1,
                         algorithm: .winograd, tilesPerProduct: 6)
    }

    func testWinogradConvolutionOddSizeAndUnevenGroups() {
        // 5 × 7 leaves half tiles at the bottom and right edges; 3 images in
        // groups of 2 leave a short last group.
        checkConvolution("winograd 5×7", seed: 58, batch: 3, input: ImageShape(height: 5, width: 7, channels: 16),
                         outputChannels: 8, kernel: 3, stride: 1, padding: 1, bias: false, rowsPerProduct: 1,
                         algorithm: .winograd, tilesPerProduct: 2 * 12)
    }

    /// Where it applies, the automatic choice is Winograd, and agrees with im2col.
    func testWinogradAgreesWithIm2colAtVGGShapes() {
        let f = Fixture(seed: 59)
        let input = ImageShape(height: 8, width: 8, channels: 32)
        XCTAssertTrue(WinogradConvolution.applies(input: input, outputChannels: 64, kernel: 3, stride: 1, padding: 1))
        XCTAssertFalse(WinogradConvolution.applies(input: ImageShape(height: 8, width: 8, channels: 3), outputChannels: 64, kernel: 3, stride: 1, padding: 1))
        XCTAssertFalse(WinogradConvolution.applies(input: input, outputChannels: 64, kernel: 3, stride: 2, padding: 1))
        var fast: Conv2D!, plain: Conv2D!
        let count = Conv2D.parameterCount(inputChannels: 32, outputChannels: 64, kernel: 3, bias: false)
        let parameters = f.parameters(2 * count) {
            fast = Conv2D(input: input, outputChannels: 64, kernel: 3, padding: 1, bias: false, parameters: $0)
            plain = Conv2D(input: input, outputChannels: 64, kernel: 3, padding: 1, bias: false, algorithm: .im2col, parameters: $0)
        }
        XCTAssertNotNil(fast.winograd)
        XCTAssertNil(plain.winograd)
        plain.weight.value.copy(from: fast.weight.value)
        let scratch = Conv2D.Scratch(for: [fast, plain], arena: f.arena)
        let x = f.uniform(4, input.count), dy = f.uniform(4, fast.output.count)
        let y1 = f.zeros(4, fast.output.count), y2 = f.zeros(4, fast.output.count)
        let dx1 = f.zeros(4, input.count), dx2 = f.zeros(4, input.count)
        fast.forward(x, into: y1, scratch: scratch)
        plain.forward(x, into: y2, scratch: scratch)
        parameters.zeroGradients()
        fast.backward(x, outputGradient: dy, inputGradient: dx1, scratch: scratch)
        plain.backward(x, outputGradient: dy, inputGradient: dx2, scratch: scratch)
        func largestDifference(_ a: [Float], _ b: [Float]) -> Float { zip(a, b).map { abs($0 - $1) }.max() ?? 0 }
        XCTAssertLessThan(largestDifference(y1.array, y2.array), 1e-4)
        XCTAssertLessThan(largestDifference(dx1.array, dx2.array), 1e-4)
        XCTAssertLessThan(largestDifference(fast.weight.gradient.array, plain.weight.gradient.array), 1e-3)
        XCTAssertGreaterThan(fast.weight.gradient.array.map(abs).max()!, 0.1)
    }

    func testConvolutionInitialisationAndCount() {
        let f = Fixture(seed: 55)
        var conv: Conv2D!
        let count = Conv2D.parameterCount(inputChannels: 8, outputChannels: 16, kernel: 3)
        XCTAssertEqual(count, 3 * 3 * 8 * 16 + 16)
        let p = f.parameters(count) { conv = Conv2D(input: ImageShape(height: 4, width: 4, channels: 8), outputChannels: 16, kernel: 3, parameters: $0) }
        XCTAssertEqual(p.claimed, count)
        XCTAssertEqual(conv.output, ImageShape(height: 2, width: 2, channels: 16))
        // Kaiming-uniform with a = √5: bound 1/√(3·3·8) = 1/√72, weights spread over it.
        let bound = 1 / Float(72).squareRoot()
        let weights = conv.weight.value.array
        XCTAssertTrue(weights.allSatisfy { abs($0) <= bound })
        XCTAssertGreaterThan(weights.map(abs).max()!, 0.9 * bound)
        XCTAssertTrue(conv.bias!.value.array.allSatisfy { abs($0) <= bound })
    }

    /// A layer built for a batch runs on its first rows, as the others do.
    func testSmallerBatchThanBuilt() {
        let f = Fixture(seed: 56)
        let input = ImageShape(height: 4, width: 4, channels: 2)
        var conv: Conv2D!
        // The layer's weights are views into these parameters: they must outlive its passes.
        let parameters = f.parameters(Conv2D.parameterCount(inputChannels: 2, outputChannels: 3, kernel: 3)) {
            conv = Conv2D(input: input, outputChannels: 3, kernel: 3, padding: 1, rowsPerProduct: 32, parameters: $0)
        }
        defer { withExtendedLifetime(parameters) {} }
        let scratch = Conv2D.Scratch(for: [conv], arena: f.arena)
        let x = f.uniform(5, input.count), y = f.zeros(5, conv.output.count), small = f.zeros(5, conv.output.count)
        conv.forward(x, into: y, scratch: scratch)
        conv.forward(x.rows(0..<3), into: small.rows(0..<3), scratch: scratch)
        XCTAssertEqual(small.rows(0..<3).array, y.rows(0..<3).array)
        XCTAssertTrue(small.rows(3..<5).array.allSatisfy { $0 == 0 })
    }

    // MARK: max-pooling

    /// Inputs a shuffle of well-separated values (0.1 apart, ten times the
    /// perturbation), so no finite difference crosses a tie.
    func separated(_ f: Fixture, _ rows: Int, _ columns: Int) -> Matrix {
        let m = f.zeros(rows, columns)
        var values = (0..<(rows * columns)).map { Float($0) * 0.1 - Float(rows * columns) * 0.05 }
        for i in stride(from: values.count - 1, to: 0, by: -1) { values.swapAt(i, f.random.nextInt(below: i + 1)) }
        for r in 0..<rows { for c in 0..<columns { m[r, c] = values[r * columns + c] } }
        return m
    }

    func checkPool(_ input: ImageShape, seed: UInt64, file: StaticString = #filePath, line: UInt = #line) {
        let f = Fixture(seed: seed)
        let pool = MaxPool2D(input: input), batch = 2
        let x = separated(f, batch, input.count), y = f.zeros(batch, pool.output.count), w = f.uniform(batch, pool.output.count)
        let loss = { () -> Double in pool.forward(x, into: y); return weightedSum(y, w) }
        _ = loss()
        for n in 0..<batch {
            for oy in 0..<pool.output.height {
                for ox in 0..<pool.output.width {
                    for c in 0..<input.channels {
                        var largest = -Float.infinity
                        for (dy, dx) in [(0, 0), (0, 1), (1, 0), (1, 1)] {
                            largest = max(largest, x[n, ((2 * oy + dy) * input.width + 2 * ox + dx) * input.channels + c])
                        }
                        XCTAssertEqual(y[n, (oy * pool.output.width + ox) * input.channels + c], largest, file: file, line: line)
                    }
                }
            }
        }
        let dx = f.filled(batch, input.count, 123)
        pool.backward(input: x, output: y, outputGradient: w, inputGradient: dx)
        assertGradient("max-pool \(input)", analytic: dx, values: x, file: file, line: line, loss: loss)
    }

    func testMaxPool() { checkPool(ImageShape(height: 4, width: 6, channels: 3), seed: 61) }

    /// 11 channels: eight through the vector path, three through the scalar one.
    func testMaxPoolVectorAndScalarChannels() { checkPool(ImageShape(height: 4, width: 4, channels: 11), seed: 63) }

    func testMaxPoolOddSizeDropsLastRowAndColumn() { checkPool(ImageShape(height: 5, width: 3, channels: 2), seed: 62) }

    func testMaxPoolTiesSendTheGradientOnce() {
        let f = Fixture()
        let pool = MaxPool2D(input: ImageShape(height: 2, width: 2, channels: 1))
        let x = f.filled(1, 4, 0.5), y = f.zeros(1, 1), dy = f.filled(1, 1, 2), dx = f.zeros(1, 4)
        pool.forward(x, into: y)
        pool.backward(input: x, output: y, outputGradient: dy, inputGradient: dx)
        XCTAssertEqual(dx.array, [2, 0, 0, 0])
        // The same through the vector path (8 channels): ties in the first
        // channel, the largest last in the second, second in the third.
        let wide = MaxPool2D(input: ImageShape(height: 2, width: 2, channels: 8))
        let pixels: [[Float]] = [[0.5, 0, 0, 0, 0, 0, 0, 0], [0.5, 0, 1, 0, 0, 0, 0, 0],
                                 [0.5, 0, 0, 0, 0, 0, 0, 0], [0.5, 1, 0, 0, 0, 0, 0, 0]]
        let x8 = f.zeros(1, 32), y8 = f.zeros(1, 8), dy8 = f.filled(1, 8, 2), dx8 = f.zeros(1, 32)
        for (p, values) in pixels.enumerated() { for (c, v) in values.enumerated() { x8[0, p * 8 + c] = v } }
        wide.forward(x8, into: y8)
        wide.backward(input: x8, output: y8, outputGradient: dy8, inputGradient: dx8)
        let sent = (0..<8).map { c in (0..<4).filter { dx8[0, $0 * 8 + c] == 2 } }
        XCTAssertEqual(sent[0], [0])
        XCTAssertEqual(sent[1], [3])
        XCTAssertEqual(sent[2], [1])
        XCTAssertEqual(sent[3], [0])   // all zero: a tie, the first
        XCTAssertEqual(dx8.array.filter { $0 != 0 }.count, 8)
    }

    // MARK: global average pooling, flatten

    func testGlobalAveragePool() {
        let f = Fixture(seed: 63)
        let shape = ImageShape(height: 3, width: 2, channels: 4), pool = GlobalAveragePool(input: shape)
        let x = f.uniform(3, shape.count), y = f.zeros(3, 4), w = f.uniform(3, 4)
        let loss = { () -> Double in pool.forward(x, into: y); return weightedSum(y, w) }
        _ = loss()
        for n in 0..<3 {
            for c in 0..<4 {
                let mean = (0..<6).map { Double(x[n, $0 * 4 + c]) }.reduce(0, +) / 6
                XCTAssertEqual(Double(y[n, c]), mean, accuracy: 1e-6)
            }
        }
        let dx = f.filled(3, shape.count, 123)
        pool.backward(outputGradient: w, inputGradient: dx)
        assertGradient("average pool", analytic: dx, values: x, loss: loss)
    }

    func testFlattenIsTheSameMemory() {
        let f = Fixture()
        let shape = ImageShape(height: 2, width: 3, channels: 2), x = f.uniform(4, shape.count)
        XCTAssertEqual(Flatten.forward(x, shape: shape).base, x.base)
        XCTAssertEqual(Flatten.backward(outputGradient: x, shape: shape).base, x.base)
        XCTAssertEqual(shape.pixels(x).rows, 4 * 6)
    }

    // MARK: batch normalisation

    /// A batch norm and its two buffers, which the caller must keep alive
    /// while it uses the layer (the layer holds views into them).
    func makeBatchNorm(_ f: Fixture, channels: Int) -> (BatchNorm, Parameters, Parameters) {
        var norm: BatchNorm!
        let statistics = Parameters(count: BatchNorm.statisticCount(channels: channels))
        let p = f.parameters(BatchNorm.parameterCount(channels: channels)) {
            norm = BatchNorm(channels: channels, parameters: $0, statistics: statistics)
        }
        statistics.initialize(using: &f.random)
        return (norm, p, statistics)
    }

    func testBatchNormTrainingGradients() {
        let f = Fixture(seed: 71)
        let shape = ImageShape(height: 3, width: 2, channels: 3), batch = 2
        let (norm, p, statistics) = makeBatchNorm(f, channels: 3)
        defer { withExtendedLifetime(statistics) {} }
        // Scale and shift away from 1 and 0, the input off-centre.
        for c in 0..<3 { norm.scale.value[0, c] = 0.5 + Float(c) * 0.4; norm.shift.value[0, c] = Float(c) - 1 }
        let x = f.uniform(batch, shape.count, scale: 2)
        for r in 0..<batch { for i in 0..<shape.count { x[r, i] += 1 } }
        let cache = BatchNorm.Cache(channels: 3, arena: f.arena)
        let y = f.zeros(batch, shape.count), w = f.uniform(batch, shape.count)
        let loss = { () -> Double in
            norm.forwardTraining(x, into: y, cache: cache, updateStatistics: false)
            return weightedSum(y, w)
        }
        _ = loss()
        p.zeroGradients()
        let dx = f.filled(batch, shape.count, 123)
        norm.backwardTraining(x, cache: cache, outputGradient: w, inputGradient: dx)
        assertGradient("batch norm dx", analytic: dx, values: x, loss: loss)
        assertGradient("batch norm dscale", analytic: norm.scale.gradient, values: norm.scale.value, loss: loss)
        assertGradient("batch norm dshift", analytic: norm.shift.gradient, values: norm.shift.value, loss: loss)
        // dx may overwrite dy.
        let inPlace = f.zeros(batch, shape.count)
        inPlace.copy(from: w)
        norm.backwardTraining(x, cache: cache, outputGradient: inPlace, inputGradient: inPlace)
        for (a, b) in zip(inPlace.array, dx.array) { XCTAssertEqual(a, b, accuracy: 1e-6) }
    }

    /// Batch norm with the ReLU in the same pass is ReLU after batch norm,
    /// forward and backward (the mask recomputed from the input).
    func testBatchNormRectifiedIsReLUAfterBatchNorm() {
        let f = Fixture(seed: 74)
        let shape = ImageShape(height: 4, width: 3, channels: 8), batch = 3
        let (norm, p, statistics) = makeBatchNorm(f, channels: 8)
        defer { withExtendedLifetime(statistics) {} }
        for c in 0..<8 { norm.scale.value[0, c] = 0.5 + Float(c) * 0.2; norm.shift.value[0, c] = Float(c) * 0.25 - 1 }
        let x = f.uniform(batch, shape.count, scale: 2), dy = f.uniform(batch, shape.count)
        let cache = BatchNorm.Cache(channels: 8, arena: f.arena)
        let normalized = f.zeros(batch, shape.count), rectified = f.zeros(batch, shape.count), fused = f.zeros(batch, shape.count)
        norm.forwardTraining(x, into: normalized, cache: cache, updateStatistics: false)
        ReLU.forward(normalized, into: rectified)
        norm.forwardTraining(x, into: fused, cache: cache, rectified: true, updateStatistics: false)
        XCTAssertEqual(fused.array, rectified.array)
        XCTAssertTrue(fused.array.contains(0) && fused.array.contains { $0 > 0 })
        p.zeroGradients()
        let masked = f.zeros(batch, shape.count), separate = f.zeros(batch, shape.count)
        ReLU.backward(output: rectified, outputGradient: dy, inputGradient: masked)
        norm.backwardTraining(x, cache: cache, outputGradient: masked, inputGradient: separate)
        let scaleGradient = norm.scale.gradient.array, shiftGradient = norm.shift.gradient.array
        p.zeroGradients()
        let together = f.zeros(batch, shape.count)
        norm.backwardTraining(x, cache: cache, outputGradient: dy, inputGradient: together, rectified: true)
        for (a, b) in zip(together.array, separate.array) { XCTAssertEqual(a, b, accuracy: 1e-6) }
        XCTAssertEqual(norm.scale.gradient.array, scaleGradient)
        XCTAssertEqual(norm.shift.gradient.array, shiftGradient)
        // Evaluation mode too.
        let evaluated = f.zeros(batch, shape.count)
        norm.forwardEvaluation(x, into: evaluated, scratch: cache)
        ReLU.forward(evaluated, into: evaluated)
        norm.forwardEvaluation(x, into: fused, rectified: true, scratch: cache)
        XCTAssertEqual(fused.array, evaluated.array)
    }

    /// Batch statistics normalise; running statistics move by the momentum
    /// (the variance unbiased); evaluation mode uses the running ones.
    func testBatchNormStatisticsAndEvaluation() {
        let f = Fixture(seed: 72)
        let channels = 2, batch = 5
        let (norm, parameters, statistics) = makeBatchNorm(f, channels: channels)
        defer { withExtendedLifetime((parameters, statistics)) {} }
        XCTAssertEqual(statistics.valueBuffer.map { $0 }, [0, 0, 1, 1])
        let x = f.uniform(batch, 2 * channels, scale: 3)   // 2 pixels of 2 channels per row
        let cache = BatchNorm.Cache(channels: channels, arena: f.arena)
        let y = f.zeros(batch, 2 * channels)
        norm.forwardTraining(x, into: y, cache: cache)
        for c in 0..<channels {
            let values = (0..<batch).flatMap { r in [Double(x[r, c]), Double(x[r, channels + c])] }
            let mean = values.reduce(0, +) / Double(values.count)
            let variance = values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(values.count)
            let outputs = (0..<batch).flatMap { r in [Double(y[r, c]), Double(y[r, channels + c])] }
            XCTAssertEqual(outputs.reduce(0, +) / 10, 0, accuracy: 1e-6)
            XCTAssertEqual(outputs.map { $0 * $0 }.reduce(0, +) / 10, variance / (variance + 1e-5), accuracy: 1e-5)
            XCTAssertEqual(Double(norm.runningMean.value[0, c]), 0.1 * mean, accuracy: 1e-6)
            XCTAssertEqual(Double(norm.runningVariance.value[0, c]), 0.9 + 0.1 * variance * 10 / 9, accuracy: 1e-6)
        }
        norm.scale.value[0, 1] = 2
        norm.shift.value[0, 0] = 0.5
        let evaluated = f.zeros(batch, 2 * channels)
        norm.forwardEvaluation(x, into: evaluated, scratch: cache)
        for r in 0..<batch {
            for i in 0..<(2 * channels) {
                let c = i % channels
                let mean = Double(norm.runningMean.value[0, c]), variance = Double(norm.runningVariance.value[0, c])
                let expected = Double(norm.scale.value[0, c]) * (Double(x[r, i]) - mean) / (variance + 1e-5).squareRoot()
                    + Double(norm.shift.value[0, c])
                XCTAssertEqual(Double(evaluated[r, i]), expected, accuracy: 1e-5)
            }
        }
        // A smaller batch normalises by its own statistics.
        let small = f.zeros(batch, 2 * channels)
        norm.forwardTraining(x.rows(0..<2), into: small.rows(0..<2), cache: cache, updateStatistics: false)
        let firstChannel = [small[0, 0], small[0, 2], small[1, 0], small[1, 2]].map(Double.init)
        XCTAssertEqual(firstChannel.reduce(0, +), 4 * 0.5, accuracy: 1e-5)   // the shift, 0.5, four times
    }

    /// Sums over many pixels stay accurate (blocked), and a large mean does not
    /// cancel the variance (deviations from the first pixel are summed).
    func testBatchNormOverManyPixelsWithLargeMean() {
        let f = Fixture(seed: 73)
        let (norm, parameters, statistics) = makeBatchNorm(f, channels: 1)
        defer { withExtendedLifetime((parameters, statistics)) {} }
        let count = 100_000
        let x = f.zeros(count, 1)
        for r in 0..<count { x[r, 0] = 1000 + (r % 2 == 0 ? 1 : -1) }   // mean 1000, variance 1
        let cache = BatchNorm.Cache(channels: 1, arena: f.arena), y = f.zeros(count, 1)
        norm.forwardTraining(x, into: y, cache: cache)
        XCTAssertEqual(cache.mean[0], 1000, accuracy: 1e-3)
        XCTAssertEqual(y[0, 0], 1 / (1 + 1e-5 as Float).squareRoot(), accuracy: 1e-3)
        XCTAssertEqual(y[1, 0], -1 / (1 + 1e-5 as Float).squareRoot(), accuracy: 1e-3)
    }

    // MARK: a stack

    /// conv → batch norm → ReLU → max-pool → conv → global average pool, every
    /// input and parameter gradient through the whole stack. ReLU and max-pool
    /// have kinks, and a finite difference across one is meaningless, so the
    /// check runs on the first seed whose forward keeps every ReLU input and
    /// every pooling window's two largest values at least `margin` apart —
    /// several times what a perturbation of `fine.eps` moves them — and uses
    /// that smaller step. The search is deterministic; it fails loudly if no
    /// seed of 200 qualifies.
    func testStack() {
        for seed in UInt64(81)..<281 where stack(seed: seed, check: false) {
            _ = stack(seed: seed, check: true)
            return
        }
        XCTFail("no seed of 200 keeps the stack's forward away from its kinks")
    }

    static let margin: Float = 0.01
    static let fine = Tolerance(eps: 1e-3)

    /// Builds and runs the stack from `seed`; whether it is clear of the kinks,
    /// and when `check`, its gradients against finite differences.
    func stack(seed: UInt64, check: Bool) -> Bool {
        let f = Fixture(seed: seed)
        let batch = 2, image = ImageShape(height: 4, width: 4, channels: 3)
        let statistics = Parameters(count: BatchNorm.statisticCount(channels: 4))
        var first: Conv2D!, norm: BatchNorm!, second: Conv2D!
        let count = Conv2D.parameterCount(inputChannels: 3, outputChannels: 4, kernel: 3, bias: false)
            + BatchNorm.parameterCount(channels: 4) + Conv2D.parameterCount(inputChannels: 4, outputChannels: 5, kernel: 3)
        let p = f.parameters(count) {
            // No bias before batch norm: the normalisation removes it (its gradient is zero).
            first = Conv2D(input: image, outputChannels: 4, kernel: 3, padding: 1, bias: false, parameters: $0)
            norm = BatchNorm(channels: 4, parameters: $0, statistics: statistics)
            second = Conv2D(input: ImageShape(height: 2, width: 2, channels: 4), outputChannels: 5, kernel: 3, padding: 1, parameters: $0)
        }
        statistics.initialize(using: &f.random)
        let pool = MaxPool2D(input: first.output), average = GlobalAveragePool(input: second.output)
        let scratch = Conv2D.Scratch(for: [first, second], arena: f.arena)
        let cache = BatchNorm.Cache(channels: 4, arena: f.arena)
        let x = f.uniform(batch, image.count)
        let convolved = f.zeros(batch, first.output.count), normalized = f.zeros(batch, first.output.count)
        let rectified = f.zeros(batch, first.output.count), pooled = f.zeros(batch, pool.output.count)
        let features = f.zeros(batch, second.output.count), out = f.zeros(batch, 5), w = f.uniform(batch, 5)
        let loss = { () -> Double in
            first.forward(x, into: convolved, scratch: scratch)
            norm.forwardTraining(convolved, into: rectified, cache: cache, rectified: true, updateStatistics: false)
            pool.forward(rectified, into: pooled)
            second.forward(pooled, into: features, scratch: scratch)
            average.forward(features, into: out)
            return weightedSum(out, w)
        }
        _ = loss()
        norm.forwardTraining(convolved, into: normalized, cache: cache, updateStatistics: false)   // the ReLU's input
        let margins = kinkMargins(normalized, pooled: pool, rectified: rectified)
        guard margins.relu >= Self.margin && margins.pool >= Self.margin else { return false }
        guard check else { return true }
        p.zeroGradients()
        let dSecond = f.zeros(batch, second.output.count), dPooled = f.zeros(batch, pool.output.count)
        let dRectified = f.zeros(batch, first.output.count), dx = f.filled(batch, image.count, 123)
        average.backward(outputGradient: w, inputGradient: dSecond)
        second.backward(pooled, outputGradient: dSecond, inputGradient: dPooled, scratch: scratch)
        pool.backward(input: rectified, output: pooled, outputGradient: dPooled, inputGradient: dRectified)
        norm.backwardTraining(convolved, cache: cache, outputGradient: dRectified, inputGradient: dRectified, rectified: true)
        first.backward(x, outputGradient: dRectified, inputGradient: dx, scratch: scratch)
        let fine = Self.fine
        assertGradient("stack dx", analytic: dx, values: x, tolerance: fine, loss: loss)
        assertGradient("stack conv1 dW", analytic: first.weight.gradient, values: first.weight.value, tolerance: fine, loss: loss)
        assertGradient("stack bn dscale", analytic: norm.scale.gradient, values: norm.scale.value, tolerance: fine, loss: loss)
        assertGradient("stack bn dshift", analytic: norm.shift.gradient, values: norm.shift.value, tolerance: fine, loss: loss)
        assertGradient("stack conv2 dW", analytic: second.weight.gradient, values: second.weight.value, tolerance: fine, loss: loss)
        assertGradient("stack conv2 db", analytic: second.bias!.gradient, values: second.bias!.value, tolerance: fine, loss: loss)
        withExtendedLifetime(statistics) {}
        return true
    }

    /// How far the stack's forward is from its kinks: the smallest |x| into
    /// the ReLU, and the smallest gap between the largest and the second
    /// largest of a pooling window where the largest is positive.
    func kinkMargins(_ normalized: Matrix, pooled pool: MaxPool2D, rectified: Matrix) -> (relu: Float, pool: Float) {
        let relu = normalized.array.map(abs).min()!
        var gap = Float.infinity
        let shape = pool.input
        for n in 0..<rectified.rows {
            for oy in 0..<pool.output.height {
                for ox in 0..<pool.output.width {
                    for c in 0..<shape.channels {
                        let window = [(0, 0), (0, 1), (1, 0), (1, 1)].map { dy, dx in
                            rectified[n, ((2 * oy + dy) * shape.width + 2 * ox + dx) * shape.channels + c]
                        }.sorted(by: >)
                        if window[0] > 0 { gap = min(gap, window[0] - window[1]) }
                    }
                }
            }
        }
        return (relu, gap)
    }
}
