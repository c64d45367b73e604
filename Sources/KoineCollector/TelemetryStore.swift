import Foundation
import GRDB
import KoineTelemetry

/// A frame the collector refused, kept for the `bad_frames` table.
struct BadFrameRecord {
    var time: Double
    var reason: String
    var size: Int
    var head: Data
}

/// Counters of one collector session, written to `collector_sessions` with every flush.
public struct CollectorStatistics: Sendable {
    public var received = 0
    public var stored = 0
    public var duplicates = 0
    public var bad = 0
    public var badByReason: [String: Int] = [:]
    /// Events lost because the database refused a batch (disk full and the like).
    public var unstored = 0
    /// Seconds the last batch took to write (one transaction), for monitoring.
    public var lastWriteSeconds: Double = 0
}

/// The SQLite side of the collector: opens (or creates) the database in WAL mode and
/// writes batches of events, each batch one transaction.
final class TelemetryStore {
    let path: String
    let queue: DatabaseQueue
    private(set) var session: Int64 = 0

    /// Opens or creates the database at `path`, creating missing parent directories.
    init(path: String) throws {
        self.path = path
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent()
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw TelemetryError.database(path, "cannot create directory \(directory.path)")
        }
        var configuration = TelemetryDatabase.configuration(readonly: false)
        configuration.journalMode = .wal
        configuration.label = "koine-telemetry"
        configuration.prepareDatabase { db in
            // WAL with NORMAL sync survives a killed collector; only a power cut can lose the last batch.
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
            // A larger page cache keeps the unique index's hot pages in memory under load.
            try db.execute(sql: "PRAGMA cache_size = -65536")
        }
        do {
            queue = try TelemetryDatabase.open(path: path, configuration: configuration) { queue -> Void in
                try queue.write { db in try TelemetrySchema.create(db) }
            }.0
        } catch let error as DatabaseError {
            throw TelemetryError.database(path, "cannot open a writable SQLite database (\(error.message ?? "\(error.resultCode)"))")
        }
    }

    /// Reads back the per-run and per-rank state a previous collector left (rows that are
    /// not what a collector writes are read as well as they can be, never trusted to be).
    func loadTracker() throws -> RunTracker {
        try queue.read { db in
            var tracker = RunTracker()
            for row in try Row.fetchAll(db, sql: """
                SELECT run, first_seen, last_seen, world_size, total_steps, started_at, finished_at FROM runs
                """) {
                guard let run = row.text("run") else { continue }
                var state = RunState(firstSeen: row.realNumber("first_seen") ?? 0, lastSeen: row.realNumber("last_seen") ?? 0)
                state.worldSize = row.wholeNumber("world_size")
                state.totalSteps = row.wholeNumber("total_steps")
                state.startedAt = row.realNumber("started_at")
                state.finishedAt = row.realNumber("finished_at")
                tracker.restore(run: run, state: state)
            }
            for row in try Row.fetchAll(db, sql: """
                SELECT run, rank, events, max_seq, dropped, resets, last_step, last_time, finished FROM ranks
                """) {
                guard let run = row.text("run"), let rank = row.wholeNumber("rank") else { continue }
                var state = RankState()
                state.events = row.count("events") ?? 0
                state.maxSeq = row.count("max_seq") ?? -1
                state.dropped = row.count("dropped") ?? 0
                state.resets = row.count("resets") ?? 0
                state.lastStep = row.wholeNumber("last_step")
                state.lastTime = row.realNumber("last_time")
                state.finished = row.flag("finished")
                state.figuresSeq = state.maxSeq
                tracker.restore(RankKey(run: run, rank: rank), state: state)
            }
            tracker.recountFinishedRanks()
            return tracker
        }
    }

    /// Starts a row in `collector_sessions` for this collector.
    func beginSession(bind: String, now: Double) throws {
        session = try queue.write { db in
            try db.execute(sql: "INSERT INTO collector_sessions(started, bind) VALUES (?, ?)", arguments: [now, bind])
            return db.lastInsertedRowID
        }
    }

    /// Stores a batch in one transaction: events (duplicates ignored), the tracker's view of
    /// the runs and ranks they touched, refused frames and the session counters.
    /// Returns the events stored (not duplicates), once the transaction committed.
    @discardableResult
    func write(
        _ events: [ReceivedEvent], badFrames: [BadFrameRecord], tracker trackerBefore: inout RunTracker,
        statistics statisticsBefore: inout CollectorStatistics, now: Double, stopped: Bool = false
    ) throws -> [ReceivedEvent] {
        var stored: [ReceivedEvent] = []
        // Counted on copies, kept only once the transaction commits: a batch
        // the database refuses (a full disk) counts as not stored, exactly.
        var statistics = statisticsBefore, tracker = trackerBefore
        try queue.write { db in
            let insertion = try EventInsertion(db)
            for event in events {
                guard try insertion.insert(event) else { statistics.duplicates += 1; continue }
                statistics.stored += 1
                stored.append(event)
                tracker.apply(event, now: now)
                if event.kind == .runStarted || event.kind == .runFinished { try describeRun(db, event) }
            }
            let dirty = tracker.takeDirty()
            for run in dirty.runs {
                guard let state = tracker.runs[run] else { continue }
                try db.cachedStatement(sql: """
                    INSERT INTO runs(run, first_seen, last_seen, world_size, total_steps, started_at, finished_at, finished_ranks, finished)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT(run) DO UPDATE SET last_seen = excluded.last_seen, world_size = excluded.world_size,
                        total_steps = excluded.total_steps, started_at = excluded.started_at,
                        finished_at = excluded.finished_at, finished_ranks = excluded.finished_ranks,
                        finished = excluded.finished
                    """).execute(arguments: [run, state.firstSeen, state.lastSeen, state.worldSize, state.totalSteps,
                                     state.startedAt, state.finishedAt, state.finishedRanks, state.finished])
            }
            for key in dirty.ranks {
                guard let state = tracker.ranks[key] else { continue }
                try db.cachedStatement(sql: """
                    INSERT INTO ranks(run, rank, events, max_seq, missing, dropped, resets, last_step, last_time, finished)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT(run, rank) DO UPDATE SET events = excluded.events, max_seq = excluded.max_seq,
                        missing = excluded.missing, dropped = excluded.dropped, resets = excluded.resets,
                        last_step = excluded.last_step, last_time = excluded.last_time, finished = excluded.finished
                    """).execute(arguments: [key.run, key.rank, state.events, state.maxSeq, state.missing, state.dropped,
                                     state.resets, state.lastStep, state.lastTime, state.finished])
            }
            for frame in badFrames {
                try db.cachedStatement(sql: "INSERT INTO bad_frames(session, time, reason, size, head) VALUES (?, ?, ?, ?, ?)")
                    .execute(arguments: [session, frame.time, frame.reason, frame.size, frame.head])
            }
            let reasons = JSONValue.object(statistics.badByReason.sorted { $0.key < $1.key }.map { ($0.key, .int($0.value)) })
            try db.cachedStatement(sql: """
                UPDATE collector_sessions SET received = ?, stored = ?, duplicates = ?, bad = ?, bad_reasons = ?,
                    stopped = ? WHERE id = ?
                """).execute(arguments: [statistics.received, statistics.stored, statistics.duplicates, statistics.bad,
                                 reasons.serialized, stopped ? now : nil, session])
        }
        statisticsBefore = statistics
        trackerBefore = tracker
        return stored
    }

    /// Keeps what run_started and run_finished say about a run in `runs` and `ranks`.
    /// Its statements, like every one run per event or per run here, are prepared once per
    /// connection (cached): preparing them anew took most of a run_finished event's time.
    private func describeRun(_ db: Database, _ event: ReceivedEvent) throws {
        try db.cachedStatement(sql: "INSERT OR IGNORE INTO runs(run, first_seen, last_seen) VALUES (?, ?, ?)")
            .execute(arguments: [event.run, event.time, event.time])
        // Rank 0 speaks for the run; other ranks only fill what is still empty.
        let rankZero = event.rank == 0
        if event.kind == .runStarted {
            try db.cachedStatement(sql: """
                UPDATE runs SET config = CASE WHEN ? OR config IS NULL THEN ? ELSE config END,
                    hosts = CASE WHEN ? OR hosts IS NULL THEN ? ELSE hosts END,
                    versions = CASE WHEN ? OR versions IS NULL THEN ? ELSE versions END
                WHERE run = ?
                """).execute(arguments: [rankZero, event.config, rankZero, event.hosts, rankZero, event.versions, event.run])
        } else if let summary = event.summary {
            try db.cachedStatement(sql: "UPDATE runs SET summary = CASE WHEN ? OR summary IS NULL THEN ? ELSE summary END WHERE run = ?")
                .execute(arguments: [rankZero, summary, event.run])
            try db.cachedStatement(sql: """
                INSERT INTO ranks(run, rank, events, max_seq, missing, dropped, resets, finished, summary)
                VALUES (?, ?, 0, -1, 0, 0, 0, 1, ?)
                ON CONFLICT(run, rank) DO UPDATE SET summary = excluded.summary
                """).execute(arguments: [event.run, event.rank, summary])
        }
    }
}
