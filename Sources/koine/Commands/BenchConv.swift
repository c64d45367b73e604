import ArgumentParser
import Foundation
import KoineTelemetry
import KoineTensor

/// `koine bench conv`: forward and backward of a VGG-style stack, the
/// convolution layers timed on their own against raw `cblas_sgemm` over the
/// very products they ran.
struct BenchConv: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "conv",
        abstract: "Time a VGG-style convolutional stack (forward + backward) and its convolutions against raw sgemm.",
        discussion: """
            The stack: for each width, --convolutions 3 × 3 convolutions (padding 1, no bias) each followed by \
            batch normalisation (training mode) and ReLU, then 2 × 2 max-pooling; global average pooling at the \
            end; the output gradient is fixed. The convolution layers' time (im2col, products, col2im, the \
            bias-free layers' sums) is measured around their own calls; their FLOPs are 2·m·n·k over the products \
            they ran, recorded as they ran, and the sgemm reference replays exactly those products. A layer run \
            by Winograd's algorithm (--algorithm) forms fewer products than im2col for the same convolution: \
            "direct" FLOPs count what im2col would multiply, so its effective GFLOP/s compare the algorithms. Times \
            are the best of --rounds rounds of --steps iterations.
            Example: OPENBLAS_NUM_THREADS=1 koine bench conv --batch 128 --widths 32,64,128
            """)

    @Option(help: "Images per batch.") var batch = 128
    @Option(help: "Image height and width.") var size = 32
    @Option(help: "Input channels.") var channels = 3
    @Option(help: "Output channels of each block, comma-separated.") var widths = "32,64,128"
    @Option(help: "Convolutions per block.") var convolutions = 2
    @Option(help: "Output rows each convolution product aims at (images gathered per product).")
    var rowsPerProduct = Conv2D.defaultRowsPerProduct
    @Option(help: "automatic (Winograd's F(2×2, 3×3) where it applies, im2col elsewhere), im2col or winograd.")
    var algorithm = Conv2D.Algorithm.automatic
    @Option(help: "2 × 2 output tiles each Winograd group of products aims at.")
    var tilesPerProduct = WinogradConvolution.defaultTilesPerProduct
    @Option(help: "Timed iterations per round.") var steps = 3
    @Option(help: "Rounds; the best is reported.") var rounds = 3
    @Flag(help: "Also report every convolution layer on its own.") var layers = false
    @Flag(help: "Print the figures as one JSON object.") var json = false

    func run() throws {
        let blockWidths = widths.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !blockWidths.isEmpty, blockWidths.count == widths.split(separator: ",").count, blockWidths.allSatisfy({ $0 > 0 }) else {
            throw UsageFailure("bench conv: --widths must be positive integers separated by commas (got \(widths))")
        }
        for (name, value) in [("--batch", batch), ("--channels", channels), ("--convolutions", convolutions),
                              ("--rows-per-product", rowsPerProduct), ("--tiles-per-product", tilesPerProduct), ("--steps", steps), ("--rounds", rounds)] where value < 1 {
            throw UsageFailure("bench conv: \(name) must be at least 1 (got \(value))")
        }
        guard size >> blockWidths.count >= 1 else {
            throw UsageFailure("bench conv: \(blockWidths.count) poolings need images of at least \(1 << blockWidths.count) pixels (got \(size))")
        }
        BLAS.prepareComputeThread()  // as training does: OPENBLAS_NUM_THREADS, else one
        let stack = ConvolutionStack(batch: batch, image: ImageShape(height: size, width: size, channels: channels),
                                     widths: blockWidths, convolutionsPerBlock: convolutions, rowsPerProduct: rowsPerProduct,
                                     algorithm: algorithm, tilesPerProduct: tilesPerProduct)
        stack.iterate()   // warm-up: page faults, BLAS buffers

        // One iteration's products, by layer, recorded as they run.
        let shapes = stack.recordProducts()
        let flops = shapes.map { $0.reduce(0) { $0 + $1.flops } }
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
        let convolutionSeconds = bestLayers.reduce(0, +), sgemmSeconds = sgemmLayers.reduce(0, +)
        let totalFlops = flops.reduce(0, +)
        let gflops = Double(totalFlops) / convolutionSeconds / 1e9, sgemmGflops = Double(totalFlops) / sgemmSeconds / 1e9
        // What im2col multiplies: forward, weight gradient, and the input gradient but for the first layer.
        let directFlops = stack.convolutions.enumerated().map { i, convolution in
            2 * batch * convolution.output.positions * convolution.patch * convolution.output.channels * (i == 0 ? 2 : 3)
        }
        let totalDirect = directFlops.reduce(0, +)
        let effective = Double(totalDirect) / convolutionSeconds / 1e9
        let winogradLayers = stack.convolutions.filter { $0.winograd != nil }.count

        if json {
            print(JSONValue.object([
                ("benchmark", "conv"), ("batch", .int(batch)), ("size", .int(size)), ("channels", .int(channels)),
                ("widths", .array(blockWidths.map { .int($0) })), ("convolutions_per_block", .int(convolutions)),
                ("rows_per_product", .int(rowsPerProduct)), ("blas_threads", .int(BLAS.threads)),
                ("stack_seconds", .double(bestStack)), ("convolution_seconds", .double(convolutionSeconds)),
                ("convolution_flops", .int(totalFlops)), ("products", .int(shapes.reduce(0) { $0 + $1.count })),
                ("convolution_gflops", .double(gflops)), ("sgemm_gflops", .double(sgemmGflops)),
                ("share", .double(gflops / sgemmGflops)), ("algorithm", .string(algorithm.rawValue)),
                ("winograd_layers", .int(winogradLayers)), ("direct_flops", .int(totalDirect)),
                ("effective_gflops", .double(effective)),
            ]).serialized)
            return
        }
        print("""
            koine bench conv: batch \(batch) of \(size)×\(size)×\(channels), widths \(widths), \(convolutions) convolutions per block, \
            \(rowsPerProduct) rows per product; OpenBLAS threads \(BLAS.threads); best of \(rounds) rounds × \(steps) iterations
              stack forward + backward   \(String(format: "%.1f", bestStack * 1e3)) ms per iteration
              convolution layers         \(String(format: "%.1f", convolutionSeconds * 1e3)) ms (\(String(format: "%.0f", 100 * convolutionSeconds / bestStack))% of the stack)
              their FLOPs                \(String(format: "%.2f", Double(totalFlops) / 1e9)) GFLOP over \(shapes.reduce(0) { $0 + $1.count }) products
              achieved                   \(String(format: "%.1f", gflops)) GFLOP/s
              raw sgemm, same products   \(String(format: "%.1f", sgemmGflops)) GFLOP/s
              share of sgemm             \(String(format: "%.1f", 100 * gflops / sgemmGflops))%
              algorithm                  \(algorithm.rawValue): \(winogradLayers) of \(stack.convolutions.count) layers by Winograd
              direct (im2col) FLOPs      \(String(format: "%.2f", Double(totalDirect) / 1e9)) GFLOP: effective \(String(format: "%.1f", effective)) GFLOP/s
            """)
        if layers {
            print("  layer                      GFLOP    ms   GFLOP/s   sgemm GFLOP/s   share   effective GFLOP/s")
            for (i, convolution) in stack.convolutions.enumerated() {
                let name = "\(convolution.input) → \(convolution.output)"
                let achieved = Double(flops[i]) / bestLayers[i] / 1e9, raw = Double(flops[i]) / sgemmLayers[i] / 1e9
                print("  " + name.padding(toLength: 24, withPad: " ", startingAt: 0)
                    + String(format: "%7.2f %6.1f %9.1f %15.1f %6.1f%% %19.1f", Double(flops[i]) / 1e9, bestLayers[i] * 1e3, achieved, raw,
                             100 * achieved / raw, Double(directFlops[i]) / bestLayers[i] / 1e9)
                    + (convolution.winograd == nil ? "" : "  (Winograd)"))
            }
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

extension Conv2D.Algorithm: ExpressibleByArgument {}
