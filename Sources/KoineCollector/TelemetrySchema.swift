import GRDB
import KoineTelemetry

/// The tables and views of a telemetry database. Every statement is idempotent, so a
/// collector can open a database another collector (or an older one) wrote.
enum TelemetrySchema {
    static let statements = [
        """
        CREATE TABLE IF NOT EXISTS events(
            run TEXT NOT NULL, rank INTEGER NOT NULL, seq INTEGER NOT NULL,
            kind TEXT NOT NULL, step INTEGER, time REAL NOT NULL, body TEXT NOT NULL,
            UNIQUE(run, rank, seq))
        """,
        // The unique index is the only one: queries by run (and rank) use it, and a second
        // index on every row (say on kind) would cost about a third of the ingest rate.
        """
        CREATE TABLE IF NOT EXISTS runs(
            run TEXT PRIMARY KEY,
            first_seen REAL, last_seen REAL, started_at REAL, finished_at REAL,
            world_size INTEGER, total_steps INTEGER,
            config TEXT, hosts TEXT, versions TEXT,
            finished_ranks INTEGER NOT NULL DEFAULT 0, finished INTEGER NOT NULL DEFAULT 0,
            summary TEXT)
        """,
        """
        CREATE TABLE IF NOT EXISTS ranks(
            run TEXT NOT NULL, rank INTEGER NOT NULL,
            events INTEGER NOT NULL, max_seq INTEGER NOT NULL, missing INTEGER NOT NULL,
            dropped INTEGER NOT NULL, resets INTEGER NOT NULL, last_step INTEGER, last_time REAL,
            finished INTEGER NOT NULL, summary TEXT,
            PRIMARY KEY(run, rank))
        """,
        """
        CREATE TABLE IF NOT EXISTS bad_frames(
            id INTEGER PRIMARY KEY, session INTEGER, time REAL NOT NULL,
            reason TEXT NOT NULL, size INTEGER NOT NULL, head BLOB)
        """,
        """
        CREATE TABLE IF NOT EXISTS collector_sessions(
            id INTEGER PRIMARY KEY, started REAL NOT NULL, stopped REAL, bind TEXT NOT NULL,
            received INTEGER NOT NULL DEFAULT 0, stored INTEGER NOT NULL DEFAULT 0,
            duplicates INTEGER NOT NULL DEFAULT 0, bad INTEGER NOT NULL DEFAULT 0,
            bad_reasons TEXT)
        """,
        // The main figures of step and eval events as columns, for plotting and CSV.
        "CREATE VIEW IF NOT EXISTS metrics AS \(metricsQuery)",
        // Runs of missing seqs per rank (a leading gap counts from seq 0).
        """
        CREATE VIEW IF NOT EXISTS gaps AS
        SELECT run, rank, previous + 1 AS first_missing, seq - 1 AS last_missing,
            seq - previous - 1 AS missing
        FROM (SELECT run, rank, seq,
                LAG(seq, 1, -1) OVER (PARTITION BY run, rank ORDER BY seq) AS previous
              FROM events)
        WHERE seq > previous + 1
        """,
    ]

    /// The columns of the metrics view after the envelope, in order (the CSV header uses them).
    static let metricColumns = [
        "games_per_second", "steps_per_second", "loss", "accuracy", "entropy", "speaker_loss",
        "listener_loss", "resets", "topsim", "posdis", "bosdis", "heldout_accuracy", "lexicon_size",
    ]

    /// The metrics view's query, also run as is by the CSV export, so that a database made
    /// before the view read bodies defensively exports all the same. A body that is not
    /// JSON (never stored by a collector, but a database can be written by anyone) gives
    /// empty figures instead of failing the whole query.
    static let metricsQuery = """
        SELECT run, rank, seq, kind, step, time,
            \(metricColumns.map { "json_extract(CASE WHEN json_valid(body) THEN body END, '$.\($0)') AS \($0)" }
                .joined(separator: ",\n    "))
        FROM events WHERE kind IN ('\(EventKind.step.rawValue)', '\(EventKind.eval.rawValue)')
        """

    static func create(_ db: Database) throws {
        for statement in statements { try db.execute(sql: statement) }
    }
}
