import ArgumentParser
import KoineBench
import KoineGame
import KoineMPI

/// `koine bench images`: `ImagesBenchmark` on every rank, rank 0 reporting.
struct BenchImages: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "images",
        abstract: "Time training iterations of the image game (Havrylov & Titov, 128 images a step).",
        discussion: """
            One iteration is one training step of one speaker and one listener sharing a visual encoder \
            (widths 32, 64, 128, two 3 × 3 convolutions per block, batch norm) on 128 rendered 32 × 32 shapes: \
            every image the target of one game against the other 127, vocabulary 100, length 5, hidden --hidden, \
            LSTM, Gumbel-Softmax straight-through, the hinge loss, Adam 1e-3. scripts/bench-images-vs-pytorch \
            runs it beside a PyTorch reference of the same iteration.
            Example: koine bench images --mode frozen_random --steps 200
            """)

    @Option(help: "The visual encoder's mode: learned or frozen_random.") var mode = "learned"
    @Option(help: "Hidden size of the agents and the encoder's output.") var hidden = 256
    @Option(help: "Timed iterations.") var steps = 50
    @Option(help: "Untimed iterations first.") var warmup = 5
    @Option(help: "Timing rounds; the best is reported.") var rounds = 3
    @Flag(help: "Print one JSON object (rank 0).") var json = false
    @OptionGroup var kernels: ProductKernelOptions

    func run() throws {
        guard let visualMode = VisualEncoderMode(rawValue: mode), visualMode != .pretrained else {
            throw UsageFailure("bench images: --mode: expected learned or frozen_random, got \(mode)")
        }
        for (name, value) in [("--hidden", hidden), ("--steps", steps), ("--rounds", rounds)] where value < 1 {
            throw UsageFailure("bench images: \(name) must be at least 1 (got \(value))")
        }
        kernels.apply()
        let communicator = try ClusterEnvironment.makeCommunicator()
        let result = try ImagesBenchmark(mode: visualMode, hidden: hidden, steps: steps, warmup: warmup, rounds: rounds)
            .run(on: communicator)
        try communicator.finalize()
        guard communicator.rank == 0 else { return }
        print(json ? result.json : result.report)
    }
}
