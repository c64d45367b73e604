import Foundation

/// `index.json` of a sweep directory: every run with its condition, config,
/// seed, overrides, directory and status. Rewritten whole (to a temporary
/// file, then renamed) whenever a status changes, so it is never half written.
public struct SweepIndex: Codable, Equatable {
    public var version = 1
    /// MPI ranks per run, when more than one (absent in the index of a one-rank sweep).
    public var ranks: Int?
    public var runs: [SweepRun]

    /// MPI ranks per run.
    public var ranksPerRun: Int { ranks ?? 1 }

    public init(runs: [SweepRun]) { self.runs = runs }

    public static func path(in sweep: String) -> String { sweep + "/index.json" }

    /// The index of `sweep`, or nil when there is none.
    public static func load(from sweep: String) throws -> SweepIndex? {
        guard let data = FileManager.default.contents(atPath: path(in: sweep)) else { return nil }
        do {
            return try JSONDecoder().decode(SweepIndex.self, from: data)
        } catch {
            throw StudyError("\(path(in: sweep)) is not a sweep index: \(error.localizedDescription)")
        }
    }

    public func save(to sweep: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        try encoder.encode(self).write(to: URL(fileURLWithPath: Self.path(in: sweep)), options: .atomic)
    }

    /// This index with the runs of `plan` it lacks appended (a sweep grows by
    /// seeds or values); a run of the same name but other work is refused.
    public func merging(_ plan: [SweepRun]) throws -> SweepIndex {
        var merged = self
        for run in plan {
            if let existing = runs.first(where: { $0.name == run.name }) {
                guard existing.sameWork(as: run) else {
                    throw StudyError("sweep: run \(run.name) exists with other settings (config \(existing.config), "
                                     + "--set \(existing.overrides.joined(separator: " "))); use another --out")
                }
            } else {
                merged.runs.append(run)
            }
        }
        return merged
    }
}
