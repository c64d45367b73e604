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

    @Option(name: .long, help: "The YAML configuration file (with --resume, optional: it must match the run's).")
    var config: String?

    @Option(name: .customLong("set"), help: "Override a configuration key, e.g. --set train.steps=1000 (repeatable).")
    var overrides: [String] = []

    @Option(name: .long, help: "The run directory to create (default runs/<config name>-<time>).")
    var out: String?

    @Option(name: .long, help: "Continue the run in DIR from its newest complete checkpoint (--set train.steps=N extends it).")
    var resume: String?

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
            if let resume {
                if out != nil { try fail("--out and --resume: a resumed run stays in its own directory; pass only --resume \(resume)") }
                configuration = try Resume.configuration(run: resume, config: config, overrides: overrides)
            } else {
                guard let config else { try fail("--config FILE is required (or --resume DIR to continue a run)") }
                configuration = try Configuration.load(file: config, overrides: overrides)
            }
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
            try fail("\(config ?? resume ?? ""): game.holdout: \(error)")
        }

        let path: String
        do {
            if let resume {
                try restore(trainer, from: resume, communicator: communicator)
                path = resume
            } else {
                path = try create(trainer, communicator: communicator)
            }
        } catch let error as ConfigurationError {
            try fail(error.message)
        }
        let runIdentifier = URL(fileURLWithPath: path).lastPathComponent
        if configuration.checkpointEvery > 0 { trainer.checkpoints = CheckpointStore(run: URL(fileURLWithPath: path)) }

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

    /// Rank 0 names, checks and creates the run directory; every rank learns
    /// the outcome. Nothing is created when the checks fail.
    private func create(_ trainer: Trainer, communicator: Communicator) throws -> String {
        let configuration = trainer.configuration
        let path = out ?? defaultRunDirectory()
        let url = URL(fileURLWithPath: path)
        let checkpointBytes = try CheckpointSpace.bytesPerCheckpoint(trainer)
        var failure = ""
        if communicator.rank == 0 {
            do {
                try RunDirectory.check(url)
                let count = CheckpointStore.peakCount(steps: configuration.steps, every: configuration.checkpointEvery,
                                                      keep: configuration.checkpointKeep)
                if let problem = CheckpointSpace.problem(at: url, option: "--out \(path)", bytes: checkpointBytes, count: count) {
                    throw ConfigurationError(problem)
                }
                trainer.run = try RunDirectory(url: url, configuration: configuration)
            } catch let error as ConfigurationError {
                failure = error.message
            } catch {
                failure = "--out \(path): \(error)"
            }
        }
        try agree(failure, communicator)
        return path
    }

    /// Rank 0 picks the newest intact complete checkpoint of `directory`;
    /// every rank reads and restores its own file of that step.
    private func restore(_ trainer: Trainer, from directory: String, communicator: Communicator) throws {
        let configuration = trainer.configuration
        let url = URL(fileURLWithPath: directory)
        let store = CheckpointStore(run: url)
        var decision = ""
        if communicator.rank == 0 {
            do {
                let (step, skipped) = try Resume.select(store, run: directory, worldSize: communicator.size, configuration: configuration)
                for fault in skipped {
                    FileHandle.standardError.write(Data("koine: skipping a damaged checkpoint: \(fault)\n".utf8))
                }
                FileHandle.standardError.write(Data("koine: resuming \(directory) from step \(step)\(skipped.isEmpty ? "" : " (the newest intact complete checkpoint)")\n".utf8))
                decision = "\(step)"
            } catch let error as ConfigurationError {
                decision = "!" + error.message
            }
        }
        decision = try communicator.gatherStrings(decision)[0]
        if decision.hasPrefix("!") { throw ConfigurationError(String(decision.dropFirst())) }
        let step = Int(decision)!
        var failure = ""
        do {
            let payload = try store.read(step: step, rank: communicator.rank, worldSize: communicator.size,
                                         configuration: configuration.identity)
            try trainer.restore(payload: payload, file: store.display(store.file(step: step, rank: communicator.rank)), step: step)
        } catch {
            failure = "--resume \(directory): rank \(communicator.rank): \(error)"
        }
        try agree(failure, communicator)
        let checkpointBytes = try CheckpointSpace.bytesPerCheckpoint(trainer)
        if communicator.rank == 0 {
            do {
                let kept = store.steps().filter { $0.complete && $0.step <= step }.count
                let count = max(1, CheckpointStore.peakCount(steps: configuration.steps - step, every: configuration.checkpointEvery,
                                                             keep: configuration.checkpointKeep) - kept + 1)
                if let problem = CheckpointSpace.problem(at: url, option: "--resume \(directory)", bytes: checkpointBytes, count: count) {
                    throw ConfigurationError(problem)
                }
                // Steps after the one resumed from are replayed: their folders
                // (unfinished or damaged) and metrics lines go.
                for entry in store.steps() where entry.step > step { store.remove(step: entry.step) }
                trainer.run = try RunDirectory(resuming: url, configuration: configuration,
                                               metricsLength: trainer.resumed?.metricsLength ?? 0)
            } catch let error as ConfigurationError {
                failure = error.message
            } catch {
                failure = "--resume \(directory): \(error)"
            }
        }
        try agree(failure, communicator)
    }

    /// Every rank learns rank 0's failure (empty: none) and throws it.
    private func agree(_ failure: String, _ communicator: Communicator) throws {
        let failures = try communicator.gatherStrings(failure)
        if let message = failures.first(where: { !$0.isEmpty }) { throw ConfigurationError(message) }
    }

    private func defaultRunDirectory() -> String {
        let name = URL(fileURLWithPath: config ?? "run").deletingPathExtension().lastPathComponent
        let formatter = DateFormatter()
        formatter.dateFormat = "yyyyMMdd-HHmmss"
        formatter.timeZone = TimeZone(identifier: "UTC")
        return "runs/\(name)-\(formatter.string(from: Date()))"
    }
}
