import Foundation
import KoineStudy
import KoineTestSupport
import XCTest

/// Conditions gathered from run directories written here by hand, and their
/// statistics: every numeric figure by name (topsim_li_bowling and figures
/// not yet invented included), final and over the last ten evaluations.
final class ComparisonTests: XCTestCase {
    var directory: URL!

    override func setUpWithError() throws {
        directory = try makeTemporaryDirectory("compare")
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: directory) }

    /// A finished run: evaluations at steps 100, 200, … with `topsim` rising by
    /// 0.01 from `start`; its summary's topsim is `final`.
    @discardableResult
    func run(_ name: String, seed: Int, cell: String = "lstm", start: Double, final: Double, evaluations: Int = 12,
             finished: Bool = true) throws -> String {
        let path = directory.appendingPathComponent(name).path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        try "seed: \(seed)\nagents:\n  cell: \(cell)\n  hidden: 100\ntrain:\n  steps: 1200\n"
            .write(toFile: path + "/config.yaml", atomically: true, encoding: .utf8)
        var lines: [String] = []
        for k in 1...evaluations {
            lines.append(#"{"kind":"step","step":\#(k * 100),"accuracy":0.5,"loss":1}"#)
            lines.append(#"{"kind":"eval","step":\#(k * 100),"topsim":\#(start + Double(k - 1) * 0.01),"topsim_min":0,"topsim_max":1,"novel_figure":2}"#)
        }
        lines.append(#"{"kind":"reset","step":600,"role":"listener","agent":0}"#)
        lines.append(#"{"kind":"ease_of_teaching","step":1200,"area":0.5,"curve":[0.2,0.4,0.6]}"#)
        lines.append(#"{"kind":"eval","step":99"#)  // a line cut short by a kill
        try (lines.joined(separator: "\n") + "\n").write(toFile: path + "/metrics.jsonl", atomically: true, encoding: .utf8)
        if finished {
            try #"{"steps": 1200, "wall_seconds": 3.5, "accuracy": 1, "topsim": \#(final), "topsim_li_bowling": \#(final + 0.1), "parameters_checksum": "00ff"}"#
                .write(toFile: path + "/summary.json", atomically: true, encoding: .utf8)
        }
        return path
    }

    func testStatisticsOfConditionsGatheredFromRunDirectories() throws {
        let a = try [(1, 0.41), (2, 0.45), (3, 0.38), (4, 0.52), (5, 0.47)].map {
            try run("gru-\($0.0)", seed: $0.0, cell: "gru", start: Double($0.0) / 10, final: $0.1)
        }
        let b = try [(1, 0.55), (2, 0.61), (3, 0.49), (4, 0.58)].map {
            try run("runs-\($0.0)", seed: $0.0, start: 0.5, final: $0.1)
        }
        try run("runs-9", seed: 9, start: 0.5, final: 0, finished: false)
        let conditions = try ConditionGathering.gather(a + b + [directory.appendingPathComponent("runs-9").path])
        XCTAssertEqual(conditions.map(\.runs.count), [5, 5])
        XCTAssertEqual(conditions.map(\.name), ["gru", "runs"], "what their directories' names share")

        let comparison = try Comparison(conditions, pairs: [], thresholds: [("topsim", 0.44)])
        let figures = comparison.conditions[0].figures.map(\.name)
        // Finals 0.41, 0.45, 0.38, 0.52, 0.47: three above 0.44; the other condition's four all are.
        XCTAssertEqual(comparison.conditions[0].above.first?.runs?.count, 3)
        XCTAssertEqual(comparison.conditions[0].above.first?.runs?.n, 5)
        XCTAssertEqual(comparison.conditions[1].above.first?.runs?.count, 4)
        XCTAssertTrue(comparison.table.contains("topsim > 0.44"), comparison.table)
        XCTAssertTrue(comparison.table.contains("3 of 5 runs (0.60, 95% CI "), comparison.table)
        XCTAssertEqual(Array(figures.prefix(3)), ["topsim", "topsim_li_bowling", "accuracy"])
        XCTAssertTrue(figures.contains("novel_figure"), "a figure Koine adds later flows through")
        XCTAssertFalse(figures.contains("steps") || figures.contains("wall_seconds") || figures.contains("topsim_min"))

        // The same samples as StatisticsTests, checked against SciPy there.
        let topsim = try XCTUnwrap(comparison.conditions[0].figures.first { $0.name == "topsim" }?.final)
        XCTAssertEqual(topsim.n, 5)
        XCTAssertEqual(topsim.mean, 0.446, accuracy: 1e-12)
        XCTAssertEqual(try XCTUnwrap(topsim.halfWidth), 0.06721061961770325, accuracy: 1e-10)
        XCTAssertEqual(comparison.conditions[1].finished, 4)
        XCTAssertEqual(comparison.conditions[1].unfinished, 1)
        let test = try XCTUnwrap(comparison.tests.first { $0.figure == "topsim" }?.final)
        XCTAssertEqual(test.t, -3.1635183991408296, accuracy: 1e-10)
        XCTAssertEqual(test.p, 0.016707621989472586, accuracy: 1e-10)
        // Seeds 1-4 finished in both conditions: paired (SciPy's ttest_rel), and the robust
        // figures of the same samples as PairedAndRobustStatisticsTests.
        let topsimTest = try XCTUnwrap(comparison.tests.first { $0.figure == "topsim" })
        let paired = try XCTUnwrap(topsimTest.paired)
        XCTAssertEqual(paired.n, 4)
        XCTAssertEqual(paired.t, -5.403131739937395, accuracy: 1e-10)
        XCTAssertEqual(paired.p, 0.012428348683324935, accuracy: 1e-10)
        XCTAssertEqual(try XCTUnwrap(topsimTest.mannWhitney).p, 0.03733641592066288, accuracy: 1e-12)
        XCTAssertEqual(try XCTUnwrap(topsimTest.hedgesG).g, -1.8732628958576099, accuracy: 1e-12)
        let primaries = comparison.tests.filter { $0.paired != nil || $0.final != nil }
        XCTAssertGreaterThan(primaries.count, 1)
        XCTAssertGreaterThanOrEqual(try XCTUnwrap(topsimTest.holmP), paired.p, "Holm never lowers a p-value")
        XCTAssertTrue(comparison.table.contains("paired (4 seeds) t = -5.40, p = 0.0124"), comparison.table)
        XCTAssertTrue(comparison.testsCSV.contains("gru,runs,topsim,final_paired,4,4,-5.40313173993"), comparison.testsCSV)
        XCTAssertTrue(comparison.testsCSV.hasPrefix("first,second,figure,statistic,n_first,n_second,t,df,p,holm_p\n"))
        let lb = try XCTUnwrap(comparison.conditions[0].figures.first { $0.name == "topsim_li_bowling" }?.final)
        XCTAssertEqual(lb.mean, 0.546, accuracy: 1e-12)

        // Last ten of twelve evaluations: start + 0.02 … start + 0.11, mean start + 0.065;
        // over seeds 1…5 (start = seed/10): 0.3 + 0.065.
        let last = try XCTUnwrap(comparison.conditions[0].figures.first { $0.name == "topsim" }?.lastEvaluations)
        XCTAssertEqual(last.n, 5)
        XCTAssertEqual(last.mean, 0.365, accuracy: 1e-12)
        let unfinishedCounts = try XCTUnwrap(comparison.conditions[1].figures.first { $0.name == "topsim" }?.lastEvaluations)
        XCTAssertEqual(unfinishedCounts.n, 5, "an unfinished run's evaluations count in the last-ten figure")

        XCTAssertTrue(comparison.table.contains("0.446 ± 0.067 (n=5)"), comparison.table)
        XCTAssertTrue(comparison.table.contains("p = 0.0167"), comparison.table)
        XCTAssertTrue(comparison.conditionsCSV.contains(",topsim,final,5,"))
        let json = try JSONSerialization.jsonObject(with: Data(comparison.json.utf8)) as? [String: Any]
        XCTAssertEqual((json?["conditions"] as? [Any])?.count, 2)
    }

    func testNamingUnknownConditionsAndCurves() throws {
        let one = try run("reset-20261129-101010", seed: 1, start: 0.1, final: 0.3)
        let two = try run("reset-20261129-111111", seed: 2, start: 0.2, final: 0.4)
        let conditions = try ConditionGathering.gather([one, two])
        XCTAssertEqual(conditions.map(\.name), ["reset"], "named by its config, as koine train names run directories")
        let gru = try run("reset-20261129-121212", seed: 3, cell: "gru", start: 0.2, final: 0.4)
        XCTAssertEqual(try ConditionGathering.gather([one, two, gru]).map(\.name), ["reset,agents.cell=lstm", "reset,agents.cell=gru"],
                       "two conditions of one name are told apart by the keys that differ")
        XCTAssertThrowsError(try Comparison(conditions, pairs: [("reset", "nothing")])) { error in
            XCTAssertTrue("\(error)".contains("--versus nothing"), "\(error)")
        }
        XCTAssertThrowsError(try ConditionGathering.gather([directory.path])) { error in
            XCTAssertTrue("\(error)".contains("neither a sweep"), "\(error)")
        }

        let charts = ComparisonPlots.charts(conditions)
        XCTAssertEqual(charts.map(\.name), ["topsim", "novel_figure", "training_accuracy", "ease_of_teaching_area", "ease_of_teaching"])
        let topsim = try XCTUnwrap(charts.first?.chart.series.first)
        XCTAssertEqual(topsim.points.count, 12)
        XCTAssertEqual(topsim.points[0].y, 0.15, accuracy: 1e-12)
        XCTAssertEqual(topsim.marks, [600])
        XCTAssertNotNil(topsim.points[0].high, "two runs give a band")
    }
}
