import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import KoineCollector
import KoineTelemetry
import KoineTestSupport
import XCTest

/// `koine collect` and `koine report` as a user runs them.
final class CommandTests: XCTestCase {
    override func setUpWithError() throws {
        guard FileManager.default.isExecutableFile(atPath: koineExecutable.path) else {
            throw XCTSkip("koine is not built at \(koineExecutable.path)")
        }
    }

    /// Fills a database through an in-process collector: rank 0 runs to the end, rank 1 stops early.
    private func fillDatabase() throws -> String {
        let endpoint = "inproc://koine-report-test"
        let path = try temporaryDatabase("report")
        let collector = try Collector(bind: endpoint, database: path)
        collector.startInBackground()
        let publisher = try ZeroMQPublisher(endpoint: endpoint, run: "quick-1", rank: 0)
        publisher.emit(.runStarted, step: 0, fields: [
            ("config", ["train": ["steps": 40]]), ("world_size", 2), ("hosts", ["a", "b"]), ("versions", ["koine": "t"]),
            ("total_steps", 40),
        ])
        for step in stride(from: 10, through: 40, by: 10) {
            publisher.emit(.step, step: step, fields: [
                ("games_per_second", 1000.5), ("steps_per_second", 10.0), ("loss", 0.5), ("accuracy", .double(Double(step) / 40)),
                ("entropy", 1.0), ("speaker_loss", 0.2), ("listener_loss", 0.3), ("resets", 1),
            ])
        }
        publisher.emit(.reset, step: 20, fields: [("role", "speaker"), ("agent", 1)])
        publisher.emit(.eval, step: 40, fields: [
            ("accuracy", 0.9), ("topsim", 0.4), ("posdis", 0.1), ("bosdis", 0.2), ("heldout_accuracy", 0.8), ("lexicon_size", 12),
        ])
        publisher.emit(.runFinished, step: 40, fields: [("summary", ["accuracy": 0.9, "topsim": 0.4, "note": "a, \"quoted\" note"])])
        publisher.close()
        let rank1 = try ZeroMQPublisher(endpoint: endpoint, run: "quick-1", rank: 1)
        rank1.emit(.step, step: 10, fields: [("accuracy", 0.1)])
        rank1.emit(.step, step: 20, fields: [("accuracy", 0.2)])
        rank1.close()
        XCTAssertTrue(waitUntil(timeout: 10) { collector.currentStatistics.stored == 10 })
        collector.stop()
        return path
    }

    func testReportJSONAndCSV() throws {
        try checkReportJSONAndCSV()
    }

    /// Issue 13, item 1: that scenario failed once with "database is locked" (the report
    /// opening the database while the collector closed it). Fifty times in a row, none may.
    func testReportJSONAndCSVFiftyTimesInARow() throws {
        continueAfterFailure = false
        for _ in 0..<50 { try checkReportJSONAndCSV() }
    }

    private func checkReportJSONAndCSV() throws {
        let path = try fillDatabase()
        defer { try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent) }
        let json = try runKoine(["report", "--db", path, "--json"], timeout: 60)
        XCTAssertEqual(json.status, 0, json.standardError)
        let report = try XCTUnwrap(JSONValue.parse(json.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines)), json.standardOutput)
        guard case let .array(runs)? = report["runs"], let run = runs.first else { return XCTFail(json.standardOutput) }
        XCTAssertEqual(run["run"], "quick-1")
        XCTAssertEqual(run["world_size"], 2)
        XCTAssertEqual(run["events"], 10)
        XCTAssertEqual(run["resets"], 1)
        XCTAssertEqual(run["finished"], false)  // rank 1 never finished
        XCTAssertEqual(run["missing"], 0)
        XCTAssertEqual(run["summary"]?["topsim"], 0.4)
        XCTAssertEqual(run["events_by_kind"]?["step"], 6)

        let directory = try makeTemporaryDirectory("report-csv")
        defer { try? FileManager.default.removeItem(at: directory) }
        let csv = try runKoine(["report", "--db", path, "--run", "quick-1", "--csv", directory.path], timeout: 60)
        XCTAssertEqual(csv.status, 0, csv.standardError)
        XCTAssertTrue(csv.standardOutput.contains("run quick-1"), csv.standardOutput)
        XCTAssertTrue(csv.standardOutput.contains("topsim"), csv.standardOutput)
        let text = try String(contentsOf: directory.appendingPathComponent("quick-1.csv"), encoding: .utf8)
        let lines = text.split(separator: "\n")
        XCTAssertEqual(lines.count, 1 + 7, text)  // header, 6 step events, 1 eval
        XCTAssertEqual(lines.first, "rank,seq,kind,step,time,games_per_second,steps_per_second,loss,accuracy,entropy,speaker_loss,listener_loss,resets,topsim,posdis,bosdis,heldout_accuracy,lexicon_size")
        XCTAssertTrue(lines.contains { $0.hasPrefix("0,1,step,10,") && $0.contains(",1000.5,10.0,0.5,0.25,") }, text)
        XCTAssertTrue(lines.contains { $0.hasPrefix("0,6,eval,40,") && $0.hasSuffix(",0.9,,,,,0.4,0.1,0.2,0.8,12") }, text)
    }

    /// `--plot` draws each run's curves, one line per rank, as well-formed SVG.
    func testReportPlots() throws {
        let path = try fillDatabase()
        let directory = try makeTemporaryDirectory("report-plots")
        let result = try runKoine(["report", "--db", path, "--plot", directory.path], timeout: 60)
        XCTAssertEqual(result.status, 0, result.standardError)
        for figure in ["training-accuracy", "evaluation-accuracy", "topsim", "speaker-entropy", "games-per-second"] {
            let file = directory.appendingPathComponent("quick-1-\(figure).svg")
            let svg = try String(contentsOf: file, encoding: .utf8)
            XCTAssertTrue(svg.hasPrefix("<svg") || svg.hasPrefix("<?xml"), String(svg.prefix(80)))
            XCTAssertTrue(XMLParser(data: Data(svg.utf8)).parse(), "\(figure): not well-formed XML")
        }
        // Training accuracy has both ranks; rank 0's line carries its reset at step 20.
        let accuracy = try String(contentsOf: directory.appendingPathComponent("quick-1-training-accuracy.svg"), encoding: .utf8)
        XCTAssertTrue(accuracy.contains("rank 0") && accuracy.contains("rank 1"), accuracy)
        let bad = try runKoine(["report", "--db", path, "--plot", "/proc/none/plots"], timeout: 60)
        XCTAssertEqual(bad.status, 2)
        XCTAssertTrue(bad.standardError.hasPrefix("koine report: --plot /proc/none/plots: "), bad.standardError)
    }

    /// `--html` writes one self-contained, well-formed page: plots inline, the
    /// summary, the ranks and the configuration. (scripts/check-html-report
    /// loads such a page in headless Chromium.)
    func testReportHTMLPage() throws {
        let path = try fillDatabase()
        let file = try makeTemporaryDirectory("report-html").appendingPathComponent("report.html")
        let runs = try makeTemporaryDirectory("report-html-runs")
        try FileManager.default.createDirectory(at: runs.appendingPathComponent("quick-1"), withIntermediateDirectories: true)
        try "rank\tspeaker\tobject\tattributes\tmessage\n0\t0\t5\t1,1\t3 <7>\n".write(
            to: runs.appendingPathComponent("quick-1/lexicon.tsv"), atomically: true, encoding: .utf8)
        let result = try runKoine(["report", "--db", path, "--html", file.path, "--runs", runs.path], timeout: 60)
        XCTAssertEqual(result.status, 0, result.standardError)
        let page = try String(contentsOf: file, encoding: .utf8)
        XCTAssertTrue(XMLParser(data: Data(page.utf8)).parse(), "not well-formed XHTML")
        XCTAssertEqual(page.components(separatedBy: "<svg ").count - 1, 5, "one inline chart per figure")
        for text in ["Run quick-1", "topsim", "&quot;", "Configuration", "<h3>Resets</h3>", "<h3>Lexicon</h3>", "3 &lt;7&gt;"] {
            XCTAssertTrue(page.contains(text), text)
        }
        XCTAssertFalse(page.contains("src=\"http") || page.contains("<script"), "self-contained, no scripts")
    }

    func testReportGapsAndMissingDatabase() throws {
        let path = try temporaryDatabase("gaps")
        let endpoint = "tcp://127.0.0.1:\(freePort())"
        let collector = try Collector(bind: endpoint, database: path)
        collector.startInBackground()
        let pusher = RawPusher(endpoint: endpoint)
        for seq in [0, 1, 4, 5, 9] { pusher.send(eventFrame(run: "gappy", rank: 3, seq: seq, extra: seq == 9 ? #","dropped":2"# : "")) }
        pusher.send("not json")
        pusher.close()
        XCTAssertTrue(waitUntil(timeout: 10) { collector.currentStatistics.stored == 5 && collector.currentStatistics.bad == 1 })
        XCTAssertEqual(collector.currentTracker.ranks[RankKey(run: "gappy", rank: 3)]?.missing, 5)
        collector.stop()
        let result = try runKoine(["report", "--db", path, "--json"], timeout: 60)
        let report = try XCTUnwrap(JSONValue.parse(result.standardOutput), result.standardOutput)
        guard case let .array(runs)? = report["runs"], let run = runs.first,
              case let .array(ranks)? = run["ranks"], let rank = ranks.first else { return XCTFail(result.standardOutput) }
        XCTAssertEqual(run["missing"], 5)
        XCTAssertEqual(run["dropped"], 2)
        XCTAssertEqual(rank["gaps"], [[2, 3], [6, 8]])
        XCTAssertEqual(report["collector"]?["bad_frames"], 1)
        let text = try runKoine(["report", "--db", path], timeout: 60)
        XCTAssertTrue(text.standardOutput.contains("gap: seq 6…8 (3 missing)"), text.standardOutput)

        let missing = try runKoine(["report", "--db", "/nonexistent/telemetry.sqlite"], timeout: 60)
        XCTAssertEqual(missing.status, 2)
        XCTAssertEqual(missing.standardError.split(separator: "\n").count, 1, missing.standardError)
        XCTAssertTrue(missing.standardError.contains("--db"), missing.standardError)
    }

    func testCollectRefusesBadFlagsWithExitCode2() throws {
        let directory = try makeTemporaryDirectory("collect-flags")
        let database = directory.appendingPathComponent("t.sqlite").path
        for (arguments, flag) in [
            (["collect", "--bind", "tcp://127.0.0.1", "--db", database, "--quiet"], "--bind"),
            (["collect", "--bind", "udp://x:1", "--db", database, "--quiet"], "--bind"),
            (["collect", "--db", "/proc/koine/t.sqlite", "--quiet"], "--db"),
        ] {
            let result = try runKoine(arguments, timeout: 30)
            XCTAssertEqual(result.status, 2, "\(arguments): \(result.standardError)")
            XCTAssertTrue(result.standardError.contains(flag), result.standardError)
            XCTAssertEqual(result.standardError.split(separator: "\n").count, 1, result.standardError)
        }
        // An endpoint already bound by someone else.
        let bind = "tcp://127.0.0.1:\(freePort())"
        let holder = try Collector(bind: bind, database: database)
        let busy = try runKoine(["collect", "--bind", bind, "--db", database + "2", "--quiet"], timeout: 30)
        XCTAssertEqual(busy.status, 2, busy.standardError)
        XCTAssertTrue(busy.standardError.contains("already in use"), busy.standardError)
        holder.startInBackground()
        holder.stop()
    }

    func testCollectStopsCleanlyOnSIGTERM() throws {
        let directory = try makeTemporaryDirectory("collect-term")
        let database = directory.appendingPathComponent("sub/t.sqlite").path
        let bind = "tcp://127.0.0.1:\(freePort())"
        let process = Process()
        process.executableURL = koineExecutable
        process.arguments = ["collect", "--bind", bind, "--db", database, "--quiet"]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let publisher = try ZeroMQPublisher(endpoint: bind, run: "term", rank: 0)
        for step in 0..<1000 { publisher.emit(.step, step: step, fields: []) }
        publisher.close()
        usleep(300_000)
        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0)
        XCTAssertEqual(output.fileHandleForReading.readDataToEndOfFile().count, 0, "--quiet printed something")
        try assertComplete(database, run: "term", rank: 0, count: 1000)
    }
}
