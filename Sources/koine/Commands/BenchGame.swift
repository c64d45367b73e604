import ArgumentParser
import KoineBench
import KoineMPI

/// `koine bench game`: `GameBenchmark` on every rank, rank 0 reporting.
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

    func run() throws {
        for (name, value) in [("--listeners", listeners), ("--steps", steps), ("--rounds", rounds)] where value < 1 {
            throw UsageFailure("bench game: \(name) must be at least 1 (got \(value))")
        }
        kernels.apply()
        let communicator = try ClusterEnvironment.makeCommunicator()
        let result = try GameBenchmark(listeners: listeners, steps: steps, warmup: warmup, rounds: rounds)
            .run(on: communicator)
        try communicator.finalize()
        guard communicator.rank == 0 else { return }
        if products && !json { result.timeEachProduct { print($0) } }
        print(json ? result.json : result.report)
    }
}
