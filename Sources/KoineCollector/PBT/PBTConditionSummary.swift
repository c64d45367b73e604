import Foundation

/// Population-based training across the runs of one condition of a sweep,
/// for `koine compare --pbt`: each run's lineage from its metrics.jsonl
/// (an archive made by scripts/archive-sweep keeps the `pbt` lines), then
/// how many rounds and copies a run had, how many founders were left, and
/// each hyperparameter after the last round over every member of every run.
/// Descriptive: `koine compare --study` decides a study's endpoints.
public struct PBTConditionSummary {
    public struct Run {
        public let name: String
        public let lineage: PopulationLineage
    }

    public let condition: String
    /// The runs that had rounds, in the order given.
    public let runs: [Run]
    /// What could not be read or placed, one sentence each, naming the run.
    public let notes: [String]

    /// `runs`: the condition's finished runs, each with its world size when its summary gives one.
    public init(condition: String, runs given: [(directory: String, worldSize: Int?)]) {
        self.condition = condition
        var runs: [Run] = [], notes: [String] = []
        for (directory, worldSize) in given {
            let name = URL(fileURLWithPath: directory).lastPathComponent
            guard let lines = PBTReport.metricsLines(directory + "/metrics.jsonl") else {
                notes.append("\(name): \(PBTReport.tooLargeNote)")
                continue
            }
            let lineage = PopulationLineage(lines: lines, worldSize: worldSize, origin: .metrics)
            guard !lineage.rounds.isEmpty else { continue }
            notes += lineage.notes.map { "\(name): \($0)" }
            let unknown = (lineage.founders.last ?? []).filter { $0 == nil }.count
            if unknown > 0 {
                notes.append("\(name): the founders of \(unknown) of \(lineage.members) members are unknown (a missing line or source): founders left counts the others")
            }
            runs.append(Run(name: name, lineage: lineage))
        }
        self.runs = runs
        self.notes = notes
    }

    /// Every hyperparameter some run explored, in the order they first appear.
    public var hyperparameters: [String] {
        runs.reduce(into: [String]()) { names, run in
            for name in run.lineage.hyperparameters where !names.contains(name) { names.append(name) }
        }
    }

    /// The runs' population sizes, smallest and largest.
    public var members: ClosedRange<Int> {
        let sizes = runs.map(\.lineage.members)
        return (sizes.min() ?? 0)...(sizes.max() ?? 0)
    }

    public var meanRounds: Double { mean(runs.map { Double($0.lineage.rounds.count) }) }
    public var meanCopies: Double { mean(runs.map { Double($0.lineage.copies.count) }) }
    /// Members of the start whose state some member still holds after the
    /// last round, per run (members whose founder is unknown not counted).
    public var meanFoundersLeft: Double {
        mean(runs.map { Double(Set(($0.lineage.founders.last ?? []).compactMap { $0 }).count) })
    }

    /// `name` after the last round, every member of every run that has it.
    public func finalValues(_ name: String) -> [Double] {
        runs.flatMap { run in (run.lineage.rounds.last?.members ?? []).compactMap { $0?.after(name) } }
    }

    private func mean(_ values: [Double]) -> Double {
        values.isEmpty ? .nan : values.reduce(0, +) / Double(values.count)
    }
}
