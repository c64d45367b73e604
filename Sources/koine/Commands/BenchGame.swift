import ArgumentParser
import Foundation
import KoineCluster
import KoineGame
import KoineMPI
import KoineTelemetry
import KoineTensor
import KoineTrainer

/// `koine bench game`: training iterations of the Li & Bowling game, timed,
/// with their exact FLOP count and the same products replayed through raw
/// `cblas_sgemm`. Under `mpirun` every rank trains its own population and
/// rank 0 reports the sums. The model is Li & Bowling's as the shipped
/// configs train it: private encoders, so nothing is all-reduced.
struct BenchGame: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "game",
        abstract: "Time training iterations of the Li & Bowling game against raw sgemm over the same products.",
        discussion: """
            One iteration is one training step of one speaker and --listeners listeners on 8 × 4 objects, \
            vocabulary 8, length 2, 5 candidates, batch 100, hidden 100, LSTM, one-hot symbols, private \
            encoders, REINFORCE with entropy 0.1 and no baseline, Adam 1e-3 (configs/li-bowling/*.yaml \
            without resets). FLOPs are 2·m·n·k summed over every matrix \
            product of an iteration, counted as they run; the sgemm reference replays exactly those products.
            Example: koine bench game --listeners 10 --steps 1000
            """)

    @Option(help: "Listeners in the population.") var listeners = 1
    @Option(help: "Timed iterations.") var steps = 1000
    @Option(help: "Untimed iterations first.") var warmup = 100
    @Option(help: "Timing rounds; the best is reported.") var rounds = 3
    @Flag(help: "Print one JSON object (rank 0).") var json = false
    @Flag(help: "Also list the products of one iteration, each with its raw sgemm time and Koine's.") var products = false
    @OptionGroup var kernels: ProductKernelOptions

    static let game = """
        seed: 1
        game: {kind: attributes, attributes: [8, 4], candidates: 5, vocab: 8, message_length: 2}
        agents: {cell: lstm, hidden: 100, channel: reinforce, entropy: 0.1, symbol_input: one_hot, encoder: private, baseline: none}
        population: {speakers: 1, pairing: all}
        train: {steps: 1000000, batch: 100, optimizer: {kind: adam, lr: 0.001}}
        eval: {every: 0, ease_of_teaching: {every: 0}}
        telemetry: {endpoint: none}
        """

    func run() throws {
        for (name, value) in [("--listeners", listeners), ("--steps", steps), ("--rounds", rounds)] where value < 1 {
            throw UsageFailure("bench game: \(name) must be at least 1 (got \(value))")
        }
        let communicator = try ClusterEnvironment.makeCommunicator()
        BLAS.prepareComputeThread()  // as training does
        kernels.apply()
        let configuration = try Configuration.parse(BenchGame.game, source: "bench game",
                                                    overrides: ["population.listeners=\(listeners)"])
        let population = try Population(configuration: configuration, communicator: communicator,
                                        random: Random(seed: 1))
        let shared = population.sharedEncoder?.module.parameters
        let space = (population.game as! AttributeGame).space  // the game of `BenchGame.game`
        var step = 0
        /// One training step; the seconds it waited for the all-reduce.
        func iteration() throws -> Double {
            defer { step += 1 }
            return try population.trainStep(step).allreduceSeconds
        }
        for _ in 0..<warmup { _ = try iteration() }

        // One iteration's products, recorded as they run.
        var shapes: [GemmShape] = []
        BLAS.recorder = { shapes.append($0) }
        _ = try iteration()
        BLAS.recorder = nil
        let flops = shapes.reduce(0) { $0 + $1.flops }

        let timing = try StepTiming(communicator: communicator, steps: steps, rounds: rounds, gradients: shared?.gradients,
                                    count: shared?.count ?? 0, iteration: iteration)
        let (best, bestWait, rawAllreduce) = (timing.seconds, timing.allreduceSeconds, timing.rawAllreduceSeconds)
        let settings = configuration.agentSettings
        let reference = ReferenceIteration(
            objects: space.count, width: space.width, batch: configuration.batch,
            hidden: settings.hidden, vocabulary: settings.vocabulary, length: settings.messageLength,
            candidates: configuration.candidates, listeners: listeners)
        let sharedBytes = (shared?.count ?? 0) * 4
        let replay = SgemmReplay(fitting: shapes + reference.products)
        defer { replay.deallocate() }
        let sgemmSeconds = replay.time(shapes, iterations: max(50, steps / 4), rounds: rounds)
        let referenceSgemmSeconds = replay.time(reference.products, iterations: max(20, steps / 20), rounds: rounds)

        let perIteration = best / Double(steps)
        var games = Double(steps * configuration.batch * listeners) / best
        try communicator.allreduceSum(&games, count: 1)
        let iterationsPerSecond = 1 / perIteration
        let gflops = Double(flops) / perIteration / 1e9
        let sgemmGflops = Double(flops) / sgemmSeconds / 1e9
        let referenceGflops = Double(reference.flops) / perIteration / 1e9
        let referenceSgemmGflops = Double(reference.flops) / referenceSgemmSeconds / 1e9
        try communicator.finalize()
        guard communicator.rank == 0 else { return }
        if products && !json {
            print("  products of one iteration (m × k · k × n, op; raw sgemm, then BLAS.gemm as Koine runs it):")
            for shape in shapes {
                let micros = replay.time([shape], iterations: 200, rounds: 3) * 1e6
                let koineMicros = replay.time([shape], iterations: 200, rounds: 3, koine: true) * 1e6
                print(String(format: "    %4d × %4d · %4d × %4d  %@%@  %8.2f µs %6.1f GFLOP/s   %8.2f µs %6.1f GFLOP/s",
                             shape.m, shape.k, shape.k, shape.n,
                             shape.transposeA ? "T" : "N", shape.transposeB ? "T" : "N", micros,
                             Double(shape.flops) / micros / 1e3, koineMicros, Double(shape.flops) / koineMicros / 1e3))
            }
        }
        if json {
            print(JSONValue.object([
                ("listeners", .int(listeners)), ("ranks", .int(communicator.size)),
                ("iterations_per_second", .double(iterationsPerSecond)), ("games_per_second", .double(games)),
                ("flops_per_iteration", .int(flops)), ("gflops", .double(gflops)), ("sgemm_gflops", .double(sgemmGflops)),
                ("products_per_iteration", .int(shapes.count)),
                ("reference_flops_per_iteration", .int(reference.flops)), ("reference_gflops", .double(referenceGflops)),
                ("reference_sgemm_gflops", .double(referenceSgemmGflops)),
                ("allreduce_share", .double(bestWait / best)), ("allreduce_bytes", .int(sharedBytes)),
                ("raw_allreduce_seconds", .double(rawAllreduce)),
            ]).serialized)
        } else {
            print("""
                koine bench game: \(listeners) listener(s), \(communicator.size) rank(s), OpenBLAS threads \(BLAS.threads)
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
                """)
            if sharedBytes > 0 {
                print("  all-reduce wait share     \(String(format: "%.1f", 100 * bestWait / best))% of step time (\(sharedBytes) bytes; "
                      + "a blocking MPI_Allreduce of it alone: \(String(format: "%.1f", rawAllreduce * 1e6)) µs)")
            }
        }
    }
}
