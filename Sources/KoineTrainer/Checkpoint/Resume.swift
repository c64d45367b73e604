import Foundation

/// What `--resume DIR` needs before any rank restores: the run's own
/// configuration (only its length may grow) and the checkpoint to continue
/// from. Every failure is a `ConfigurationError`: one line, exit code 2.
public enum Resume {
    /// The configuration of the run in `directory`, with `overrides` applied.
    /// `config`, when given, must agree with it on every key that shapes training.
    public static func configuration(run directory: String, config: String?, overrides: [String]) throws -> Configuration {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw ConfigurationError("--resume \(directory): no such run directory")
        }
        let stored = URL(fileURLWithPath: directory).appendingPathComponent("config.yaml").path
        guard FileManager.default.fileExists(atPath: stored) else {
            throw ConfigurationError("--resume \(directory): \(stored) not found (not a koine run directory)")
        }
        for assignment in overrides {
            let key = String(assignment.prefix { $0 != "=" }).trimmingCharacters(in: .whitespaces)
            guard Configuration.resumableKeys.contains(key) else {
                throw ConfigurationError("--set \(ConfigurationError.shown(assignment)): a resumed run keeps its configuration; only train.steps (to extend it) and telemetry.endpoint may change")
            }
        }
        let configuration = try Configuration.load(file: stored, overrides: overrides)
        if let config {
            let given = try Configuration.load(file: config, overrides: overrides)
            let differences = given.differences(from: configuration)
            if let first = differences.first {
                let more = differences.count > 1 ? " (and \(differences.count - 1) more: \(differences.dropFirst().map(\.key).joined(separator: ", ")))" : ""
                throw ConfigurationError("--config \(config) differs from the run's \(stored): \(first.key) is \(first.mine) here but \(first.theirs) in the run\(more); a resumed run keeps its configuration")
            }
        }
        return configuration
    }

    /// The newest complete checkpoint whose every file is intact, and the
    /// faults of the newer ones passed over. A world size other than the
    /// checkpoints' is an error, never a fallback.
    public static func select(_ store: CheckpointStore, run directory: String, worldSize: Int, configuration: Configuration) throws -> (step: Int, skipped: [CheckpointFault]) {
        let complete = store.steps().filter(\.complete).map(\.step)
        guard !complete.isEmpty else {
            throw ConfigurationError("--resume \(directory): no complete checkpoint in \(store.display(store.url)) (train.checkpoint.every 0, or stopped before the first one)")
        }
        var skipped: [CheckpointFault] = []
        for step in complete {
            let written: Int
            do {
                written = try store.worldSize(step: step)
            } catch let fault as CheckpointFault {
                skipped.append(fault)
                continue
            }
            guard written == worldSize else {
                throw ConfigurationError("--resume \(directory): \(CheckpointStore.name(step: step)) was written by \(written) rank(s) but this job has \(worldSize); resume with the same number of ranks (mpirun -np \(written) or koine launch --np \(written))")
            }
            if let fault = store.verify(step: step, worldSize: worldSize, configuration: configuration.identity) {
                skipped.append(fault)
                continue
            }
            guard step <= configuration.train.steps else {
                throw ConfigurationError("--resume \(directory): train.steps \(configuration.train.steps) is before the checkpoint at step \(step); a run can only be extended")
            }
            guard step < configuration.train.steps else {
                throw ConfigurationError("--resume \(directory): the run already finished at step \(step); extend it with --set train.steps=N (N > \(step))")
            }
            return (step, skipped)
        }
        throw ConfigurationError("--resume \(directory): no usable checkpoint: " + skipped.map(\.description).joined(separator: "; "))
    }
}
