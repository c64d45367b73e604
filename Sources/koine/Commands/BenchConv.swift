import ArgumentParser
import Foundation
import KoineBench
import KoineTensor

/// `koine bench conv`: `ConvBenchmark` of the stack the options describe.
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
        let result = ConvBenchmark(batch: batch, size: size, channels: channels, widths: blockWidths, convolutions: convolutions,
                                   rowsPerProduct: rowsPerProduct, algorithm: algorithm, tilesPerProduct: tilesPerProduct,
                                   steps: steps, rounds: rounds).run()
        if json { print(result.json); return }
        print(result.report(widths: widths))
        if layers { print(result.layerTable) }
    }
}

extension Conv2D.Algorithm: ExpressibleByArgument {}
