import ArgumentParser
import Foundation
import KoineCluster
import KoineGame
import KoineMPI
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
        BLAS.prepareComputeThread()

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
    /// its path (the default name holds rank 0's clock). Nothing is created
    /// when the checks fail.
    private func create(_ trainer: Trainer, communicator: Communicator) throws -> String {
        let configuration = trainer.configuration
        let checkpointBytes = try CheckpointSpace.bytesPerCheckpoint(trainer)
        return try decidedByRoot(communicator) {
            let path = out ?? defaultRunDirectory()
            let url = URL(fileURLWithPath: path)
            do {
                try RunDirectory.check(url)
                let count = CheckpointStore.peakCount(steps: configuration.steps, every: configuration.checkpointEvery,
                                                      keep: configuration.checkpointKeep)
                if let problem = CheckpointSpace.problem(at: url, option: "--out \(path)", bytes: checkpointBytes, count: count) {
                    throw ConfigurationError(problem)
                }
                trainer.run = try RunDirectory(url: url, configuration: configuration)
            } catch let error as ConfigurationError {
                throw error
            } catch {
                throw ConfigurationError("--out \(path): \(error)")
            }
            return path
        }
    }

    /// Rank 0 picks the newest intact complete checkpoint of `directory`;
    /// every rank reads and restores its own file of that step.
    private func restore(_ trainer: Trainer, from directory: String, communicator: Communicator) throws {
        let configuration = trainer.configuration
        let url = URL(fileURLWithPath: directory)
        let store = CheckpointStore(run: url)
        let chosen = try decidedByRoot(communicator) {
            let (step, skipped) = try Resume.select(store, run: directory, worldSize: communicator.size, configuration: configuration)
            for fault in skipped {
                FileHandle.standardError.write(Data("koine: skipping a damaged checkpoint: \(fault)\n".utf8))
            }
            FileHandle.standardError.write(Data("koine: resuming \(directory) from step \(step)\(skipped.isEmpty ? "" : " (the newest intact complete checkpoint)")\n".utf8))
            return "\(step)"
        }
        let step = Int(chosen)!
        // Every rank reads its own file; any rank's failure stops them all.
        var failure = ""
        do {
            let payload = try store.read(step: step, rank: communicator.rank, worldSize: communicator.size,
                                         configuration: configuration.identity)
            try trainer.restore(payload: payload, file: store.display(store.file(step: step, rank: communicator.rank)), step: step)
        } catch {
            failure = "--resume \(directory): rank \(communicator.rank): \(error)"
        }
        if let message = try communicator.gatherStrings(failure).first(where: { !$0.isEmpty }) {
            throw ConfigurationError(message)
        }
        let checkpointBytes = try CheckpointSpace.bytesPerCheckpoint(trainer)
        _ = try decidedByRoot(communicator) {
            // Room for the rest of the run's checkpoints beyond those already on
            // disk (pruned as new ones arrive), and at least the one being written.
            let kept = store.steps().filter { $0.complete && $0.step <= step }.count
            let count = max(1, CheckpointStore.peakCount(steps: configuration.steps - step, every: configuration.checkpointEvery,
                                                         keep: configuration.checkpointKeep) - kept + 1)
            if let problem = CheckpointSpace.problem(at: url, option: "--resume \(directory)", bytes: checkpointBytes, count: count) {
                throw ConfigurationError(problem)
            }
            // Steps after the one resumed from are replayed: their folders
            // (unfinished or damaged) and metrics lines go.
            for entry in store.steps() where entry.step > step { store.remove(step: entry.step) }
            do {
                trainer.run = try RunDirectory(resuming: url, configuration: configuration,
                                               metricsLength: trainer.resumed?.metricsLength ?? 0)
            } catch {
                throw ConfigurationError("--resume \(directory): \(error)")
            }
            return ""
        }
    }

    /// Runs `decide` on rank 0 alone; every rank returns its result, or
    /// throws the ConfigurationError it threw.
    private func decidedByRoot(_ communicator: Communicator, _ decide: () throws -> String) throws -> String {
        var outcome = ""
        if communicator.rank == 0 {
            do {
                outcome = "=" + (try decide())
            } catch let error as ConfigurationError {
                outcome = "!" + error.message
            }
        }
        outcome = try communicator.gatherStrings(outcome)[0]
        if outcome.hasPrefix("!") { throw ConfigurationError(String(outcome.dropFirst())) }
        return String(outcome.dropFirst())
    }

    private func defaultRunDirectory() -> String {
        let name = URL(fileURLWithPath: config ?? "run").deletingPathExtension().lastPathComponent
        let formatter = DateFormatter()
        formatter.dateFormat = "yyyyMMdd-HHmmss"
        formatter.timeZone = TimeZone(identifier: "UTC")
        return "runs/\(name)-\(formatter.string(from: Date()))"
    }
}
