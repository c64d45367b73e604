import Foundation
import GRDB
@testable import KoineCollector
import KoineTelemetry
import KoineTestSupport
import XCTest

/// Frames with impossible numbers are refused at ingest, and whatever rows a database
/// already holds, reports and a restarted collector read it without stopping.
final class PoisonTests: XCTestCase {
    private func problem(_ text: String) -> String? {
        var decoder = EventDecoder()
        switch Array(text.utf8).withUnsafeBytes({ decoder.decode($0) }) {
        case .success: return nil
        case let .failure(problem): return problem.description
        }
    }

    /// The frames of issue 13 and variants: each is refused and names its field.
    func testImpossibleCountsAreBadFrames() {
        let refused: [(String, String)] = [
            (eventFrame(run: "p", rank: 0, seq: Int.max), "seq"),  // issue 13, item 2
            (eventFrame(run: "p", rank: 0, seq: Int.max - 1), "seq"),
            (eventFrame(run: "p", rank: 0, seq: 1, extra: #","dropped":"abc""#), "dropped"),  // issue 13, item 3
            (eventFrame(run: "p", rank: 0, seq: maximumCount + 1), "seq"),
            (#"{"v":1,"run":"p","rank":0,"seq":1e300,"time":1,"kind":"step"}"#, "seq"),
            (#"{"v":1,"run":"p","rank":0,"seq":-0.0e0,"time":1,"kind":"step","step":-1}"#, "step"),
            (#"{"v":1,"run":"p","rank":0,"seq":2.5,"time":1,"kind":"step"}"#, "seq"),
            (#"{"v":1,"run":"p","rank":0,"seq":18446744073709551616,"time":1,"kind":"step"}"#, "seq"),
            (eventFrame(run: "p", rank: 1 << 60, seq: 0), "rank"),
            (eventFrame(run: "p", rank: 0, seq: 0, step: -5), "step"),
            (eventFrame(run: "p", rank: 0, seq: 0, step: Int.max), "step"),
            (eventFrame(run: "p", rank: 0, seq: 0, extra: #","dropped":-1"#), "dropped"),
            (eventFrame(run: "p", rank: 0, seq: 0, extra: #","dropped":1.5"#), "dropped"),
            (eventFrame(run: "p", rank: 0, seq: 0, extra: #","dropped":null"#), "dropped"),
            (eventFrame(run: "p", rank: 0, seq: 0, extra: #","dropped":{"n":1}"#), "dropped"),
            (eventFrame(run: "p", rank: 0, seq: 0, extra: #","dropped":9223372036854775807"#), "dropped"),
            (eventFrame(run: "p", rank: 0, seq: 0, extra: #","resets":"x""#), "resets"),
            (eventFrame(run: "p", rank: 0, seq: 0, extra: #","resets":-3"#), "resets"),
            (eventFrame(run: "p", rank: 0, seq: 0, kind: "run_started", extra: #","world_size":0"#), "world_size"),
            (eventFrame(run: "p", rank: 0, seq: 0, kind: "run_started", extra: #","world_size":1e19"#), "world_size"),
            (eventFrame(run: "p", rank: 0, seq: 0, kind: "run_started", extra: #","total_steps":-1"#), "total_steps"),
            (#"{"v":1,"run":"p","rank":0,"seq":0,"time":-1,"kind":"step"}"#, "time"),
            (#"{"v":1,"run":"p","rank":0,"seq":0,"time":1e300,"kind":"step"}"#, "time"),
            (eventFrame(run: "p\\u001b[2J", rank: 0, seq: 0), "run"),
            (eventFrame(run: "p\\u009b31m", rank: 0, seq: 0), "run"),
            (eventFrame(run: "p\\u0000", rank: 0, seq: 0), "run"),
        ]
        for (frame, field) in refused {
            let reason = problem(frame)
            XCTAssertEqual(reason, "field \(field) has the wrong type or value", frame)
        }
        // The bounds themselves, and what Koine's own publisher writes, are accepted.
        for frame in [
            eventFrame(run: "p", rank: 0, seq: maximumCount, step: maximumCount, extra: #","dropped":9007199254740992"#),
            eventFrame(run: "p", rank: 0, seq: 0, extra: #","dropped":0,"resets":3.0,"accuracy":"not read""#),
            #"{"v":1,"run":"p","rank":0,"seq":0,"time":0,"kind":"heartbeat","step":null}"#,
            eventFrame(run: "p-é ü", rank: 7, seq: 3, kind: "run_started", extra: #","world_size":1,"total_steps":0"#),
        ] {
            XCTAssertNil(problem(frame), frame)
        }
    }

    /// Issue 13's frames sent to the real `koine collect`: it refuses and counts them by
    /// reason, keeps running and storing, stops cleanly, and `koine report` reads the database.
    func testPoisonFramesLeaveTheCollectorRunning() throws {
        guard FileManager.default.isExecutableFile(atPath: koineExecutable.path) else {
            throw XCTSkip("koine is not built at \(koineExecutable.path)")
        }
        let path = try temporaryDatabase("poison")
        let bind = "tcp://127.0.0.1:\(freePort())"
        let collector = try RunningProcess(koineExecutable.path, ["collect", "--bind", bind, "--db", path, "--quiet"])
        let pusher = RawPusher(endpoint: bind)
        pusher.send(eventFrame(run: "poison", rank: 0, seq: 0))
        pusher.send(eventFrame(run: "poison", rank: 0, seq: 9_223_372_036_854_775_807))
        pusher.send(eventFrame(run: "poison", rank: 0, seq: 9_223_372_036_854_775_806))
        pusher.send(eventFrame(run: "poison", rank: 0, seq: 1, extra: #","dropped":"abc""#))
        pusher.send(eventFrame(run: "poison", rank: 0, seq: 1))
        pusher.send(eventFrame(run: "poison", rank: 0, seq: 2, kind: "run_finished", extra: #","summary":{"accuracy":0.9}"#))
        pusher.close()
        XCTAssertTrue(waitUntil(timeout: 20) {
            (try? TelemetryReport.load(path: path))?.runs.first?.events == 3
        }, collector.output)
        XCTAssertTrue(collector.process.isRunning, collector.output)
        kill(collector.process.processIdentifier, SIGTERM)
        XCTAssertTrue(collector.waitForExit(timeout: 20))
        XCTAssertEqual(collector.status, 0, collector.output)

        let result = try runKoine(["report", "--db", path, "--json"], timeout: 60)
        XCTAssertEqual(result.status, 0, result.standardError)
        let report = try XCTUnwrap(JSONValue.parse(result.standardOutput), result.standardOutput)
        XCTAssertEqual(report["collector"]?["bad_frames"], 3)
        XCTAssertEqual(report["collector"]?["bad_frames_by_reason"]?["wrong_type"], 3)
        guard case let .array(runs)? = report["runs"], let run = runs.first else { return XCTFail(result.standardOutput) }
        XCTAssertEqual(run["events"], 3)
        XCTAssertEqual(run["missing"], 0)
        XCTAssertEqual(run["dropped"], 0)
        XCTAssertEqual(run["finished_ranks"], 1)
    }

    /// Rows no collector of this version writes — issue 13's stored poison (two seqs near
    /// 2^63, a body with "dropped": "abc") and every column holding the wrong type — do not
    /// stop `TelemetryReport`, the CSV export, `koine report`, or a collector reopening the
    /// database; figures saturate instead of overflowing.
    func testReportsSurviveAnyStoredRow() throws {
        let path = try temporaryDatabase("poisoned")
        do {
            let bind = "tcp://127.0.0.1:\(freePort())"
            let collector = try Collector(bind: bind, database: path)
            collector.startInBackground()
            let pusher = RawPusher(endpoint: bind)
            for seq in 0..<3 { pusher.send(eventFrame(run: "good", rank: 0, seq: seq, extra: #","accuracy":0.5"#)) }
            pusher.close()
            XCTAssertTrue(waitUntil(timeout: 10) { collector.currentStatistics.stored == 3 })
            collector.stop()
        }
        try poison(path)

        let report = try TelemetryReport.load(path: path)
        XCTAssertEqual(report.runs.first { $0.run == "good" }?.missing, 0)
        let poisoned = try XCTUnwrap(report.runs.first { $0.run == "poison" })
        XCTAssertEqual(poisoned.ranks.first { $0.rank == 0 }?.maxSeq, Int.max)
        // Rank 0: six rows, the highest seq 2^63 - 1; rank 2's only seq is -2^63 (nothing
        // missing); rank "r1" is no rank.
        XCTAssertEqual(poisoned.missing, Int.max - 5)
        XCTAssertEqual(poisoned.ranks.map(\.rank), [0, 2])
        XCTAssertEqual(poisoned.dropped, 7)
        XCTAssertTrue(report.text().contains("run poison"))
        XCTAssertNotNil(JSONValue.parse(report.json().serialized))
        XCTAssertEqual(report.badFrames, Int.max)
        let csv = try makeTemporaryDirectory("poisoned-csv")
        XCTAssertEqual(try TelemetryReport.exportCSV(path: path, directory: csv.path).count, report.runs.count)

        if FileManager.default.isExecutableFile(atPath: koineExecutable.path) {
            for arguments in [["--json"], [], ["--run", "poison", "--csv", csv.path]] {
                let result = try runKoine(["report", "--db", path] + arguments, timeout: 60)
                XCTAssertEqual(result.status, 0, "\(arguments): \(result.standardError)")
            }
        }

        // A collector reopens the poisoned database and goes on counting.
        let bind = "tcp://127.0.0.1:\(freePort())"
        let collector = try Collector(bind: bind, database: path)
        XCTAssertEqual(collector.currentTracker.ranks[RankKey(run: "poison", rank: 0)]?.maxSeq, maximumCount)
        collector.startInBackground()
        let pusher = RawPusher(endpoint: bind)
        pusher.send(eventFrame(run: "poison", rank: 0, seq: 5))
        pusher.send(eventFrame(run: "good", rank: 0, seq: 3))
        pusher.close()
        XCTAssertTrue(waitUntil(timeout: 10) { collector.currentStatistics.stored == 2 })
        collector.stop()
        XCTAssertEqual(try TelemetryReport.load(path: path, run: "good").runs.first?.events, 4)
    }

    /// Writes rows a collector would refuse straight into the tables.
    private func poison(_ path: String) throws {
        // Opened as every reader and writer of a telemetry database is: the
        // stopped collector's connection may still be closing (its last
        // checkpoint), and a bare open then fails with "database is locked".
        let (queue, _) = try TelemetryDatabase.open(path: path, configuration: TelemetryDatabase.configuration(readonly: false)) { _ in () }
        try queue.write { db in
            let insert = "INSERT INTO events(run, rank, seq, kind, step, time, body) VALUES (?, ?, ?, ?, ?, ?, ?)"
            for seq in [Int64.max, Int64.max - 1] {
                try db.execute(sql: insert, arguments: ["poison", 0, seq, "step", 1, 1.0, eventFrame(run: "poison", rank: 0, seq: 0)])
            }
            try db.execute(sql: insert, arguments: ["poison", 0, 1, "step", 1, 1.0,
                                                    eventFrame(run: "poison", rank: 0, seq: 1, extra: #","dropped":"abc""#)])
            try db.execute(sql: insert, arguments: ["poison", 0, 2, "step", 2, 1.0,
                                                    eventFrame(run: "poison", rank: 0, seq: 2, extra: #","dropped":7"#)])
            try db.execute(sql: insert, arguments: ["poison", 0, 3, "eval", "x", "later", "{not json"])
            try db.execute(sql: insert, arguments: ["poison", 0, "abc", 42, Int64.min, Double.greatestFiniteMagnitude, "[1]"])
            try db.execute(sql: insert, arguments: ["poison", "r1", -5, "step", 1e300, -1.0, "null"])
            try db.execute(sql: insert, arguments: ["poison", 2, Int64.min, "run_finished", 1, 1.0, #"{"dropped":1e300}"#])
            try db.execute(sql: "INSERT INTO runs(run, first_seen, world_size, total_steps, finished, summary, config) VALUES (?, ?, ?, ?, ?, ?, ?)",
                           arguments: ["poison", "yesterday", "two", 1e300, "yes", 42, Data([0xFF, 0x00])])
            try db.execute(sql: "INSERT INTO runs(run, first_seen) VALUES (NULL, 1), (7, 2), (x'00ff', 3)")
            try db.execute(sql: """
                INSERT INTO ranks(run, rank, events, max_seq, missing, dropped, resets, last_step, last_time, finished)
                VALUES ('poison', 0, 1, 9223372036854775807, 0, -5, 'x', 'y', 'z', 'maybe'),
                       ('poison', 'zero', -9223372036854775808, 1, 0, 0, 0, NULL, NULL, 1),
                       (x'00', 1, 0, 0, 0, 0, 0, NULL, NULL, 0)
                """)
            try db.execute(sql: """
                INSERT INTO collector_sessions(started, bind, bad, bad_reasons) VALUES
                    (1, 'x', 9223372036854775807, '[1,2]'), (2, 'y', 9223372036854775807, 'garbage'),
                    (3, 'z', 'many', '{"wrong_type":9223372036854775807,"other":"x"}'), (4, 'w', 1, '{"wrong_type":5}')
                """)
        }
    }
}
