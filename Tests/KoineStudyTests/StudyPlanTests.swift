import Foundation
import KoineStudy
import KoineTestSupport
import XCTest

/// Pre-registered study files: what they say, what is refused, and the
/// endpoints decided on runs written here by hand.
final class StudyPlanTests: XCTestCase {
    static let plan = """
        study: resets and topsim
        registered: 2026-12-06
        alpha: 0.05
        correction: holm
        runs: {seeds: 1-6, steps: 1200}
        primary:
          - {figure: topsim, conditions: [reset, none], test: paired-t, effect: 0.08, sd: 0.13}
        secondary:
          - {figure: ease, conditions: [reset, none], test: paired-t}
          - {figure: ease, conditions: [reset, none], test: mann-whitney}
        """

    var directory: URL!

    override func setUpWithError() throws { directory = try makeTemporaryDirectory("study") }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: directory) }

    func testAPlanReadsAsWritten() throws {
        let plan = try StudyPlan.parse(Self.plan, source: "s.yaml")
        XCTAssertEqual(plan.title, "resets and topsim")
        XCTAssertEqual(plan.alpha, 0.05)
        XCTAssertTrue(plan.holm)
        XCTAssertEqual(plan.seeds, "1-6")
        XCTAssertEqual(plan.steps, 1200)
        XCTAssertEqual(plan.primary, [StudyPlan.Endpoint(figure: "topsim", first: "reset", second: "none", test: .pairedT,
                                                         effect: 0.08, standardDeviation: 0.13)])
        XCTAssertEqual(plan.secondary.map(\.test), [.pairedT, .mannWhitney])
        // Without runs, the plan and its power: 0.08 at sd 0.13 needs 43 runs per
        // condition (statsmodels TTestIndPower); 6 give about 0.14.
        let summary = plan.summary
        XCTAssertTrue(summary.contains("80% power needs 43 runs per condition"), summary)
        XCTAssertTrue(summary.contains("6 planned give power 0.1"), summary)
        let own = try StudyPlan.parse(Self.plan.replacingOccurrences(of: "sd: 0.13}", with: "sd: 0.13, seeds: 1-20}"), source: "s.yaml")
        XCTAssertTrue(own.summary.contains("seeds 1-20; effect 0.08 at sd 0.13: 80% power needs 43 runs per condition; 20 planned give power 0.47"),
                      own.summary)
    }

    func testMistakesAreNamedInOneLine() {
        let valid = "study: s\nalpha: 0.05\nprimary:\n  - {figure: topsim, conditions: [a, b], test: welch}\n"
        let cases: [(String, String)] = [
            ("study: s\nprimary:\n  - {figure: topsim, conditions: [a, b], test: welch}\n", "s.yaml: alpha: missing"),
            (valid.replacingOccurrences(of: "0.05", with: "5"), "alpha: expected a number between 0 and 0.5"),
            (valid.replacingOccurrences(of: "0.05", with: "often"), "alpha: expected a number, got often"),
            (valid + "colour: blue\n", "colour: unknown key; expected one of study, registered, alpha"),
            (valid.replacingOccurrences(of: "welch", with: "t-test"), "primary[0].test: expected one of paired-t, wilcoxon, welch, mann-whitney, got t-test"),
            (valid.replacingOccurrences(of: ", test: welch", with: ""), "primary[0].test: missing"),
            (valid.replacingOccurrences(of: "[a, b]", with: "[a]"), "primary[0].conditions: expected two different condition names"),
            (valid.replacingOccurrences(of: "[a, b]", with: "[a, a]"), "primary[0].conditions: expected two different"),
            (valid.replacingOccurrences(of: "figure: topsim, ", with: ""), "primary[0].figure: missing"),
            (valid.replacingOccurrences(of: "test: welch", with: "test: welch, effect: 0.1"), "primary[0]: effect and sd go together"),
            (valid.replacingOccurrences(of: "test: welch", with: "test: welch, effect: 0.1, sd: 0"), "expected effect ≠ 0 and sd > 0"),
            (valid.replacingOccurrences(of: "test: welch", with: "test: welch, ratio: 2"), "primary[0].ratio: unknown key"),
            ("study: s\nalpha: 0.05\n", "primary: missing"),
            ("study: s\nalpha: 0.05\nprimary: topsim\n", "primary: expected a list of endpoints"),
            ("alpha: 0.05\nprimary: []\n", "study: missing"),
            ("study: [unclosed\n", "s.yaml: malformed YAML"),
            ("- a list\n", "expected a mapping of study, alpha, primary"),
            (valid + "runs: {steps: 1.5}\n", "runs.steps: expected a whole number ≥ 1"),
            (valid + "runs: {seeds: 5-1}\n", "runs.seeds: expected seeds such as 1-50"),
            (valid.replacingOccurrences(of: "test: welch", with: "test: welch, seeds: many"), "primary[0].seeds: expected seeds such as 1-20"),
        ]
        for (text, expected) in cases {
            XCTAssertThrowsError(try StudyPlan.parse(text, source: "s.yaml"), expected) { error in
                let message = "\(error)"
                XCTAssertTrue(message.contains(expected), "expected “\(expected)” in: \(message)")
                XCTAssertFalse(message.contains("\n"), message)
                XCTAssertTrue(message.hasPrefix("s.yaml: "), message)
            }
        }
        XCTAssertNoThrow(try StudyPlan.parse(valid, source: "s.yaml"))
    }

    func testFilesThatCannotBeAPlan() throws {
        XCTAssertThrowsError(try StudyPlan.load(directory.path)) { XCTAssertTrue("\($0)".contains("not a directory or special file"), "\($0)") }
        XCTAssertThrowsError(try StudyPlan.load(directory.path + "/absent.yaml")) { XCTAssertTrue("\($0)".contains("cannot read"), "\($0)") }
        let fifo = directory.appendingPathComponent("fifo.yaml").path
        XCTAssertEqual(mkfifo(fifo, 0o600), 0)
        XCTAssertThrowsError(try StudyPlan.load(fifo)) { XCTAssertTrue("\($0)".contains("special file"), "\($0)") }
    }

    /// A finished run whose summary holds `figures`.
    func run(_ name: String, seed: Int, _ figures: [String: Double]) throws -> String {
        let path = directory.appendingPathComponent(name).path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        try "seed: \(seed)\nname: \(name.split(separator: "-")[0])\n".write(toFile: path + "/config.yaml", atomically: true, encoding: .utf8)
        let body = figures.map { "\"\($0.key)\": \($0.value)" }.joined(separator: ", ")
        try "{\(body)}".write(toFile: path + "/summary.json", atomically: true, encoding: .utf8)
        try "".write(toFile: path + "/metrics.jsonl", atomically: true, encoding: .utf8)
        return path
    }

    /// Paired topsim: differences 0.05, 0.02, 0.07, −0.01, 0.04, 0.03 →
    /// scipy.stats.ttest_rel: t = 2.9881, p = 0.03051. The secondary family's
    /// two p-values are Holm-adjusted together, the primary alone.
    func testEndpointsDecidedOnRuns() throws {
        let reset = [0.60, 0.55, 0.70, 0.52, 0.64, 0.58], none = [0.55, 0.53, 0.63, 0.53, 0.60, 0.55]
        let easeReset = [0.91, 0.90, 0.93, 0.92, 0.90, 0.94], easeNone = [0.90, 0.91, 0.90, 0.89, 0.92, 0.90]
        var paths: [String] = []
        for seed in 1...6 {
            paths.append(try run("reset-\(seed)", seed: seed, ["topsim": reset[seed - 1], "ease": easeReset[seed - 1]]))
            paths.append(try run("none-\(seed)", seed: seed, ["topsim": none[seed - 1], "ease": easeNone[seed - 1]]))
        }
        let conditions = try ConditionGathering.gather(paths)
        XCTAssertEqual(Set(conditions.map(\.name)), ["reset", "none"])
        let plan = try StudyPlan.parse(Self.plan, source: "s.yaml")
        let report = try StudyReport(plan: plan, conditions: conditions)
        XCTAssertEqual(report.results.count, 3)
        let primary = report.results[0]
        XCTAssertEqual(primary.family, "primary")
        XCTAssertEqual(primary.pairs, 6)
        XCTAssertEqual(try XCTUnwrap(primary.difference), 0.0333333, accuracy: 1e-6)
        XCTAssertEqual(try XCTUnwrap(primary.p), 0.030515, accuracy: 5e-6)
        XCTAssertEqual(primary.adjustedP, primary.p, "one primary endpoint: nothing to correct")
        XCTAssertEqual(primary.significant, true)
        XCTAssertEqual(primary.runsNeeded, 43)
        XCTAssertEqual(try XCTUnwrap(primary.power), TwoSampleTPower.power(effect: 0.08 / 0.13, perGroup: 6), accuracy: 1e-12)
        let secondary = Array(report.results[1...])
        let raw = secondary.map { $0.p! }
        XCTAssertEqual(secondary.map { $0.adjustedP! }, HolmCorrection.adjusted(raw))
        let table = report.table
        XCTAssertTrue(table.contains("Primary endpoint:"), table)
        XCTAssertTrue(table.contains("Secondary endpoints:"), table)
        XCTAssertTrue(table.contains("topsim, reset − none, paired-t: difference +0.0333"), table)
        XCTAssertTrue(table.contains("→ a difference at α = 0.05"), table)
        XCTAssertTrue(table.contains("Runs found: reset 6 finished, none 6 finished"), table)

        // What the runs do not have is named.
        let typo = try StudyPlan.parse(Self.plan.replacingOccurrences(of: "figure: topsim", with: "figure: topsimm"), source: "s.yaml")
        XCTAssertThrowsError(try StudyReport(plan: typo, conditions: conditions)) {
            XCTAssertTrue("\($0)".contains("s.yaml: primary[0].figure: no finished run of reset or none has topsimm; they have"), "\($0)")
        }
        let absent = try StudyPlan.parse(Self.plan.replacingOccurrences(of: "[reset, none], test: paired-t, effect", with: "[reset, nothing], test: paired-t, effect"), source: "s.yaml")
        XCTAssertThrowsError(try StudyReport(plan: absent, conditions: conditions)) {
            XCTAssertTrue("\($0)".contains("s.yaml: primary[0].conditions: no condition nothing among the runs"), "\($0)")
        }

        // A study still running: endpoints whose conditions have no runs yet
        // are pending, the others decided as before, Holm over the decided.
        let interim = try StudyReport(plan: absent, conditions: conditions, interim: true)
        XCTAssertTrue(interim.results[0].pending)
        XCTAssertEqual(interim.results[0].pendingConditions, ["nothing"])
        XCTAssertNil(interim.results[0].p)
        XCTAssertEqual(interim.results[1...].map { $0.adjustedP! }, secondary.map { $0.adjustedP! })
        XCTAssertTrue(interim.table.contains("topsim, reset − nothing, paired-t: pending (no runs of nothing yet)"), interim.table)
        XCTAssertTrue(interim.table.contains("Runs found: reset 6 finished"), interim.table)
        let oneSecondaryMissing = try StudyPlan.parse(Self.plan.replacingOccurrences(of: "[reset, none], test: mann-whitney", with: "[reset, later], test: mann-whitney"), source: "s.yaml")
        let partial = try StudyReport(plan: oneSecondaryMissing, conditions: conditions, interim: true)
        XCTAssertEqual(partial.results[1].adjustedP, partial.results[1].p, "Holm over the one decided secondary endpoint")
        XCTAssertTrue(partial.table.contains("interim: 1 of 2 pending; Holm's correction over the 1 decided only"), partial.table)
    }
}
