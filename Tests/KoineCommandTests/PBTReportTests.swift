import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import KoineTestSupport
import XCTest

/// `koine report` on configs/pbt-quick.yaml as shipped, trained once on its 4
/// members through `koine launch` (with the collector it starts): the text
/// lists exactly the copies metrics.jsonl's `pbt` lines hold, whether read
/// from the run directory or from the database; the charts are SVG with a
/// line per member; the page stays well-formed and holds the PBT section;
/// `--json` holds the lineage.
final class PBTReportTests: XCTestCase {
    /// The folder `koine launch` wrote into (the run and telemetry.sqlite), or why it could not.
    static var trained: Result<URL, Error>?

    override class func setUp() {
        trained = Result {
            let runs = try makeTemporaryDirectory("pbt-report")
            let launched = try runKoine(["launch", "--np", "4", "--config", packageDirectory.appendingPathComponent("configs/pbt-quick.yaml").path,
                                         "--out", runs.appendingPathComponent("quick").path,
                                         "--telemetry", "tcp://127.0.0.1:\(freePort())", "--", "--quiet"], timeout: 300)
            guard launched.status == 0 else { throw LaunchFailure(output: launched.standardError) }
            return runs
        }
    }

    override class func tearDown() {
        if case let .success(runs)? = trained { try? FileManager.default.removeItem(at: runs) }
    }

    struct LaunchFailure: Error { let output: String }

    func runs() throws -> URL { try XCTUnwrap(Self.trained).get() }
    func database() throws -> String { try runs().appendingPathComponent("telemetry.sqlite").path }

    func report(_ arguments: [String]) throws -> String {
        let result = try runKoine(["report", "--db", try database()] + arguments, timeout: 120)
        XCTAssertEqual(result.status, 0, result.standardError)
        return result.standardOutput
    }

    /// (step, copier, source) of every copy in metrics.jsonl.
    func copiesInMetrics() throws -> [[Int]] {
        let lines = try String(contentsOfFile: try runs().appendingPathComponent("quick/metrics.jsonl").path, encoding: .utf8)
            .split(separator: "\n").compactMap { try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        let copies = lines.filter { $0["kind"] as? String == "pbt" && $0["action"] as? String == "copy" }
            .map { [$0["step"] as? Int ?? -1, $0["rank"] as? Int ?? -1, $0["source"] as? Int ?? -1] }
        XCTAssertEqual(copies.count, 5, "a round every 4,000 steps to 20,000, the worst of four copying at each")
        return copies
    }

    func testTheTextListsExactlyTheCopiesInMetricsJSONL() throws {
        let copies = try copiesInMetrics()
        let pattern = try NSRegularExpression(pattern: "^    step ([0-9]+): rank ([0-9]+) ← rank ([0-9]+) \\(fitness ", options: .anchorsMatchLines)
        for (folder, origin) in [(try runs().path, "metrics.jsonl"), (try runs().appendingPathComponent("none").path, "the collector's database")] {
            let text = try report(["--runs", folder])
            let listed = pattern.matches(in: text, range: NSRange(text.startIndex..., in: text)).map { match in
                (1...3).map { Int(text[Range(match.range(at: $0), in: text)!])! }
            }
            XCTAssertEqual(listed, copies, "read from \(origin):\n\(text)")
            XCTAssertTrue(text.contains("population-based training: 4 members, 5 round(s), lineage from \(origin)"), text)
            XCTAssertFalse(text.contains("note: "), "nothing damaged: \(text)")
        }
    }

    func testTheChartsAreSVGWithAScheduleLinePerMember() throws {
        let copies = try copiesInMetrics().count
        let plots = try runs().appendingPathComponent("plots")
        _ = try report(["--runs", try runs().path, "--plot", plots.path])
        let names = try FileManager.default.contentsOfDirectory(atPath: plots.path)
        func document(_ figure: String) throws -> XMLDocument {
            let name = try XCTUnwrap(names.first { $0.hasSuffix("-pbt-\(figure).svg") }, "\(figure) in \(names)")
            return try XMLDocument(contentsOf: plots.appendingPathComponent(name))
        }
        func count(_ element: String, in document: XMLDocument) throws -> Int {
            try document.nodes(forXPath: "//*[local-name()='\(element)']").count
        }
        for hyperparameter in ["learning_rate", "entropy", "reset_period"] {
            XCTAssertEqual(try count("polyline", in: document(hyperparameter)), 4, "a schedule line per member: \(hyperparameter)")
        }
        XCTAssertEqual(try count("polyline", in: document("fitness")), 4)
        XCTAssertEqual(try count("polyline", in: document("lexicon-agreement")), 3, "every pair, copiers before and a round after")
        let tree = try document("lineage")
        XCTAssertEqual(try count("path", in: tree), copies, "a curve per copy")
        XCTAssertEqual(try count("line", in: tree), 4 * 5 - copies, "a straight edge per member that kept its state")
        XCTAssertEqual(try count("circle", in: tree), 4 * 6, "the start and five rounds")
    }

    func testThePageIsWellFormedAndHoldsThePBTSection() throws {
        let page = try runs().appendingPathComponent("report.html").path
        _ = try report(["--runs", try runs().path, "--html", page])
        let text = try String(contentsOfFile: page, encoding: .utf8)
        XCTAssertTrue(XMLParser(data: Data(text.utf8)).parse(), "the page stays well-formed XHTML")
        for heading in ["<h3>Population-based training</h3>", "<h4>Lineage</h4>", "<h4>Copies</h4>", "<h3>Lexicon agreement at step 20000</h3>"] {
            XCTAssertTrue(text.contains(heading), heading)
        }
    }

    func testTheJSONHoldsTheLineage() throws {
        let copies = try copiesInMetrics()
        let output = try report(["--runs", try runs().path, "--json"])
        let parsed = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any])
        let run = try XCTUnwrap((parsed["runs"] as? [[String: Any]])?.first)
        let pbt = try XCTUnwrap(run["pbt"] as? [String: Any])
        XCTAssertEqual(pbt["lineage_from"] as? String, "metrics.jsonl")
        let lineage = try XCTUnwrap(pbt["lineage"] as? [[String: Any]])
        XCTAssertEqual(lineage.map { [$0["step"] as? Int ?? -1, $0["rank"] as? Int ?? -1, $0["source"] as? Int ?? -1] }, copies)
        XCTAssertEqual((pbt["founders"] as? [[Int]])?.count, 6)
        let agreement = try XCTUnwrap(pbt["lexicon_agreement"] as? [[String: Any]])
        XCTAssertEqual(agreement.compactMap { $0["step"] as? Int }, [4000, 8000, 12000, 16000, 20000])
        for round in agreement {
            let matrix = try XCTUnwrap(round["matrix"] as? [[Double]])
            XCTAssertEqual(matrix.map { $0.count }, [4, 4, 4, 4])
            XCTAssertEqual((0..<4).map { matrix[$0][$0] }, [1, 1, 1, 1], "a member agrees with itself")
        }
    }
}
