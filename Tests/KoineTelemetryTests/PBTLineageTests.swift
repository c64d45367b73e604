import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import GRDB
@testable import KoineCollector
import KoineTelemetry
import KoineTestSupport
import XCTest

/// What `koine report` makes of population-based training's lines: the
/// family tree of a hand-made lineage edge for edge, its text and JSON, the
/// members' lexicon agreement, and damaged lines (from a file or stored in
/// the database) noted or shown as unknown, never a trap.
final class PBTLineageTests: XCTestCase {
    var directory: URL!

    override func setUpWithError() throws {
        directory = try makeTemporaryDirectory("pbt-lineage")
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    /// A member's `pbt` line as the trainer writes it to metrics.jsonl.
    static func line(_ step: Int, _ rank: Int, fitness: Double, source: Int? = nil, sourceFitness: Double = 0,
                     before: (Double, Int), after: (Double, Int)) -> String {
        let copy = source.map { #""action":"copy","source":\#($0),"source_fitness":\#(sourceFitness)"# }
            ?? #""action":"keep","source":null,"source_fitness":null"#
        return #"{"kind":"pbt","step":\#(step),"rank":\#(rank),"fitness":\#(fitness),\#(copy),"#
            + #""before":{"learning_rate":\#(before.0),"reset_period":\#(before.1)},"#
            + #""after":{"learning_rate":\#(after.0),"reset_period":\#(after.1)},"state_before":"00","state_after":"01"}"#
    }

    /// Four members, three rounds: at 100 member 1 copies 2; at 200 member 3
    /// copies 1 (which holds 2's state); at 300 member 2 copies 0. Member i
    /// starts with learning rate 0.001 × (i + 1) and reset period 100 × (i + 1).
    static let metrics: [String] = {
        func keep(_ step: Int, _ rank: Int, _ fitness: Double, _ values: (Double, Int)) -> String {
            line(step, rank, fitness: fitness, before: values, after: values)
        }
        return [
            #"{"kind":"step","step":50,"accuracy":0.5}"#,
            keep(100, 0, 0.5, (0.001, 100)),
            line(100, 1, fitness: 0.2, source: 2, sourceFitness: 0.9, before: (0.002, 200), after: (0.0036, 360)),
            keep(100, 2, 0.9, (0.003, 300)),
            keep(100, 3, 0.4, (0.004, 400)),
            #"{"kind":"eval","step":100,"accuracy":0.6,"note":"pbt"}"#,
            keep(200, 0, 0.6, (0.001, 100)),
            keep(200, 1, 0.8, (0.0036, 360)),
            keep(200, 2, 0.7, (0.003, 300)),
            line(200, 3, fitness: 0.1, source: 1, sourceFitness: 0.8, before: (0.004, 400), after: (0.00288, 288)),
            keep(300, 0, 0.95, (0.001, 100)),
            keep(300, 1, 0.7, (0.0036, 360)),
            line(300, 2, fitness: 0.3, source: 0, sourceFitness: 0.95, before: (0.003, 300), after: (0.0012, 120)),
            keep(300, 3, 0.6, (0.00288, 288)),
        ]
    }()

    func report(_ lines: [String], worldSize: Int? = 4, lastStep: Int? = 400) throws -> PBTReport {
        try (lines.joined(separator: "\n") + "\n").write(to: directory.appendingPathComponent("metrics.jsonl"), atomically: true, encoding: .utf8)
        return try XCTUnwrap(PBTReport.combining(nil, directory: directory.path, worldSize: worldSize, lastStep: lastStep))
    }

    func testTheTreeOfAKnownLineageEdgeForEdge() throws {
        let lineage = try report(Self.metrics).lineage
        XCTAssertEqual(lineage.origin, .metrics)
        XCTAssertEqual(lineage.members, 4)
        XCTAssertEqual(lineage.rounds.map(\.step), [100, 200, 300])
        XCTAssertEqual(lineage.hyperparameters, ["learning_rate", "reset_period"])
        XCTAssertEqual(lineage.notes, [])
        typealias Edge = PopulationLineage.Edge
        func kept(_ column: Int, _ member: Int) -> Edge { Edge(column: column, from: member, to: member, copied: false) }
        XCTAssertEqual(lineage.edges, [
            kept(1, 0), Edge(column: 1, from: 2, to: 1, copied: true), kept(1, 2), kept(1, 3),
            kept(2, 0), kept(2, 1), kept(2, 2), Edge(column: 2, from: 1, to: 3, copied: true),
            kept(3, 0), kept(3, 1), Edge(column: 3, from: 0, to: 2, copied: true), kept(3, 3),
        ])
        XCTAssertEqual(lineage.founders, [[0, 1, 2, 3], [0, 2, 2, 3], [0, 2, 2, 2], [0, 2, 0, 2]])
        XCTAssertEqual(lineage.copies.map { [$0.step, $0.member, $0.source ?? -1] }, [[100, 1, 2], [200, 3, 1], [300, 2, 0]])
        // Member 1's learning rate: 0.002 until its copy at 100, then 0.0036 to the end.
        let schedule = lineage.schedule("learning_rate", member: 1, end: 400)
        XCTAssertEqual(schedule.map(\.step), [0, 100, 100, 200, 200, 300, 300, 400])
        XCTAssertEqual(schedule.map(\.value), [0.002, 0.002, 0.0036, 0.0036, 0.0036, 0.0036, 0.0036, 0.0036])
        XCTAssertEqual(lineage.fitness(member: 3).map(\.value), [0.4, 0.1, 0.6])
    }

    func testTheTextAndJSONListEveryCopy() throws {
        let report = try report(Self.metrics)
        let text = report.text()
        let copies = text.split(separator: "\n").filter { $0.contains("←") }.map { $0.trimmingCharacters(in: .whitespaces) }
        XCTAssertEqual(copies, [
            "step 100: rank 1 ← rank 2 (fitness 0.2 → 0.9), learning_rate 0.003 → 0.0036, reset_period 300 → 360",
            "step 200: rank 3 ← rank 1 (fitness 0.1 → 0.8), learning_rate 0.0036 → 0.00288, reset_period 360 → 288",
            "step 300: rank 2 ← rank 0 (fitness 0.3 → 0.95), learning_rate 0.001 → 0.0012, reset_period 100 → 120",
        ])
        XCTAssertTrue(text.contains("    step 200: kept ranks 0, 1, 2\n"), text)
        XCTAssertTrue(text.contains("    after step 300: ranks 0, 2 from rank 0; ranks 1, 3 from rank 2\n"), text)
        XCTAssertTrue(text.contains("lineage from metrics.jsonl"), text)

        let json = try XCTUnwrap(JSONValue.parse(report.json().serialized))
        guard case let .array(lineage)? = json["lineage"] else { return XCTFail(json.serialized) }
        XCTAssertEqual(lineage.map { [$0["step"]?.integer, $0["rank"]?.integer, $0["source"]?.integer] }, [[100, 1, 2], [200, 3, 1], [300, 2, 0]])
        XCTAssertEqual(json["founders"], [[0, 1, 2, 3], [0, 2, 2, 3], [0, 2, 2, 2], [0, 2, 0, 2]])
        guard case let .array(rounds)? = json["rounds"], case let .array(members)? = rounds.first?["members"] else { return XCTFail(json.serialized) }
        XCTAssertEqual(members[1]["after"]?["learning_rate"]?.number, 0.0036)
        XCTAssertEqual(members[1]["after"]?["reset_period"]?.number, 360)
    }

    /// Member 0 and 1 differ on one object of four; 2 agrees with nobody;
    /// 3 has only two objects, both 0's. Two lines are no member's.
    func testLexiconAgreementIsTheShareOfSharedObjectsWithTheSameMessage() throws {
        let messages = [["1 2", "3 4", "5 6", "7 0"], ["1 2", "3 4", "5 6", "7 7"], ["2 1", "4 3", "6 5", "0 7"], ["1 2", "3 4"]]
        var tsv = "rank\tspeaker\tobject\tattributes\tmessage\n"
        for (rank, lexicon) in messages.enumerated() {
            for (object, message) in lexicon.enumerated() { tsv += "\(rank)\t0\t\(object)\t\(object) 0\t\(message)\n" }
        }
        tsv += "9\t0\t0\t0 0\t1 2\nnot a line\n"
        let folder = directory.appendingPathComponent("pbt")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try tsv.write(to: folder.appendingPathComponent("step-0000100.tsv"), atomically: true, encoding: .utf8)
        try "rank\tspeaker\tobject\tattributes\tmessage\n".write(to: folder.appendingPathComponent("step-0000200.tsv"), atomically: true, encoding: .utf8)
        try "ignored".write(to: folder.appendingPathComponent("step-x.tsv"), atomically: true, encoding: .utf8)
        let report = try report(Self.metrics)
        XCTAssertEqual(report.agreement.map(\.step), [100, 200])
        let matrix = try XCTUnwrap(report.agreement.first?.matrix)
        XCTAssertEqual(matrix[0], [1, 0.75, 0, 1])
        XCTAssertEqual(matrix[1][2], 0)
        XCTAssertEqual(matrix[3][1], 1, "over the two objects both have")
        XCTAssertEqual(report.agreement[0].meanOverPairs, (0.75 + 0 + 1 + 0 + 1 + 0) / 6, accuracy: 1e-12)
        XCTAssertTrue(report.agreement[1].meanOverPairs.isNaN, "no lexicons, nothing to average")
        XCTAssertEqual(report.fileNotes, ["pbt/step-0000100.tsv: 2 line(s) that are no member's lexicon: not counted"])
        let summary = try XCTUnwrap(report.agreementSummaries.first)
        XCTAssertEqual(summary.copierAndSource, 0, "member 1 and its source 2, before the copy")
        XCTAssertTrue(summary.copiedARoundBefore.isNaN, "no round before the first")
        XCTAssertTrue(report.text().contains("step 100: kept ranks 0, 2, 3; lexicons agree 0.4583 over every pair, 0 between copier and source"),
                      report.text())
    }

    /// Lines no trainer writes, in the order they are read: a copy without
    /// a source and one naming itself, ranks out of range, a fitness that
    /// was NaN (JSON null), an unknown action, no step, a line cut short,
    /// two disagreeing lines for one member; and a member missing a round.
    static let damaged: [String] = [
        #"{"kind":"pbt","step":100,"rank":0,"fitness":null,"action":"keep","before":{"learning_rate":0.001},"after":{"learning_rate":0.001}}"#,
        #"{"kind":"pbt","step":100,"rank":1,"fitness":0.2,"action":"copy","source_fitness":0.9,"after":{"learning_rate":"fast"}}"#,
        #"{"kind":"pbt","step":100,"rank":2,"fitness":0.9,"action":"copy","source":2}"#,
        #"{"kind":"pbt","step":100,"rank":3,"fitness":0.4,"action":"copy","source":1e300}"#,
        #"{"kind":"pbt","step":100,"rank":7,"fitness":0.4,"action":"keep"}"#,
        #"{"kind":"pbt","step":100,"rank":-1,"fitness":0.4,"action":"keep"}"#,
        #"{"kind":"pbt","step":200,"rank":0,"fitness":0.4,"action":"explode"}"#,
        #"{"kind":"pbt","rank":1,"fitness":0.4,"action":"keep"}"#,
        #"{"kind":"pbt","step":200,"rank":1,"fitn"#,
        #"{"kind":"pbt","step":200,"rank":2,"fitness":0.5,"action":"keep"}"#,
        #"{"kind":"pbt","step":200,"rank":2,"fitness":0.5,"action":"copy","source":0,"source_fitness":0.4}"#,
        #"{"kind":"pbt","step":200,"rank":3,"fitness":0.6,"action":"copy","source":5,"source_fitness":0.4}"#,
    ]

    /// A metrics.jsonl larger than any run writes is not read whole: the
    /// lineage stays the database's, and the report says why.
    func testAMetricsFileTooLargeToReadIsLeftToTheDatabase() throws {
        let stored = try report(Self.metrics)
        let metrics = directory.appendingPathComponent("metrics.jsonl")
        let handle = try FileHandle(forWritingTo: metrics)
        try handle.truncate(atOffset: UInt64(PBTReport.largestMetricsBytes) + 1)   // sparse: no disk used
        try handle.close()
        let combined = try XCTUnwrap(PBTReport.combining(stored, directory: directory.path, worldSize: 4, lastStep: 400))
        XCTAssertEqual(combined.lineage.rounds.map(\.step), stored.lineage.rounds.map(\.step))
        XCTAssertEqual(combined.lineage.edges, stored.lineage.edges)
        XCTAssertEqual(combined.fileNotes, ["metrics.jsonl: larger than 256 MiB: not read"])
        XCTAssertNil(PBTReport.combining(nil, directory: directory.path, worldSize: 4, lastStep: 400), "no lineage anywhere")
    }

    func testDamagedLinesAreNotedAndShownAsUnknown() throws {
        let report = try report(Self.damaged)
        let lineage = report.lineage
        XCTAssertEqual(lineage.members, 4)
        XCTAssertEqual(lineage.rounds.map(\.step), [100, 200])
        XCTAssertEqual(lineage.notes, [
            "step 100, rank 1: a copy without a source: shown as unknown",
            "step 100, rank 2: source 2 is no other member: shown as unknown",
            "step 100, rank 3: a copy without a source: shown as unknown",
            "step 100: rank 7 is out of range (4 members): left out",
            "step 100: rank -1 is out of range (4 members): left out",
            "step 200, rank 0: action 'explode', expected copy or keep: left out",
            "a line without a step: left out",
            "a line that is no JSON object: left out",
            "step 200, rank 2: two lines that disagree: the last kept",
            "step 200, rank 3: source 5 is no other member: shown as unknown",
            "step 200: no line from rank 0, 1: shown as unknown",
        ])
        XCTAssertTrue(try XCTUnwrap(lineage.rounds[0].members[0]).fitness.isNaN)
        XCTAssertEqual(lineage.edges, [
            .init(column: 1, from: 0, to: 0, copied: false), .init(column: 2, from: 0, to: 2, copied: true),
        ])
        XCTAssertEqual(lineage.founders.last, [nil, nil, 0, nil], "copies from unknown members and missing lines break the chains")
        let text = report.text()
        XCTAssertTrue(text.contains("step 100: rank 1 ← an unknown member (fitness 0.2 → 0.9)\n"), text)
        XCTAssertTrue(text.contains("step 100: kept rank 0\n"), text)
        XCTAssertTrue(text.contains("after step 200: rank 2 from rank 0; ranks 0, 1, 3 of unknown descent"), text)
        XCTAssertTrue(text.contains("note: step 200: no line from rank 0, 1"), text)
        XCTAssertNotNil(JSONValue.parse(report.json().serialized))
        XCTAssertEqual(lineage.schedule("learning_rate", member: 0, end: 300).map(\.value), [0.001, 0.001, 0.001, 0.001])
    }

    /// The same damage stored as `pbt` events (and worse: bodies that are no
    /// JSON, ranks and steps that are text), read by TelemetryReport and
    /// `koine report`, whose text and JSON carry the notes.
    func testDamagedEventsInTheDatabaseAreNotedNeverTrapped() throws {
        let path = directory.appendingPathComponent("telemetry.sqlite").path
        _ = try TelemetryStore(path: path)
        let (queue, _) = try TelemetryDatabase.open(path: path, configuration: TelemetryDatabase.configuration(readonly: false)) { _ in () }
        try queue.write { db in
            try db.execute(sql: "INSERT INTO runs(run, first_seen, world_size, total_steps) VALUES ('damaged', 1, 4, 'many')")
            let insert = "INSERT INTO events(run, rank, seq, kind, step, time, body) VALUES ('damaged', ?, ?, 'pbt', ?, 1.0, ?)"
            for (seq, line) in Self.damaged.enumerated() {
                let body = JSONValue.parse(line)
                // The line cut short has no rank a column could hold; text stands in.
                var rank: DatabaseValueConvertible = "cut"
                if let number = body?["rank"]?.integer { rank = number }
                try db.execute(sql: insert, arguments: [rank, seq, body?["step"]?.integer, line])
            }
            try db.execute(sql: insert, arguments: ["one", 100, "x", "{}"])
            try db.execute(sql: insert, arguments: [2, 101, 300, "[1, 2]"])
            try db.execute(sql: insert, arguments: [1, 102, 300, Data([0xFF])])
        }
        let run = try XCTUnwrap(TelemetryReport.load(path: path).runs.first)
        let pbt = try XCTUnwrap(run.pbt)
        XCTAssertEqual(pbt.lineage.origin, .database)
        XCTAssertEqual(pbt.lineage.members, 4, "the run's world size")
        XCTAssertTrue(pbt.lineage.notes.contains("step 100: rank 7 is out of range (4 members): left out"), "\(pbt.lineage.notes)")
        XCTAssertTrue(pbt.lineage.notes.contains("step 100, rank 2: source 2 is no other member: shown as unknown"), "\(pbt.lineage.notes)")
        XCTAssertTrue(pbt.lineage.notes.contains("a line that is no JSON object: left out"), "\(pbt.lineage.notes)")
        XCTAssertTrue(try TelemetryReport.load(path: path).text().contains("note: "))
        guard FileManager.default.isExecutableFile(atPath: koineExecutable.path) else { return }
        for arguments in [["--json"], [], ["--html", directory.appendingPathComponent("page.html").path],
                          ["--plot", directory.appendingPathComponent("plots").path]] {
            let result = try runKoine(["report", "--db", path, "--runs", directory.appendingPathComponent("none").path] + arguments,
                                      timeout: 60)
            XCTAssertEqual(result.status, 0, "\(arguments): \(result.standardError)")
        }
        let json = try XCTUnwrap(JSONValue.parse(try runKoine(["report", "--db", path, "--json", "--runs", directory.path], timeout: 60).standardOutput))
        guard case let .array(runs)? = json["runs"], case let .array(notes)? = runs.first?["pbt"]?["notes"] else { return XCTFail(json.serialized) }
        XCTAssertGreaterThan(notes.count, 5)
        let page = try String(contentsOfFile: directory.appendingPathComponent("page.html").path, encoding: .utf8)
        XCTAssertTrue(XMLParser(data: Data(page.utf8)).parse(), "the page stays well-formed")
        XCTAssertTrue(page.contains("<h4>Notes</h4>"))
    }

    /// `koine compare --pbt`'s figures for one condition: the hand-made run
    /// (3 rounds, 3 copies, founders 0 and 2 left), a run without rounds and
    /// one without a metrics.jsonl, which are not counted.
    func testAConditionSummaryCountsRoundsCopiesAndFoundersLeft() throws {
        let withRounds = directory.appendingPathComponent("pbt,seed=1"), without = directory.appendingPathComponent("pbt,seed=2")
        for folder in [withRounds, without] { try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true) }
        try (Self.metrics.joined(separator: "\n") + "\n").write(to: withRounds.appendingPathComponent("metrics.jsonl"), atomically: true, encoding: .utf8)
        try #"{"kind":"step","step":50,"accuracy":0.5}"#.write(to: without.appendingPathComponent("metrics.jsonl"), atomically: true, encoding: .utf8)
        let summary = PBTConditionSummary(condition: "pbt", runs: [(withRounds.path, 4), (without.path, 4),
                                                                   (directory.appendingPathComponent("missing").path, nil)])
        XCTAssertEqual(summary.runs.map(\.name), ["pbt,seed=1"])
        XCTAssertEqual(summary.members, 4...4)
        XCTAssertEqual(summary.hyperparameters, ["learning_rate", "reset_period"])
        XCTAssertEqual(summary.meanRounds, 3)
        XCTAssertEqual(summary.meanCopies, 3)
        XCTAssertEqual(summary.meanFoundersLeft, 2, "members 0 and 2 hold 0's state, 1 and 3 hold 2's")
        XCTAssertEqual(summary.finalValues("learning_rate"), [0.001, 0.0036, 0.0012, 0.00288])
        XCTAssertEqual(summary.finalValues("reset_period"), [100, 360, 120, 288])
        XCTAssertEqual(summary.notes, [])
    }

    /// A damaged file naming the last rank at thousands of steps keeps the
    /// first rounds that fit the table's bound, and says how many it left out.
    func testRoundsPastTheTablesBoundAreLeftOutAndNoted() {
        let lines: [(member: Int?, step: Int?, body: JSONValue)] = (1...1030).map { step in
            (4095, step, JSONValue.parse(Self.line(step, 4095, fitness: 0.5, before: (0.001, 100), after: (0.001, 100)))!)
        }
        let lineage = PopulationLineage(lines: lines, worldSize: nil, origin: .metrics)
        XCTAssertEqual(lineage.members, 4096)
        XCTAssertEqual(lineage.rounds.count, PopulationLineage.largestTable / 4096)
        XCTAssertTrue(lineage.notes.contains("6 rounds after step 1024: left out (more rounds than 1024 of 4096 members)"), "\(lineage.notes)")
        XCTAssertLessThanOrEqual(lineage.notes.count, PopulationLineage.notesShown + 1)
    }
}
