import Foundation
import KoineStudy
import XCTest

/// The per-run strip chart: a dot per finite run, a line per seed shared by
/// neighbouring conditions, the mean's bar, and values that cannot be drawn
/// counted instead of breaking the file.
final class StripChartTests: XCTestCase {
    func testDotsSeedLinesAndTheMean() {
        let chart = StripChart(title: "topsim", yLabel: "topsim", groups: [
            .init(name: "no-reset", runs: [(1, 0.5), (2, 0.6), (3, 0.55), (4, .nan)]),
            .init(name: "reset", runs: [(1, 0.52), (2, 0.94), (5, 0.6)]),
        ])
        let svg = chart.svg()
        XCTAssertEqual(svg.components(separatedBy: "<circle").count - 1, 6, "a dot per finite run")
        XCTAssertEqual(svg.components(separatedBy: "stroke=\"#bbb\"").count - 1, 2, "seeds 1 and 2 are in both conditions")
        XCTAssertTrue(svg.contains("<title>seed 2: 0.94</title>"), svg)
        XCTAssertTrue(svg.contains("1 not finite, not drawn"))
        XCTAssertTrue(svg.contains("no-reset (n=3)"))
        XCTAssertFalse(svg.lowercased().contains("nan"), "no NaN coordinate")
        XCTAssertFalse(svg.contains("inf"))
        // Three bars' worth of paths: the mean tick and the interval for each condition.
        XCTAssertEqual(svg.components(separatedBy: "stroke-width=\"3\"").count - 1, 2)
    }

    func testTheLayoutIsTheSameEveryTimeAndSpreadsDots() {
        let offsets = (0..<20).map(StripChart.offset)
        XCTAssertEqual(offsets, (0..<20).map(StripChart.offset))
        XCTAssertTrue(offsets.allSatisfy { (-1...1).contains($0) })
        XCTAssertEqual(Set(offsets.map { ($0 * 1000).rounded() }).count, 20, "no two dots of a condition at one place")
    }
}
