import Foundation

/// The runs of a sweep: every config × every combination of the grid's
/// values × every seed, each with the sweep's fixed `--set` values.
public enum SweepPlan {
    /// Fails, naming the input, on a missing config, two configs of one name,
    /// or malformed `--set`.
    public static func runs(configs: [String], seeds: [Int], overrides: [String], grid: [GridAxis]) throws -> [SweepRun] {
        guard !configs.isEmpty else { throw StudyError("sweep: give at least one --config FILE (or --out DIR of an existing sweep)") }
        guard !seeds.isEmpty else { throw StudyError("--seeds: no seeds") }
        var stems: [String: String] = [:]
        for config in configs {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: config, isDirectory: &isDirectory), !isDirectory.boolValue else {
                throw StudyError("--config \(config): no such file")
            }
            let stem = URL(fileURLWithPath: config).deletingPathExtension().lastPathComponent
            if let earlier = stems[stem] {
                throw StudyError("--config \(config) and \(earlier) have one name, \(stem), and conditions are named by it; rename one")
            }
            stems[stem] = config
        }
        for override in overrides where !override.contains("=") || override.hasPrefix("=") {
            throw StudyError("--set \(override): expected KEY=VALUE, e.g. --set train.steps=30000")
        }
        let keys = grid.map(\.key)
        if let repeated = keys.first(where: { key in keys.filter { $0 == key }.count > 1 }) {
            throw StudyError("--grid \(repeated) is given twice; list all its values in one --grid \(repeated)=A,B")
        }
        if let clash = keys.first(where: { $0 == "seed" }) {
            throw StudyError("--grid \(clash): seeds are --seeds")
        }

        // The number of runs, overflow-checked, before any list of them is built.
        var total = configs.count.multipliedReportingOverflow(by: seeds.count)
        for axis in grid where !total.overflow { total = total.partialValue.multipliedReportingOverflow(by: axis.values.count) }
        guard !total.overflow, total.partialValue <= runLimit else {
            throw StudyError("sweep: \(configs.count) config(s) × \(grid.map { "\($0.values.count) \($0.key) values × " }.joined())"
                             + "\(seeds.count) seed(s) is more than \(runLimit) runs; sweep fewer")
        }
        // Two values written differently can map to one directory name (pathSafe); their runs would share directories.
        for axis in grid {
            var byName: [String: String] = [:]
            for value in axis.values {
                if let earlier = byName.updateValue(value, forKey: pathSafe(value)) {
                    throw StudyError("--grid \(axis.key): the values \"\(earlier)\" and \"\(value)\" map to one directory name, "
                                     + "\(axis.key)=\(pathSafe(value)); drop one")
                }
            }
        }

        var runs: [SweepRun] = []
        for config in configs {
            let stem = URL(fileURLWithPath: config).deletingPathExtension().lastPathComponent
            for combination in combinations(grid) {
                let condition = ([stem] + combination.map { "\($0.key)=\(pathSafe($0.value))" }).joined(separator: ",")
                for seed in seeds {
                    runs.append(SweepRun(
                        name: "\(condition),seed=\(seed)", condition: condition, config: config, seed: seed,
                        overrides: overrides + combination.map { "\($0.key)=\($0.value)" } + ["seed=\(seed)"]))
                }
            }
        }
        return runs
    }

    /// Runs one sweep may hold.
    public static let runLimit = 100_000

    /// Every choice of one value per axis, the first axis slowest.
    static func combinations(_ grid: [GridAxis]) -> [[(key: String, value: String)]] {
        grid.reduce([[]]) { partial, axis in
            partial.flatMap { prefix in axis.values.map { prefix + [(axis.key, $0)] } }
        }
    }

    /// A value as it can appear in a directory name.
    static func pathSafe(_ value: String) -> String {
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")
        return String(value.map { allowed.contains($0) ? $0 : "_" })
    }
}
