import ArgumentParser
import KoineBench
import KoineTensor

/// `koine bench`: measurements of the engine. A command group, so more
/// benchmarks (`koine bench game`, …) can sit beside `lstm`.
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Benchmarks of the training engine.",
        subcommands: [BenchLSTM.self, BenchGame.self, BenchImages.self, BenchConv.self, BenchLinkCheck.self])
}

/// `koine bench lstm`: one LSTM step forward and backward, against raw
/// `cblas_sgemm` over the same products, so the engine's overhead over BLAS
/// shows as a ratio.
struct BenchLSTM: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lstm",
        abstract: "Time an LSTM step (forward + backward) against raw cblas_sgemm at the same shapes.",
        discussion: """
            One step is the forward of an LSTM cell from a given state (x·Wx and h·Wh, fused gates) \
            and its backward (dWx, dWh, dx, dh, dc): six matrix products, 24·B·H·(I+H) FLOPs, \
            plus the gate nonlinearities. The reference runs the same six cblas_sgemm calls on the \
            same buffers with no elementwise work. Times are the best of --rounds rounds of --steps \
            steps (the median is shown beside it); the machine's other load only makes rounds slower.
            Example: koine bench lstm --batch 100 --hidden 100 --steps 1000
            """)

    @Option(help: "Rows per step.") var batch = 100
    @Option(help: "Hidden units.") var hidden = 100
    @Option(help: "Input width (default: the hidden size).") var input: Int?
    @Option(help: "Timed steps per round.") var steps = 500
    @Option(help: "Rounds; the best and the median are reported.") var rounds = 5
    @Option(help: "OpenBLAS threads (one per rank is how Koine runs).") var threads = 1
    @Flag(help: "Print the figures as one JSON object.") var json = false

    func run() throws {
        let inputWidth = input ?? hidden
        for (name, value) in [("--batch", batch), ("--hidden", hidden), ("--input", inputWidth), ("--steps", steps),
                              ("--rounds", rounds), ("--threads", threads)] where value < 1 {
            throw UsageFailure("bench lstm: \(name) must be ≥ 1 (got \(value))")
        }
        BLAS.prepareComputeThread(threads: threads)  // as training does
        let result = LSTMBenchmark(batch: batch, input: inputWidth, hidden: hidden).run(steps: steps, rounds: rounds)
        print(json ? result.json(threads: BLAS.threads) : result.table(threads: BLAS.threads))
    }
}
