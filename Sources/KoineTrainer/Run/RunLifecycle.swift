import Foundation
import KoineCluster
import KoineGame
import KoineTelemetry

/// A run ready to train on this rank: its trainer, its directory and its
/// telemetry.
public final class TrainingRun {
    public let trainer: Trainer
    /// The run directory (the same path on every rank).
    public let path: String

    init(trainer: Trainer, path: String) {
        self.trainer = trainer
        self.path = path
    }

    /// Trains to the end, or until stopped (`TrainingStopped`), then flushes
    /// and closes the telemetry.
    public func train() throws -> Summary {
        do {
            let summary = try trainer.train()
            trainer.reporter.telemetry.close()
            return summary
        } catch let stopped as TrainingStopped {
            trainer.reporter.telemetry.close()
            throw stopped
        }
    }
}

/// How a run starts on every rank of a job: a new run directory, or an
/// existing one resumed from its newest complete checkpoint. Every check
/// comes before anything is written, and every user mistake is a
/// `ConfigurationError` (one line, exit code 2) raised on every rank alike.
public enum RunLifecycle {
    /// Builds the population, then creates `out` (default `runs/<name>-<UTC
    /// time>`, `name` from the config file) and opens the run's telemetry.
    public static func create(configuration: Configuration, out: String?, name: String,
                              communicator: Communicator, progress: Bool) throws -> TrainingRun {
        let trainer = try makeTrainer(configuration, communicator: communicator, progress: progress, source: name)
        let checkpointBytes = try CheckpointSpace.bytesPerCheckpoint(trainer)
        let path = try decidedByRoot(communicator) {
            let path = out ?? defaultDirectory(name: name)
            let url = URL(fileURLWithPath: path)
            do {
                try RunDirectory.check(url)
                let train = configuration.train
                let count = CheckpointStore.peakCount(steps: train.steps, every: train.checkpointEvery, keep: train.checkpointKeep)
                if let problem = CheckpointSpace.problem(at: url, option: "--out \(path)", bytes: checkpointBytes, count: count) {
                    throw ConfigurationError(problem)
                }
                trainer.reporter.run = try RunDirectory(url: url, configuration: configuration)
            } catch let error as ConfigurationError {
                throw error
            } catch {
                throw ConfigurationError("--out \(path): \(error)")
            }
            return path
        }
        return try open(trainer, path: path)
    }

    /// Rank 0 picks the newest intact complete checkpoint of `directory`;
    /// every rank reads and restores its own file of that step.
    public static func resume(directory: String, configuration: Configuration, communicator: Communicator,
                              progress: Bool) throws -> TrainingRun {
        let trainer = try makeTrainer(configuration, communicator: communicator, progress: progress, source: directory)
        let url = URL(fileURLWithPath: directory)
        let store = CheckpointStore(run: url)
        let chosen = try decidedByRoot(communicator) {
            let (step, skipped) = try Resume.select(store, run: directory, worldSize: communicator.size, configuration: configuration)
            for fault in skipped { note("skipping a damaged checkpoint: \(fault)") }
            note("resuming \(directory) from step \(step)\(skipped.isEmpty ? "" : " (the newest intact complete checkpoint)")")
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
            let train = configuration.train
            let count = max(1, CheckpointStore.peakCount(steps: train.steps - step, every: train.checkpointEvery,
                                                         keep: train.checkpointKeep) - kept + 1)
            if let problem = CheckpointSpace.problem(at: url, option: "--resume \(directory)", bytes: checkpointBytes, count: count) {
                throw ConfigurationError(problem)
            }
            // Steps after the one resumed from are replayed: their folders
            // (unfinished or damaged) and metrics lines go.
            for entry in store.steps() where entry.step > step { store.remove(step: entry.step) }
            do {
                trainer.reporter.run = try RunDirectory(resuming: url, configuration: configuration,
                                                        metricsLength: trainer.resumed?.metricsLength ?? 0)
            } catch {
                throw ConfigurationError("--resume \(directory): \(error)")
            }
            return ""
        }
        return try open(trainer, path: directory)
    }

    /// Makes rank `rank`'s trainer fail before `step` (fault tests).
    public static func injectFailure(_ run: TrainingRun, rank: Int, step: Int) {
        guard run.trainer.communicator.rank == rank else { return }
        run.trainer.failure = (step, "injected failure on rank \(rank) (--fail-rank)")
    }

    /// The population is built before anything is written, so a value that
    /// only fails there (an impossible hold-out set) leaves no directory.
    private static func makeTrainer(_ configuration: Configuration, communicator: Communicator, progress: Bool,
                                    source: String) throws -> Trainer {
        do {
            return try Trainer(configuration: configuration, communicator: communicator,
                               progress: Progress(enabled: progress && communicator.rank == 0))
        } catch let error as ObjectSpace.Failure {
            throw ConfigurationError("\(source): game.holdout: \(error)")
        }
    }

    /// Checkpoints and telemetry, the latter under the run's id.
    private static func open(_ trainer: Trainer, path: String) throws -> TrainingRun {
        let configuration = trainer.configuration
        let url = URL(fileURLWithPath: path)
        if configuration.train.checkpointEvery > 0 { trainer.checkpoints = CheckpointStore(run: url) }
        let identifier = try decidedByRoot(trainer.communicator) { try runIdentifier(of: url, run: trainer.reporter.run) }
        trainer.reporter.telemetry = try makeTelemetrySink(endpoint: configuration.telemetry.endpoint,
                                                           run: identifier, rank: trainer.communicator.rank)
        return TrainingRun(trainer: trainer, path: path)
    }

    /// The run's telemetry id: the directory's name and a random suffix of 32
    /// bits, chosen once and kept in the directory's `run-id` file, so that no
    /// one can guess a run's id to forge its events, and a resumed run keeps it.
    static func runIdentifier(of url: URL, run: RunDirectory?) throws -> String {
        let file = url.appendingPathComponent("run-id")
        if let text = try? String(contentsOf: file, encoding: .utf8) {
            let kept = text.trimmingCharacters(in: .whitespacesAndNewlines)
            if !kept.isEmpty { return telemetrySafe(kept) }
        }
        var random = SystemRandomNumberGenerator()
        let identifier = "\(telemetrySafe(url.lastPathComponent, room: 200))-\(String(format: "%08x", UInt32.random(in: .min ... .max, using: &random)))"
        do {
            try run?.write("run-id", identifier + "\n")
        } catch {
            throw ConfigurationError("\(url.path): cannot write run-id (\(error))")
        }
        return identifier
    }

    /// `name` as the collector accepts a run id (EventDecoder): control
    /// characters (C0, DEL, C1) replaced by `_` and at most `room` UTF-8 bytes.
    /// A run folder named with a newline trained while the collector refused
    /// every one of its events.
    static func telemetrySafe(_ name: String, room: Int = 256) -> String {
        var out = ""
        for scalar in name.unicodeScalars {
            let safe: Unicode.Scalar = scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) ? "_" : scalar
            guard out.utf8.count + String(safe).utf8.count <= room else { break }
            out.unicodeScalars.append(safe)
        }
        return out.isEmpty ? "run" : out
    }

    /// Runs `decide` on rank 0 alone; every rank returns its result, or
    /// throws the ConfigurationError it threw.
    private static func decidedByRoot(_ communicator: Communicator, _ decide: () throws -> String) throws -> String {
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

    private static func defaultDirectory(name: String) -> String {
        let formatter = DateFormatter()
        formatter.dateFormat = "yyyyMMdd-HHmmss"
        formatter.timeZone = TimeZone(identifier: "UTC")
        return "runs/\(name)-\(formatter.string(from: Date()))"
    }

    /// One line on standard error, as every user mistake and notice is told.
    static func note(_ text: String) {
        FileHandle.standardError.write(Data("koine: \(TerminalText.safe(text))\n".utf8))
    }
}
