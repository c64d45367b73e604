import Foundation
import KoineTelemetry
import KoineTensor

/// `koine bench conv`: forward and backward of a VGG-style stack, the
/// convolution layers timed on their own against raw `cblas_sgemm` over the
/// very products they ran.
public struct ConvBenchmark {
    public let batch: Int, size: Int, channels: Int
    /// Output channels of each block.
    public let widths: [Int]
    /// Convolutions per block.
    public let convolutions: Int
    public let rowsPerProduct: Int, algorithm: Conv2D.Algorithm, tilesPerProduct: Int
    public let steps: Int, rounds: Int

    public init(batch: Int, size: Int, channels: Int, widths: [Int], convolutions: Int,
                rowsPerProduct: Int = Conv2D.defaultRowsPerProduct, algorithm: Conv2D.Algorithm = .automatic,
                tilesPerProduct: Int = WinogradConvolution.defaultTilesPerProduct, steps: Int, rounds: Int) {
        (self.batch, self.size, self.channels, self.widths, self.convolutions) = (batch, size, channels, widths, convolutions)
        (self.rowsPerProduct, self.algorithm, self.tilesPerProduct) = (rowsPerProduct, algorithm, tilesPerProduct)
        (self.steps, self.rounds) = (steps, rounds)
    }

    /// Times `rounds` rounds of `steps` iterations, then the same products through raw sgemm.
    public func run() -> Result {
        let stack = ConvolutionStack(batch: batch, image: ImageShape(height: size, width: size, channels: channels),
                                     widths: widths, convolutionsPerBlock: convolutions, rowsPerProduct: rowsPerProduct,
                                     algorithm: algorithm, tilesPerProduct: tilesPerProduct)
        stack.iterate()   // warm-up: page faults, BLAS buffers

        // One iteration's products, by layer, recorded as they run.
        let shapes = stack.recordProducts()
        var bestStack = Double.infinity, bestLayers = [Double](repeating: .infinity, count: stack.convolutions.count)
        for _ in 0..<rounds {
            stack.layerSeconds.update(repeating: 0, count: stack.convolutions.count)
            let started = DispatchTime.now().uptimeNanoseconds
            for _ in 0..<steps { stack.iterate() }
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9 / Double(steps)
            let layerTimes = (0..<stack.convolutions.count).map { stack.layerSeconds[$0] / Double(steps) }
            if seconds < bestStack { bestStack = seconds }
            // Each layer's best round: the machine's other load only makes a round slower.
            for i in layerTimes.indices { bestLayers[i] = min(bestLayers[i], layerTimes[i]) }
        }
        let replay = SgemmReplay(fitting: shapes.flatMap { $0 })
        defer { replay.deallocate() }
        let sgemmLayers = shapes.map { replay.time($0, iterations: steps, rounds: rounds) }
        // What im2col multiplies: forward, weight gradient, and the input gradient but for the first layer.
        let directFlops = stack.convolutions.enumerated().map { i, convolution in
            2 * batch * convolution.output.positions * convolution.patch * convolution.output.channels * (i == 0 ? 2 : 3)
        }
        return Result(benchmark: self, blasThreads: BLAS.threads, stackSeconds: bestStack, shapes: shapes,
                      layerSeconds: bestLayers, sgemmLayerSeconds: sgemmLayers, directFlops: directFlops,
                      layers: stack.convolutions.map { (name: "\($0.input) → \($0.output)", winograd: $0.winograd != nil) })
    }

    /// The figures of a run, and their report as `koine bench conv` prints it.
    public struct Result {
        public let benchmark: ConvBenchmark
        public let blasThreads: Int
        /// Seconds of the whole stack's best iteration.
        public let stackSeconds: Double
        /// The products of one iteration, by convolution layer.
        public let shapes: [[GemmShape]]
        /// Each layer's best seconds an iteration, and its products' through raw sgemm.
        public let layerSeconds: [Double], sgemmLayerSeconds: [Double]
        /// What im2col would multiply, by layer.
        public let directFlops: [Int]
        /// Each layer's shapes, and whether Winograd's algorithm runs it.
        public let layers: [(name: String, winograd: Bool)]

        public var flops: [Int] { shapes.map { $0.reduce(0) { $0 + $1.flops } } }
        public var totalFlops: Int { flops.reduce(0, +) }
        public var products: Int { shapes.reduce(0) { $0 + $1.count } }
        public var convolutionSeconds: Double { layerSeconds.reduce(0, +) }
        public var sgemmSeconds: Double { sgemmLayerSeconds.reduce(0, +) }
        public var gflops: Double { Double(totalFlops) / convolutionSeconds / 1e9 }
        public var sgemmGflops: Double { Double(totalFlops) / sgemmSeconds / 1e9 }
        public var totalDirect: Int { directFlops.reduce(0, +) }
        /// GFLOP/s as if im2col's products had run in the convolutions' time.
        public var effective: Double { Double(totalDirect) / convolutionSeconds / 1e9 }
        public var winogradLayers: Int { layers.filter(\.winograd).count }

        public var json: String {
            let b = benchmark
            return JSONValue.object([
                ("benchmark", "conv"), ("batch", .int(b.batch)), ("size", .int(b.size)), ("channels", .int(b.channels)),
                ("widths", .array(b.widths.map { .int($0) })), ("convolutions_per_block", .int(b.convolutions)),
                ("rows_per_product", .int(b.rowsPerProduct)), ("blas_threads", .int(blasThreads)),
                ("stack_seconds", .double(stackSeconds)), ("convolution_seconds", .double(convolutionSeconds)),
                ("convolution_flops", .int(totalFlops)), ("products", .int(products)),
                ("convolution_gflops", .double(gflops)), ("sgemm_gflops", .double(sgemmGflops)),
                ("share", .double(gflops / sgemmGflops)), ("algorithm", .string(b.algorithm.rawValue)),
                ("winograd_layers", .int(winogradLayers)), ("direct_flops", .int(totalDirect)),
                ("effective_gflops", .double(effective)),
            ]).serialized
        }

        /// `widths`: the block widths as the command line gave them.
        public func report(widths: String) -> String {
            let b = benchmark
            return """
                koine bench conv: batch \(b.batch) of \(b.size)×\(b.size)×\(b.channels), widths \(widths), \(b.convolutions) convolutions per block, \
                \(b.rowsPerProduct) rows per product; OpenBLAS threads \(blasThreads); best of \(b.rounds) rounds × \(b.steps) iterations
                  stack forward + backward   \(String(format: "%.1f", stackSeconds * 1e3)) ms per iteration
                  convolution layers         \(String(format: "%.1f", convolutionSeconds * 1e3)) ms (\(String(format: "%.0f", 100 * convolutionSeconds / stackSeconds))% of the stack)
                  their FLOPs                \(String(format: "%.2f", Double(totalFlops) / 1e9)) GFLOP over \(products) products
                  achieved                   \(String(format: "%.1f", gflops)) GFLOP/s
                  raw sgemm, same products   \(String(format: "%.1f", sgemmGflops)) GFLOP/s
                  share of sgemm             \(String(format: "%.1f", 100 * gflops / sgemmGflops))%
                  algorithm                  \(b.algorithm.rawValue): \(winogradLayers) of \(layers.count) layers by Winograd
                  direct (im2col) FLOPs      \(String(format: "%.2f", Double(totalDirect) / 1e9)) GFLOP: effective \(String(format: "%.1f", effective)) GFLOP/s
                """
        }

        /// Every convolution layer on its own.
        public var layerTable: String {
            let flops = flops
            var lines = ["  layer                      GFLOP    ms   GFLOP/s   sgemm GFLOP/s   share   effective GFLOP/s"]
            for (i, layer) in layers.enumerated() {
                let achieved = Double(flops[i]) / layerSeconds[i] / 1e9, raw = Double(flops[i]) / sgemmLayerSeconds[i] / 1e9
                lines.append("  " + layer.name.padding(toLength: 24, withPad: " ", startingAt: 0)
                    + String(format: "%7.2f %6.1f %9.1f %15.1f %6.1f%% %19.1f", Double(flops[i]) / 1e9, layerSeconds[i] * 1e3, achieved, raw,
                             100 * achieved / raw, Double(directFlops[i]) / layerSeconds[i] / 1e9)
                    + (layer.winograd ? "  (Winograd)" : ""))
            }
            return lines.joined(separator: "\n")
        }
    }
}

/// The layers and buffers of the benchmarked stack, and one iteration over them.
final class ConvolutionStack {
    let convolutions: [Conv2D]
    let norms: [BatchNorm]
    let pools: [MaxPool2D?]   // after a block's last convolution
    let average: GlobalAveragePool
    let parameters: Parameters, statistics: Parameters
    let arena: Arena
    let scratch: Conv2D.Scratch
    let caches: [BatchNorm.Cache]
    let images: Matrix
    /// Per convolution: its output, the normalised and rectified output, and
    /// the gradient with respect to the latter (turned, in place, into the
    /// gradient with respect to the convolution's output).
    let convolved: [Matrix], activated: [Matrix], gradients: [Matrix]
    let pooled: [Matrix?], pooledGradients: [Matrix?]
    let features: Matrix, featureGradient: Matrix
    /// Seconds spent inside each convolution's forward and backward, summed.
    let layerSeconds: UnsafeMutablePointer<Double>

    init(batch: Int, image: ImageShape, widths: [Int], convolutionsPerBlock: Int, rowsPerProduct: Int, algorithm: Conv2D.Algorithm, tilesPerProduct: Int) {
        var shapes: [(input: ImageShape, width: Int, pooled: Bool)] = []
        var shape = image
        for width in widths {
            for index in 0..<convolutionsPerBlock {
                shapes.append((shape, width, index == convolutionsPerBlock - 1))
                shape = ImageShape(height: shape.height, width: shape.width, channels: width)
            }
            shape = ImageShape(height: shape.height / 2, width: shape.width / 2, channels: width)
        }
        let count = shapes.reduce(0) {
            $0 + Conv2D.parameterCount(inputChannels: $1.input.channels, outputChannels: $1.width, kernel: 3, bias: false)
                + BatchNorm.parameterCount(channels: $1.width)
        }
        let parameters = Parameters(count: count)
        let statistics = Parameters(count: shapes.reduce(0) { $0 + BatchNorm.statisticCount(channels: $1.width) })
        // No convolution bias: batch normalisation right after removes it.
        let convolutions = shapes.map {
            Conv2D(input: $0.input, outputChannels: $0.width, kernel: 3, padding: 1, bias: false, rowsPerProduct: rowsPerProduct,
                   algorithm: algorithm == .winograd && !WinogradConvolution.applies(input: $0.input, outputChannels: $0.width, kernel: 3,
                                                                                       stride: 1, padding: 1) ? .im2col : algorithm,
                   tilesPerProduct: tilesPerProduct, parameters: parameters)
        }
        norms = shapes.map { BatchNorm(channels: $0.width, parameters: parameters, statistics: statistics) }
        let pools = zip(shapes, convolutions).map { $0.pooled ? MaxPool2D(input: $1.output) : nil }
        average = GlobalAveragePool(input: shape)
        var random = Random(seed: 1)
        parameters.initialize(using: &random)
        statistics.initialize(using: &random)
        let arena = Arena()
        scratch = Conv2D.Scratch(for: convolutions, arena: arena)
        caches = convolutions.map { BatchNorm.Cache(channels: $0.output.channels, arena: arena) }
        func filled(_ rows: Int, _ columns: Int) -> Matrix {
            let m = arena.matrix(rows: rows, columns: columns)
            for r in 0..<rows { for c in 0..<columns { m[r, c] = random.nextFloat() - 0.5 } }
            return m
        }
        images = filled(batch, image.count)
        convolved = convolutions.map { arena.matrix(rows: batch, columns: $0.output.count) }
        activated = convolutions.map { arena.matrix(rows: batch, columns: $0.output.count) }
        gradients = convolutions.map { arena.matrix(rows: batch, columns: $0.output.count) }
        pooled = pools.map { $0.map { arena.matrix(rows: batch, columns: $0.output.count) } }
        pooledGradients = pools.map { $0.map { arena.matrix(rows: batch, columns: $0.output.count) } }
        features = arena.matrix(rows: batch, columns: shape.channels)
        featureGradient = filled(batch, shape.channels)
        self.arena = arena
        self.parameters = parameters
        self.statistics = statistics
        self.convolutions = convolutions
        self.pools = pools
        layerSeconds = .allocate(capacity: convolutions.count)
        layerSeconds.initialize(repeating: 0, count: convolutions.count)
    }

    deinit { layerSeconds.deallocate() }

    /// The input of convolution `i`: the images, the previous activation, or its pooling.
    func input(_ i: Int) -> Matrix { i == 0 ? images : pooled[i - 1] ?? activated[i - 1] }

    /// The convolution being timed (so recorded products can be attributed to it).
    var currentLayer = 0

    func timed(_ layer: Int, _ body: () -> Void) {
        currentLayer = layer
        let started = DispatchTime.now().uptimeNanoseconds
        body()
        layerSeconds[layer] += Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
    }

    /// Forward and backward of the whole stack, parameter gradients accumulated.
    func iterate() {
        let last = convolutions.count - 1
        for i in 0...last {
            timed(i) { convolutions[i].forward(input(i), into: convolved[i], scratch: scratch) }
            norms[i].forwardTraining(convolved[i], into: activated[i], cache: caches[i], rectified: true)
            if let pool = pools[i], let out = pooled[i] { pool.forward(activated[i], into: out) }
        }
        average.forward(pooled[last] ?? activated[last], into: features)
        if let gradient = pooledGradients[last] {
            average.backward(outputGradient: featureGradient, inputGradient: gradient)
        } else {
            average.backward(outputGradient: featureGradient, inputGradient: gradients[last])
        }
        for i in stride(from: last, through: 0, by: -1) {
            if let pool = pools[i], let out = pooled[i], let gradient = pooledGradients[i] {
                pool.backward(input: activated[i], output: out, outputGradient: gradient, inputGradient: gradients[i])
            }
            norms[i].backwardTraining(convolved[i], cache: caches[i], outputGradient: gradients[i], inputGradient: gradients[i], rectified: true)
            // The first layer's input is the data: no gradient for it.
            let inputGradient: Matrix? = i == 0 ? nil : pooledGradients[i - 1] ?? gradients[i - 1]
            timed(i) { convolutions[i].backward(input(i), outputGradient: gradients[i], inputGradient: inputGradient, scratch: scratch) }
        }
    }

    /// One iteration with every product recorded, by convolution layer
    /// (products happen only inside the timed convolution calls).
    func recordProducts() -> [[GemmShape]] {
        var shapes = [[GemmShape]](repeating: [], count: convolutions.count)
        BLAS.recorder = { [unowned self] shape in shapes[self.currentLayer].append(shape) }
        defer { BLAS.recorder = nil }
        iterate()
        return shapes
    }
}
