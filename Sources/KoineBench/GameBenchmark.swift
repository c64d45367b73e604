import Foundation
import KoineCluster
import KoineGame
import KoineTelemetry
import KoineTensor
import KoineTrainer

/// `koine bench game`: training iterations of the Li & Bowling game, timed,
/// with their exact FLOP count and the same products replayed through raw
/// `cblas_sgemm`. Under `mpirun` every rank trains its own population and
/// rank 0 reports the sums. The model is Li & Bowling's as the shipped
/// configs train it: private encoders, so nothing is all-reduced.
public struct GameBenchmark {
    public let listeners: Int, steps: Int, warmup: Int, rounds: Int

    public init(listeners: Int, steps: Int, warmup: Int, rounds: Int) {
        (self.listeners, self.steps, self.warmup, self.rounds) = (listeners, steps, warmup, rounds)
    }

    public static let game = """
        seed: 1
        game: {kind: attributes, attributes: [8, 4], candidates: 5, vocab: 8, message_length: 2}
        agents: {cell: lstm, hidden: 100, channel: reinforce, entropy: 0.1, symbol_input: one_hot, encoder: private, baseline: none}
        population: {speakers: 1, pairing: all}
        train: {steps: 1000000, batch: 100, optimizer: {kind: adam, lr: 0.001}}
        eval: {every: 0, ease_of_teaching: {every: 0}}
        telemetry: {endpoint: none}
        """

    /// Trains and times on every rank of `communicator`, with the calling
    /// thread and `BLAS.usesSmallProducts` as the caller set them (the
    /// command prepares the thread as training does). Every rank returns its
    /// figures, rank 0's with the job's games per second.
    public func run(on communicator: Communicator) throws -> Result {
        let configuration = try Configuration.parse(GameBenchmark.game, source: "bench game",
                                                    overrides: ["population.listeners=\(listeners)"])
        let population = try Population(configuration: configuration, communicator: communicator,
                                        random: Random(seed: 1))
        // One iteration's products, recorded as they run.
        var shapes: [GemmShape] = []
        let timing = try StepTiming(training: population, communicator: communicator, warmup: warmup, steps: steps,
                                    rounds: rounds) { shapes.append($0) }
        let settings = configuration.agentSettings
        let reference = ReferenceIteration(
            // One-hot attribute vectors: as wide as the attributes' values together.
            objects: population.game.objectCount, width: configuration.game.objects.attributes.reduce(0, +),
            batch: configuration.train.batch,
            hidden: settings.hidden, vocabulary: settings.vocabulary, length: settings.messageLength,
            candidates: configuration.game.candidates, listeners: listeners)
        let replay = SgemmReplay(fitting: shapes + reference.products)
        defer { replay.deallocate() }
        let sgemmSeconds = replay.time(shapes, iterations: max(50, steps / 4), rounds: rounds)
        let referenceSgemmSeconds = replay.time(reference.products, iterations: max(20, steps / 20), rounds: rounds)
        // Evaluation runs apart from the step (every eval.every steps): its
        // figures, the causal influence's interventions included, timed once.
        let evaluationStarted = DispatchTime.now().uptimeNanoseconds
        _ = population.evaluate()
        let evaluationSeconds = Double(DispatchTime.now().uptimeNanoseconds - evaluationStarted) / 1e9
        var games = Double(steps * configuration.train.batch * listeners) / timing.seconds
        try communicator.allreduceSum(&games, count: 1)
        return Result(listeners: listeners, steps: steps, ranks: communicator.size, blasThreads: BLAS.threads,
                      timing: timing, games: games, shapes: shapes, sgemmSeconds: sgemmSeconds,
                      reference: reference, referenceSgemmSeconds: referenceSgemmSeconds,
                      sharedBytes: (population.sharedEncoder?.module.parameters.count ?? 0) * 4,
                      evaluationSeconds: evaluationSeconds)
    }

    /// The figures of a run, and their report as `koine bench game` prints it.
    public struct Result {
        public let listeners: Int, steps: Int, ranks: Int, blasThreads: Int
        public let timing: StepTiming
        /// Games a second over every rank.
        public let games: Double
        /// The products of one iteration, as they ran.
        public let shapes: [GemmShape]
        /// Seconds of one raw sgemm pass over `shapes`.
        public let sgemmSeconds: Double
        public let reference: ReferenceIteration
        public let referenceSgemmSeconds: Double
        /// Bytes of the shared encoder's gradient, all-reduced every step (0: none).
        public let sharedBytes: Int
        /// One evaluation of the population (not part of any step).
        public let evaluationSeconds: Double

        public var flops: Int { shapes.reduce(0) { $0 + $1.flops } }
        public var iterationsPerSecond: Double { 1 / (timing.seconds / Double(steps)) }
        public var gflops: Double { Double(flops) / (timing.seconds / Double(steps)) / 1e9 }
        public var sgemmGflops: Double { Double(flops) / sgemmSeconds / 1e9 }
        public var referenceGflops: Double { Double(reference.flops) / (timing.seconds / Double(steps)) / 1e9 }
        public var referenceSgemmGflops: Double { Double(reference.flops) / referenceSgemmSeconds / 1e9 }
        /// The all-reduce wait's share of the best round.
        public var allreduceShare: Double { timing.allreduceSeconds / timing.seconds }

        public var json: String {
            JSONValue.object([
                ("listeners", .int(listeners)), ("ranks", .int(ranks)),
                ("openblas_kernels", .string(OpenBLASKernels.coreName)), ("koine_kernels", .string(VectorKernels.selected.rawValue)),
                ("iterations_per_second", .double(iterationsPerSecond)), ("games_per_second", .double(games)),
                ("flops_per_iteration", .int(flops)), ("gflops", .double(gflops)), ("sgemm_gflops", .double(sgemmGflops)),
                ("products_per_iteration", .int(shapes.count)),
                ("reference_flops_per_iteration", .int(reference.flops)), ("reference_gflops", .double(referenceGflops)),
                ("reference_sgemm_gflops", .double(referenceSgemmGflops)),
                ("allreduce_share", .double(allreduceShare)), ("allreduce_bytes", .int(sharedBytes)),
                ("raw_allreduce_seconds", .double(timing.rawAllreduceSeconds)),
                ("evaluation_seconds", .double(evaluationSeconds)),
            ]).serialized
        }

        public var report: String {
            var lines = """
                koine bench game: \(listeners) listener(s), \(ranks) rank(s), OpenBLAS threads \(blasThreads) (\(OpenBLASKernels.coreName)), Koine's kernels \(VectorKernels.selected.rawValue)
                  iterations/s (per rank)   \(String(format: "%.1f", iterationsPerSecond))
                  games/s (all ranks)       \(String(format: "%.0f", games))
                  FLOPs per iteration       \(flops) over \(shapes.count) products
                  achieved                  \(String(format: "%.1f", gflops)) GFLOP/s
                  raw sgemm, same products  \(String(format: "%.1f", sgemmGflops)) GFLOP/s
                  share of sgemm            \(String(format: "%.1f", 100 * gflops / sgemmGflops))%
                  the reference's iteration \(reference.flops) FLOPs over \(reference.products.count) products (one row per game, as PyTorch runs it)
                  ... over Koine's time     \(String(format: "%.1f", referenceGflops)) GFLOP/s
                  raw sgemm, its products   \(String(format: "%.1f", referenceSgemmGflops)) GFLOP/s
                  share of sgemm            \(String(format: "%.1f", 100 * referenceGflops / referenceSgemmGflops))% (over 100%: the exact shortcuts skip work)
                  one evaluation            \(String(format: "%.1f", evaluationSeconds * 1000)) ms, outside the step (every eval.every steps)
                """
            if sharedBytes > 0 {
                lines += "\n  all-reduce wait share     \(String(format: "%.1f", 100 * timing.allreduceSeconds / timing.seconds))% of step time (\(sharedBytes) bytes; "
                    + "a blocking MPI_Allreduce of it alone: \(String(format: "%.1f", timing.rawAllreduceSeconds * 1e6)) µs)"
            }
            return lines
        }

        /// Times every product of one iteration on its own, raw and through
        /// `BLAS.gemm`, handing `line` the heading and then one line a product
        /// as each is timed.
        public func timeEachProduct(_ line: (String) -> Void) {
            let replay = SgemmReplay(fitting: shapes + reference.products)
            defer { replay.deallocate() }
            line("  products of one iteration (m × k · k × n, op; raw sgemm, then BLAS.gemm as Koine runs it):")
            for shape in shapes {
                let micros = replay.time([shape], iterations: 200, rounds: 3) * 1e6
                let koineMicros = replay.time([shape], iterations: 200, rounds: 3, koine: true) * 1e6
                line(String(format: "    %4d × %4d · %4d × %4d  %@%@  %8.2f µs %6.1f GFLOP/s   %8.2f µs %6.1f GFLOP/s",
                            shape.m, shape.k, shape.k, shape.n,
                            shape.transposeA ? "T" : "N", shape.transposeB ? "T" : "N", micros,
                            Double(shape.flops) / micros / 1e3, koineMicros, Double(shape.flops) / koineMicros / 1e3))
            }
        }
    }
}
