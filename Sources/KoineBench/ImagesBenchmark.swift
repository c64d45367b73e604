import Foundation
import KoineCluster
import KoineGame
import KoineTelemetry
import KoineTensor
import KoineTrainer

/// `koine bench images`: training iterations of the image game in Mihai &
/// Hare's shape (128 images a step, each the target of one game against the
/// other 127; vocabulary 100, length 5), timed. Under `mpirun` every rank
/// trains its own population with the shared visual encoder all-reduced, and
/// rank 0 reports the all-reduce's share of the step beside a blocking
/// `MPI_Allreduce` of the same buffer alone.
public struct ImagesBenchmark {
    public let mode: VisualEncoderMode
    public let hidden: Int, steps: Int, warmup: Int, rounds: Int

    public init(mode: VisualEncoderMode, hidden: Int, steps: Int, warmup: Int, rounds: Int) {
        (self.mode, self.hidden, self.steps, self.warmup, self.rounds) = (mode, hidden, steps, warmup, rounds)
    }

    public var game: String {
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

    /// Trains and times on every rank of `communicator`, as `GameBenchmark.run`.
    public func run(on communicator: Communicator) throws -> Result {
        let configuration = try Configuration.parse(game, source: "bench images")
        let population = try Population(configuration: configuration, communicator: communicator, random: Random(seed: 1))
        var flops = 0
        let timing = try StepTiming(training: population, communicator: communicator, warmup: warmup, steps: steps,
                                    rounds: rounds) { flops += $0.flops }
        var games = Double(steps * configuration.train.batch) / timing.seconds
        try communicator.allreduceSum(&games, count: 1)
        return Result(mode: mode, hidden: hidden, steps: steps, ranks: communicator.size, blasThreads: BLAS.threads,
                      timing: timing, games: games, flops: flops,
                      sharedBytes: population.sharedEncoder!.module.parameters.count * 4)
    }

    /// The figures of a run, and their report as `koine bench images` prints it.
    public struct Result {
        public let mode: VisualEncoderMode
        public let hidden: Int, steps: Int, ranks: Int, blasThreads: Int
        public let timing: StepTiming
        /// Games a second over every rank.
        public let games: Double
        /// FLOPs of one iteration's matrix products.
        public let flops: Int
        /// Bytes of the shared encoder's gradient, all-reduced every step.
        public let sharedBytes: Int

        public var iterationsPerSecond: Double { Double(steps) / timing.seconds }
        public var gflops: Double { Double(flops) * iterationsPerSecond / 1e9 }
        /// The all-reduce wait's share of the best round.
        public var allreduceShare: Double { timing.allreduceSeconds / timing.seconds }

        public var json: String {
            JSONValue.object([
                ("mode", .string(mode.rawValue)), ("ranks", .int(ranks)), ("hidden", .int(hidden)),
                ("iterations_per_second", .double(iterationsPerSecond)), ("games_per_second", .double(games)),
                ("matrix_product_flops_per_iteration", .int(flops)),
                ("gflops", .double(gflops)),
                ("allreduce_share", .double(allreduceShare)), ("allreduce_bytes", .int(sharedBytes)),
                ("raw_allreduce_seconds", .double(timing.rawAllreduceSeconds)),
            ]).serialized
        }

        public var report: String {
            """
            koine bench images: \(mode.rawValue) encoder, hidden \(hidden), \(ranks) rank(s), OpenBLAS threads \(blasThreads) (\(OpenBLASKernels.coreName)), Koine's kernels \(VectorKernels.selected.rawValue)
              iterations/s (per rank)   \(String(format: "%.2f", iterationsPerSecond))
              games/s (all ranks)       \(String(format: "%.0f", games))
              matrix-product FLOPs      \(flops) per iteration, \(String(format: "%.1f", gflops)) GFLOP/s
              all-reduce wait share     \(String(format: "%.1f", 100 * timing.allreduceSeconds / timing.seconds))% of step time (\(sharedBytes) bytes; a blocking MPI_Allreduce of it alone: \(String(format: "%.1f", timing.rawAllreduceSeconds * 1e6)) µs)
            """
        }
    }
}
