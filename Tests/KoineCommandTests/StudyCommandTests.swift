import Foundation
import KoineTestSupport
import XCTest

/// `koine compare --study`: the plan alone, the plan decided on runs with the
/// rest as exploratory, and a bad study file refused in one line, exit 2.
final class StudyCommandTests: XCTestCase {
    var directory: URL!

    override func setUpWithError() throws { directory = try makeTemporaryDirectory("koine-study") }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: directory) }

    func write(_ text: String, _ name: String) throws -> String {
        let path = directory.appendingPathComponent(name).path
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func testStudyFileThroughCompare() throws {
        let plan = try write("""
            study: tiny
            alpha: 0.05
            runs: {seeds: 1-4}
            primary:
              - {figure: topsim, conditions: [up, down], test: paired-t, effect: 0.1, sd: 0.1}
            """, "study.yaml")
        let alone = try runKoine(["compare", "--study", plan], timeout: 30)
        XCTAssertEqual(alone.status, 0, alone.standardError)
        XCTAssertTrue(alone.standardOutput.contains("Pre-registered study: tiny"), alone.standardOutput)
        XCTAssertTrue(alone.standardOutput.contains("80% power needs 17 runs per condition"), alone.standardOutput)

        var runs: [String] = []
        for seed in 1...4 {
            for (name, topsim) in [("up", 0.5 + 0.02 * Double(seed)), ("down", 0.45 + 0.01 * Double(seed))] {
                let run = "\(name)-\(seed)"
                _ = try write("seed: \(seed)\nname: \(name)\n", run + "/config.yaml")
                _ = try write("{\"topsim\": \(topsim), \"accuracy\": 0.9}", run + "/summary.json")
                _ = try write("", run + "/metrics.jsonl")
                runs.append(directory.appendingPathComponent(run).path)
            }
        }
        let decided = try runKoine(["compare"] + runs + ["--study", plan, "--no-plots"], timeout: 30)
        XCTAssertEqual(decided.status, 0, decided.standardError)
        let text = decided.standardOutput
        let primary = try XCTUnwrap(text.range(of: "Primary endpoint:"), text)
        let exploratory = try XCTUnwrap(text.range(of: "Exploratory (not pre-registered"), text)
        XCTAssertLessThan(primary.lowerBound, exploratory.lowerBound, "the registered endpoint comes first")
        XCTAssertTrue(text.contains("topsim, up − down, paired-t: difference +0.0750"), text)
        let json = try runKoine(["compare"] + runs + ["--study", plan, "--no-plots", "--json"], timeout: 30)
        let document = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(json.standardOutput.utf8)) as? [String: Any])
        XCTAssertNotNil(document["study"])
        XCTAssertNotNil(document["exploratory"])

        let bad = try write("study: tiny\nprimary:\n  - {figure: topsim, conditions: [up, down], test: paired-t}\n", "bad.yaml")
        for arguments in [["compare", "--study", bad], ["compare"] + runs + ["--study", bad]] {
            let refused = try runKoine(arguments, timeout: 30)
            XCTAssertEqual(refused.status, 2, refused.standardError)
            XCTAssertEqual(refused.standardError, "koine: \(bad): alpha: missing; expected the significance level, e.g. alpha: 0.05\n")
        }
        let unknown = try write("study: tiny\nalpha: 0.05\nprimary:\n  - {figure: topsimm, conditions: [up, down], test: welch}\n", "unknown.yaml")
        let refused = try runKoine(["compare"] + runs + ["--study", unknown, "--no-plots"], timeout: 30)
        XCTAssertEqual(refused.status, 2, refused.standardError)
        XCTAssertTrue(refused.standardError.hasPrefix("koine: \(unknown): primary[0].figure: no finished run of up or down has topsimm"),
                      refused.standardError)
        XCTAssertEqual(refused.standardOutput, "", "nothing is reported when the study does not fit the runs")
    }
}
