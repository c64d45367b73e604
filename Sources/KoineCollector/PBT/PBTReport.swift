import Foundation
import GRDB
import KoineTelemetry

/// What `koine report` shows of a run's population-based training: the
/// lineage, and how far the members' lexicons agree at each round. The
/// lineage comes from the run directory's metrics.jsonl when the directory
/// is found (rank 0 writes every member's line there, and a file loses no
/// events), else from the members' `pbt` events in the database; the
/// lexicons are only in the run directory (`pbt/step-NNNNNNN.tsv`).
public struct PBTReport {
    public var lineage: PopulationLineage
    /// Each round's agreement, by step (empty without the run directory).
    public var agreement: [LexiconAgreement]
    /// The run's last step, where the hyperparameter schedules end.
    public var lastStep: Int?
    /// Run-directory files that could not be read, or only in part.
    public var fileNotes: [String]
    /// Larger than the metrics.jsonl of any run Koine writes (300,000 steps
    /// logged at every step take about 150 MB); a larger one is not read.
    static let largestMetricsBytes = 256 << 20

    /// The lineage the database's `pbt` events tell, or nil when the run has none.
    static func load(_ db: Database, run: String, worldSize: Int?, lastStep: Int?) throws -> PBTReport? {
        var lines: [(member: Int?, step: Int?, body: JSONValue)] = []
        let rows = try Row.fetchCursor(db, sql: """
            SELECT rank, step, body FROM events WHERE run = ? AND kind = ? ORDER BY step, rank, seq
            """, arguments: [run, EventKind.pbt.rawValue])
        while let row = try rows.next() {
            lines.append((row.wholeNumber("rank"), row.wholeNumber("step"), row.text("body").flatMap(JSONValue.parse) ?? .null))
        }
        guard !lines.isEmpty else { return nil }
        return PBTReport(lineage: PopulationLineage(lines: lines, worldSize: worldSize, origin: .database), agreement: [],
                         lastStep: lastStep, fileNotes: [])
    }

    /// What the run directory adds to `stored` (the database's report, if
    /// any): its metrics.jsonl's lineage in place of the database's, and the
    /// agreement of its round lexicons. Nil when neither has a round.
    public static func combining(_ stored: PBTReport?, directory: String?, worldSize: Int?, lastStep: Int?) -> PBTReport? {
        guard let directory else { return stored }
        // One too large to read whole is left to the database's lineage, and said so.
        let read = metricsLines(directory + "/metrics.jsonl")
        let lines = read ?? []
        var report = stored
        if !lines.isEmpty {
            report = PBTReport(lineage: PopulationLineage(lines: lines, worldSize: worldSize, origin: .metrics), agreement: [],
                               lastStep: lastStep ?? stored?.lastStep, fileNotes: [])
        }
        guard var report else { return nil }
        let (agreement, lexiconNotes) = LexiconAgreement.load(directory: directory, members: report.lineage.members)
        report.agreement = agreement
        report.fileNotes = (read == nil ? [tooLargeNote] : []) + lexiconNotes
        return report
    }

    static let tooLargeNote = "metrics.jsonl: larger than \(largestMetricsBytes >> 20) MiB: not read"

    /// The `pbt` lines of a metrics.jsonl (none when it cannot be read), or
    /// nil when it is larger than `largestMetricsBytes`: it is read whole.
    static func metricsLines(_ path: String) -> [(member: Int?, step: Int?, body: JSONValue)]? {
        guard (RunFolders.size(of: path) ?? 0) <= largestMetricsBytes else { return nil }
        guard RunFolders.isRegularFile(path), let text = try? String(contentsOfFile: path, encoding: .utf8) else { return [] }
        // Only lines that can be a pbt line are parsed: metrics.jsonl is mostly step and eval lines.
        return text.split(separator: "\n").filter { $0.contains("\"pbt\"") }.compactMap { line in
            // A line cut short (a disk that filled) is shown as one.
            guard let body = JSONValue.parse(String(line)) else { return line.contains("\"kind\":\"pbt\"") ? (nil, nil, .null) : nil }
            guard body["kind"]?.text == EventKind.pbt.rawValue else { return nil }
            return (body["rank"]?.integer, body["step"]?.integer, body)
        }
    }

    /// One round's lexicon agreement in brief: over every two members;
    /// between each copier and its source as the round judged them (before
    /// the copy); and between the previous round's copiers and their sources,
    /// equal right after that copy, a round of training apart later. NaN
    /// where there is nothing to average.
    public struct AgreementSummary {
        public var step: Int
        public var everyPair: Double
        public var copierAndSource: Double
        public var copiedARoundBefore: Double
    }

    public var agreementSummaries: [AgreementSummary] {
        let rounds = lineage.rounds
        return agreement.map { round in
            let index = rounds.firstIndex { $0.step == round.step }
            func meanOverCopies(_ roundIndex: Int?) -> Double {
                guard let roundIndex, rounds.indices.contains(roundIndex) else { return .nan }
                let values = rounds[roundIndex].members.compactMap { line -> Double? in
                    guard let line, let source = line.source, round.matrix.indices.contains(line.member),
                          round.matrix.indices.contains(source) else { return nil }
                    return round.matrix[line.member][source]
                }.filter(\.isFinite)
                return values.isEmpty ? .nan : values.reduce(0, +) / Double(values.count)
            }
            return AgreementSummary(step: round.step, everyPair: round.meanOverPairs, copierAndSource: meanOverCopies(index),
                                    copiedARoundBefore: meanOverCopies(index.map { $0 - 1 }))
        }
    }
}
