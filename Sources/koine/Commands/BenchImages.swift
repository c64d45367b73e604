import ArgumentParser
import Foundation
import KoineCluster
import KoineGame
import KoineMPI
import KoineTelemetry
import KoineTensor
import KoineTrainer

/// `koine bench images`: training iterations of the image game in Mihai &
/// Hare's shape (128 images a step, each the target of one game against the
/// other 127; vocabulary 100, length 5), timed. Under `mpirun` every rank
/// trains its own population with the shared visual encoder all-reduced, and
/// rank 0 reports the all-reduce's share of the step beside a blocking
/// `MPI_Allreduce` of the same buffer alone.
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

    func game(mode: VisualEncoderMode) -> String {
        """
        seed: 1
        game: {kind: images, dataset: shapes, shapes: {train: 1024, test: 128}, candidates: 128, vocab: 100,
               message_length: 5, variable_length: true}
        agents: {hidden: \(hidden), channel: gumbel, listener_loss: hinge, encoder: shared,
                 visual: {mode: \(mode.rawValue), widths: [32, 64, 128], convolutions: 2, batch_norm: true}}
        train: {steps: 1000000, batch: 128, optimizer: {kind: adam, lr: 0.001}}
        eval: {every: 0, images: 128}
        telemetry: {endpoint: none}
        """
    }

    func run() throws {
        guard let visualMode = VisualEncoderMode(rawValue: mode), visualMode != .pretrained else {
            throw UsageFailure("bench images: --mode: expected learned or frozen_random, got \(mode)")
        }
        for (name, value) in [("--hidden", hidden), ("--steps", steps), ("--rounds", rounds)] where value < 1 {
            throw UsageFailure("bench images: \(name) must be at least 1 (got \(value))")
        }
        let communicator = try ClusterEnvironment.makeCommunicator()
        BLAS.prepareComputeThread()
        kernels.apply()
        let configuration = try Configuration.parse(game(mode: visualMode), source: "bench images")
        let population = try Population(configuration: configuration, communicator: communicator, random: Random(seed: 1))
        let shared = population.sharedEncoder!.module.parameters
        var step = 0
        /// One training step; the seconds it waited for the all-reduce.
        func iteration() throws -> Double {
            defer { step += 1 }
            return try population.trainStep(step).allreduceSeconds
        }
        for _ in 0..<warmup { _ = try iteration() }
        var flops = 0
        BLAS.recorder = { flops += $0.flops }
        _ = try iteration()
        BLAS.recorder = nil

        let timing = try StepTiming(communicator: communicator, steps: steps, rounds: rounds, gradients: shared.gradients,
                                    count: shared.count, iteration: iteration)
        let (best, bestWait, rawAllreduce) = (timing.seconds, timing.allreduceSeconds, timing.rawAllreduceSeconds)
        let iterationsPerSecond = Double(steps) / best
        var games = Double(steps * configuration.batch) / best
        try communicator.allreduceSum(&games, count: 1)
        try communicator.finalize()
        guard communicator.rank == 0 else { return }
        if json {
            print(JSONValue.object([
                ("mode", .string(visualMode.rawValue)), ("ranks", .int(communicator.size)), ("hidden", .int(hidden)),
                ("iterations_per_second", .double(iterationsPerSecond)), ("games_per_second", .double(games)),
                ("matrix_product_flops_per_iteration", .int(flops)),
                ("gflops", .double(Double(flops) * iterationsPerSecond / 1e9)),
                ("allreduce_share", .double(bestWait / best)), ("allreduce_bytes", .int(shared.count * 4)),
                ("raw_allreduce_seconds", .double(rawAllreduce)),
            ]).serialized)
        } else {
            print("""
                koine bench images: \(visualMode.rawValue) encoder, hidden \(hidden), \(communicator.size) rank(s), OpenBLAS threads \(BLAS.threads)
                  iterations/s (per rank)   \(String(format: "%.2f", iterationsPerSecond))
                  games/s (all ranks)       \(String(format: "%.0f", games))
                  matrix-product FLOPs      \(flops) per iteration, \(String(format: "%.1f", Double(flops) * iterationsPerSecond / 1e9)) GFLOP/s
                  all-reduce wait share     \(String(format: "%.1f", 100 * bestWait / best))% of step time (\(shared.count * 4) bytes; a blocking MPI_Allreduce of it alone: \(String(format: "%.1f", rawAllreduce * 1e6)) µs)
                """)
        }
    }
}
