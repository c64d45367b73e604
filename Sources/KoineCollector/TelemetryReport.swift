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

    public var missing: Int { ranks.reduce(0) { $0 + $1.missing } }
    public var dropped: Int { ranks.reduce(0) { $0 + $1.dropped } }
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
            var names = try String.fetchAll(db, sql: "SELECT run FROM runs ORDER BY first_seen, run")
            if let run { names = names.filter { $0 == run } }
            let runs = try names.map { try loadRun(db, $0) }
            var bad = 0
            var reasons: [(String, Int)] = []
            var sessions = 0
            if try db.tableExists("collector_sessions") {
                let totals = try Row.fetchOne(db, sql: "SELECT COUNT(*) AS sessions, COALESCE(SUM(bad), 0) AS bad FROM collector_sessions")!
                sessions = totals["sessions"]
                bad = totals["bad"]
                // Each session counts its bad frames by reason in a JSON object; SQLite adds them up.
                reasons = try Row.fetchAll(db, sql: """
                    SELECT reason.key AS reason, SUM(CASE WHEN reason.type = 'integer' THEN reason.value ELSE 0 END) AS count
                    FROM collector_sessions,
                        json_each(CASE WHEN json_valid(bad_reasons) THEN bad_reasons END) AS reason
                    GROUP BY reason.key ORDER BY reason.key
                    """).map { ($0["reason"], $0["count"]) }
            }
            return TelemetryReport(runs: runs, badFrames: bad, badFramesByReason: reasons, sessions: sessions)
        }
    }

    private static func loadRun(_ db: Database, _ run: String) throws -> RunReport {
        let row = try Row.fetchOne(db, sql: "SELECT * FROM runs WHERE run = ?", arguments: [run])!
        let kinds = try Row.fetchAll(db, sql: "SELECT kind, COUNT(*) AS n FROM events WHERE run = ? GROUP BY kind ORDER BY kind",
                                     arguments: [run]).map { ($0["kind"] as String, $0["n"] as Int) }
        var gapsByRank: [Int: [ClosedRange<Int>]] = [:]
        for gap in try Row.fetchAll(db, sql: "SELECT rank, first_missing, last_missing FROM gaps WHERE run = ? ORDER BY rank, first_missing",
                                    arguments: [run]) {
            gapsByRank[gap["rank"], default: []].append((gap["first_missing"] as Int)...(gap["last_missing"] as Int))
        }
        let ranks = try Row.fetchAll(db, sql: """
            SELECT rank, COUNT(*) AS events, MAX(seq) AS max_seq,
                SUM(kind = '\(EventKind.reset.rawValue)') AS resets,
                MAX(CASE WHEN kind = '\(EventKind.step.rawValue)' THEN step END) AS last_step,
                MAX(kind = '\(EventKind.runFinished.rawValue)') AS finished,
                MAX(COALESCE(json_extract(body, '$.dropped'), 0)) AS dropped
            FROM events WHERE run = ? GROUP BY rank ORDER BY rank
            """, arguments: [run]).map { rank -> RankReport in
            let events: Int = rank["events"], maxSeq: Int = rank["max_seq"]
            return RankReport(rank: rank["rank"], events: events, maxSeq: maxSeq, missing: maxSeq + 1 - events,
                              dropped: rank["dropped"], resets: rank["resets"], lastStep: rank["last_step"],
                              finished: rank["finished"], gaps: gapsByRank[rank["rank"]] ?? [])
        }
        var lastFigures: [(String, JSONValue)] = []
        if let lowest = ranks.first?.rank {
            for kind in [EventKind.step, .eval] {
                if let body = try String.fetchOne(db, sql: """
                    SELECT body FROM events WHERE run = ? AND rank = ? AND kind = ? ORDER BY seq DESC LIMIT 1
                    """, arguments: [run, lowest, kind.rawValue]), case let .object(members)? = JSONValue.parse(body) {
                    let envelope: Set<String> = ["v", "run", "rank", "seq", "time", "kind", "dropped"]
                    for (key, value) in members where !envelope.contains(key) && !lastFigures.contains(where: { $0.0 == key }) {
                        lastFigures.append((kind == .eval && key == "accuracy" ? "eval_accuracy" : key, value))
                    }
                }
            }
        }
        return RunReport(
            run: run, firstSeen: row["first_seen"], lastSeen: row["last_seen"], startedAt: row["started_at"],
            finishedAt: row["finished_at"], worldSize: row["world_size"], totalSteps: row["total_steps"],
            finished: row["finished"], finishedRanks: row["finished_ranks"],
            events: kinds.reduce(0) { $0 + $1.1 }, eventsByKind: kinds,
            resets: ranks.reduce(0) { $0 + $1.resets },
            summary: (row["summary"] as String?).flatMap(JSONValue.parse),
            config: (row["config"] as String?).flatMap(JSONValue.parse),
            lastFigures: lastFigures, ranks: ranks)
    }
}
