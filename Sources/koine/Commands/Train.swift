import ArgumentParser
import Foundation
import KoineCluster
import KoineGame
import KoineTelemetry
import KoineTensor
import KoineTrainer

struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train a population on a configuration and write its run directory.",
        discussion: "Alone it runs as one rank; under mpirun (or koine launch) every rank hosts a population.")

    @Option(name: .long, help: "The YAML configuration file.")
    var config: String

    @Option(name: .customLong("set"), help: "Override a configuration key, e.g. --set train.steps=1000 (repeatable).")
    var overrides: [String] = []

    @Option(name: .long, help: "The run directory to create (default runs/<config name>-<time>).")
    var out: String?

    @Option(name: .long, help: "Where to send telemetry: tcp://HOST:PORT, ipc://PATH or none (overrides telemetry.endpoint).")
    var telemetry: String?

    @Flag(name: .long, help: "No progress line.")
    var quiet = false

    @Option(name: .customLong("fail-rank"), help: .hidden)
    var failRank: Int?

    @Option(name: .customLong("fail-step"), help: .hidden)
    var failStep: Int = 1

    func run() throws {
        var overrides = self.overrides
        if let telemetry { overrides.append("telemetry.endpoint=\(telemetry)") }
        // Every rank reads and checks the configuration; only rank 0 says what is wrong.
        let communicator: Communicator
        do {
            communicator = try ClusterEnvironment.makeCommunicator()
        } catch {
            throw UsageFailure("cannot start MPI: \(error)")
        }
        let isRoot = communicator.rank == 0
        func fail(_ message: String) throws -> Never {
            try? communicator.finalize()
            if isRoot { UsageFailure(message).exit() }
            Foundation.exit(2)
        }
        let configuration: Configuration
        do {
            configuration = try Configuration.load(file: config, overrides: overrides)
        } catch let error as ConfigurationError {
            try fail(error.message)
        }
        if let problem = ZeroMQPublisher.validateEndpoint(configuration.telemetryEndpoint) {
            try fail("telemetry.endpoint: \(problem)")
        }
        BLAS.threads = ProcessInfo.processInfo.environment["OPENBLAS_NUM_THREADS"].flatMap(Int.init) ?? 1

        // The population is built before anything is written, so a value that
        // only fails there (an impossible hold-out set) leaves no directory.
        let trainer: Trainer
        do {
            trainer = try Trainer(configuration: configuration, communicator: communicator, run: nil,
                                  progress: Progress(enabled: !quiet && isRoot))
        } catch let error as ObjectSpace.Failure {
            try fail("\(config): game.holdout: \(error)")
        }

        // Rank 0 names and creates the run directory; every rank learns the outcome.
        var path = out ?? defaultRunDirectory()
        var failure = ""
        if isRoot {
            do {
                trainer.run = try RunDirectory(url: URL(fileURLWithPath: path), configuration: configuration)
            } catch let error as ConfigurationError {
                failure = error.message
            } catch {
                failure = "--out \(path): \(error)"
            }
        }
        let agreed = try communicator.gatherStrings(isRoot ? "\(failure)\n\(path)" : "")[0]
        let parts = agreed.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false)
        if !parts[0].isEmpty { try fail(String(parts[0])) }
        path = String(parts[1])
        let runIdentifier = URL(fileURLWithPath: path).lastPathComponent

        do {
            let sink = try makeTelemetrySink(endpoint: configuration.telemetryEndpoint, run: runIdentifier, rank: communicator.rank)
            trainer.telemetry = sink
            trainer.runIdentifier = runIdentifier
            if let failRank, failRank == communicator.rank {
                trainer.failure = (failStep, "injected failure on rank \(failRank) (--fail-rank)")
            }
            let summary = try trainer.train()
            sink.close()
            if !quiet && isRoot {
                FileHandle.standardError.write(Data((
                    "wrote \(path): accuracy \(String(format: "%.3f", summary.accuracy)), "
                    + "topsim \(String(format: "%.3f", summary.topographicSimilarity)), "
                    + "\(Int(summary.gamesPerSecond)) games/s over \(communicator.size) rank(s)\n").utf8))
            }
            try communicator.finalize()
        } catch {
            if communicator.size > 1 { communicator.abort(reporting: error, code: 1) }
            throw error
        }
    }

    private func defaultRunDirectory() -> String {
        let name = URL(fileURLWithPath: config).deletingPathExtension().lastPathComponent
        let formatter = DateFormatter()
        formatter.dateFormat = "yyyyMMdd-HHmmss"
        formatter.timeZone = TimeZone(identifier: "UTC")
        return "runs/\(name)-\(formatter.string(from: Date()))"
    }
}
