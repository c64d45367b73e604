import Foundation
import GRDB
import KoineTelemetry

/// What a telemetry database says about one rank of a run.
public struct RankReport {
    public var rank: Int
    public var events: Int
    public var maxSeq: Int
    /// Seqs below the highest one that never arrived.
    public var missing: Int
    /// Events the rank itself reported dropping (a full queue).
    public var dropped: Int
    public var resets: Int
    public var lastStep: Int?
    public var finished: Bool
    /// Runs of missing seqs, first and last of each.
    public var gaps: [ClosedRange<Int>]
}

/// What a telemetry database says about one run.
public struct RunReport {
    public var run: String
    public var firstSeen: Double?
    public var lastSeen: Double?
    public var startedAt: Double?
    public var finishedAt: Double?
    public var worldSize: Int?
    public var totalSteps: Int?
    public var finished: Bool
    public var finishedRanks: Int
    public var events: Int
    public var eventsByKind: [(String, Int)]
    public var resets: Int
    public var summary: JSONValue?
    public var config: JSONValue?
    /// The latest step and eval figures of rank 0 (or the lowest rank), when there is no summary.
    public var lastFigures: [(String, JSONValue)]
    public var ranks: [RankReport]
    /// Population-based training's rounds, when the run had any.
    public var pbt: PBTReport?

    public var missing: Int { ranks.map(\.missing).saturatingSum() }
    public var dropped: Int { ranks.map(\.dropped).saturatingSum() }
}

/// Reads a telemetry database for `koine report`: per-run tables, JSON and CSV export.
public struct TelemetryReport {
    public var runs: [RunReport]
    public var badFrames: Int
    public var badFramesByReason: [(String, Int)]
    public var sessions: Int

    /// Loads every run, or only `run`. Throws when the file is missing or not a telemetry database.
    public static func load(path: String, run: String? = nil) throws -> TelemetryReport {
        guard FileManager.default.fileExists(atPath: path) else {
            throw TelemetryError.database(path, "no such file")
        }
        let queue: DatabaseQueue
        do {
            let isTelemetry: Bool
            (queue, isTelemetry) = try TelemetryDatabase.open(path: path, configuration: TelemetryDatabase.configuration(readonly: true)) {
                try $0.read { db in try db.tableExists("events") && db.tableExists("runs") }
            }
            if !isTelemetry { throw TelemetryError.database(path, "not a telemetry database (no events and runs tables)") }
        } catch let error as TelemetryError {
            throw error
        } catch {
            throw TelemetryError.database(path, "cannot read (\(error))")
        }
        return try queue.read { db in
            var names = try runNames(db)
            names = RunSelection.pick(names, run)
            let runs = try names.compactMap { try loadRun(db, $0) }
            var bad = 0
            var reasons: [(String, Int)] = []
            var sessions = 0
            if try db.tableExists("collector_sessions") {
                // TOTAL, unlike SUM, never fails on overflow.
                let totals = try Row.fetchOne(db, sql: "SELECT COUNT(*) AS sessions, TOTAL(bad) AS bad FROM collector_sessions")
                sessions = totals?.wholeNumber("sessions") ?? 0
                bad = totals?.wholeNumber("bad") ?? 0
                // Each session counts its bad frames by reason in a JSON object; SQLite adds them up.
                reasons = try Row.fetchAll(db, sql: """
                    SELECT reason.key AS reason, TOTAL(CASE WHEN reason.type = 'integer' THEN reason.value ELSE 0 END) AS count
                    FROM collector_sessions,
                        json_each(CASE WHEN json_valid(bad_reasons) AND json_type(bad_reasons) = 'object' THEN bad_reasons END) AS reason
                    GROUP BY reason.key ORDER BY reason.key
                    """).compactMap { row in row.text("reason").map { ($0, row.wholeNumber("count") ?? 0) } }
            }
            return TelemetryReport(runs: runs, badFrames: bad, badFramesByReason: reasons, sessions: sessions)
        }
    }

    /// The runs' ids in order of appearance (ids that are not text are no runs).
    static func runNames(_ db: Database) throws -> [String] {
        try String.fetchAll(db, sql: "SELECT run FROM runs WHERE typeof(run) = 'text' ORDER BY first_seen, run")
    }

    /// Every value is read defensively (see Row.wholeNumber), and the figures are computed
    /// with saturating arithmetic: a report must survive whatever rows the database holds.
    private static func loadRun(_ db: Database, _ run: String) throws -> RunReport? {
        guard let row = try Row.fetchOne(db, sql: "SELECT * FROM runs WHERE run = ?", arguments: [run]) else { return nil }
        let kinds = try Row.fetchAll(db, sql: "SELECT kind, COUNT(*) AS n FROM events WHERE run = ? GROUP BY kind ORDER BY kind",
                                     arguments: [run]).compactMap { row in row.text("kind").map { ($0, row.wholeNumber("n") ?? 0) } }
        var gapsByRank: [Int: [ClosedRange<Int>]] = [:]
        for gap in try Row.fetchAll(db, sql: "SELECT rank, first_missing, last_missing FROM gaps WHERE run = ? ORDER BY rank, first_missing",
                                    arguments: [run]) {
            guard let rank = gap.wholeNumber("rank"), let first = gap.wholeNumber("first_missing"),
                  let last = gap.wholeNumber("last_missing"), first <= last else { continue }
            gapsByRank[rank, default: []].append(first...last)
        }
        // A dropped count is only read from bodies that are JSON and hold an integer there.
        let ranks = try Row.fetchAll(db, sql: """
            SELECT rank, COUNT(*) AS events, MAX(CASE WHEN typeof(seq) = 'integer' THEN seq END) AS max_seq,
                SUM(kind = '\(EventKind.reset.rawValue)') AS resets,
                MAX(CASE WHEN kind = '\(EventKind.step.rawValue)' THEN step END) AS last_step,
                MAX(kind = '\(EventKind.runFinished.rawValue)') AS finished,
                MAX(CASE WHEN json_valid(body) AND json_type(body, '$.dropped') = 'integer'
                    THEN json_extract(body, '$.dropped') ELSE 0 END) AS dropped
            FROM events WHERE run = ? GROUP BY rank ORDER BY rank
            """, arguments: [run]).compactMap { rank -> RankReport? in
            guard let number = rank.wholeNumber("rank") else { return nil }
            let events = rank.wholeNumber("events") ?? 0, maxSeq = rank.wholeNumber("max_seq") ?? -1
            return RankReport(rank: number, events: events, maxSeq: maxSeq, missing: wholeNumbers(from: events, through: maxSeq),
                              dropped: max(rank.wholeNumber("dropped") ?? 0, 0), resets: rank.wholeNumber("resets") ?? 0,
                              lastStep: rank.wholeNumber("last_step"), finished: rank.flag("finished"),
                              gaps: gapsByRank[number] ?? [])
        }
        var lastFigures: [(String, JSONValue)] = []
        if let lowest = ranks.first?.rank {
            for kind in [EventKind.step, .eval] {
                if let body = try Row.fetchOne(db, sql: """
                    SELECT body FROM events WHERE run = ? AND rank = ? AND kind = ? ORDER BY seq DESC LIMIT 1
                    """, arguments: [run, lowest, kind.rawValue])?.text("body"), case let .object(members)? = JSONValue.parse(body) {
                    let envelope: Set<String> = ["v", "run", "rank", "seq", "time", "kind", "dropped"]
                    for (key, value) in members where !envelope.contains(key) && !lastFigures.contains(where: { $0.0 == key }) {
                        lastFigures.append((kind == .eval && key == "accuracy" ? "eval_accuracy" : key, value))
                    }
                }
            }
        }
        return RunReport(
            run: run, firstSeen: row.realNumber("first_seen"), lastSeen: row.realNumber("last_seen"),
            startedAt: row.realNumber("started_at"), finishedAt: row.realNumber("finished_at"),
            worldSize: row.wholeNumber("world_size"), totalSteps: row.wholeNumber("total_steps"),
            finished: row.flag("finished"), finishedRanks: row.wholeNumber("finished_ranks") ?? 0,
            events: kinds.map(\.1).saturatingSum(), eventsByKind: kinds,
            resets: ranks.map(\.resets).saturatingSum(),
            summary: row.text("summary").flatMap(JSONValue.parse),
            config: row.text("config").flatMap(JSONValue.parse),
            lastFigures: lastFigures, ranks: ranks,
            pbt: kinds.contains { $0.0 == EventKind.pbt.rawValue }
                ? try PBTReport.load(db, run: run, worldSize: row.wholeNumber("world_size"), lastStep: row.wholeNumber("total_steps")) : nil)
    }
}
