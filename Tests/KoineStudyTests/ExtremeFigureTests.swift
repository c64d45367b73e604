import Foundation
import XCTest
@testable import KoineStudy

/// Hardening II (issue 31): figures near Double's limits and non-finite ones
/// are drawn and summarised without a trap (PlotFrame.axis trapped on 1.7e308),
/// and a chart holds numbers only (printf wrote -nan into the SVG).
final class ExtremeFigureTests: XCTestCase {
    static let extremes: [[Double]] = [
        [1.7e308, -1.7e308], [1.7e308, 0], [.greatestFiniteMagnitude], [1e17, 2e17], [1e300, 1e300],
        [.nan, .infinity, -.infinity], [], [5e-324, -5e-324], [0, 1e-300],
    ]

    func testAxesAndLabelsOfExtremeValues() {
        for values in Self.extremes {
            let (range, ticks) = PlotFrame.axis(values)
            XCTAssertTrue(range.lowerBound.isFinite && range.upperBound.isFinite, "\(values): \(range)")
            XCTAssertFalse(ticks.isEmpty, "\(values)")
            XCTAssertLessThanOrEqual(ticks.count, 21, "\(values)")
            let frame = PlotFrame(width: 760, height: 440, series: [.init(name: "a", points: values.map { .init(x: $0, y: $0) })],
                                  xFromZero: true)
            for tick in ticks { XCTAssertFalse(frame.label(tick).isEmpty) }
            for value in values where value.isFinite { XCTAssertTrue(frame.y(value).isFinite, "\(values): y(\(value))") }
        }
        XCTAssertEqual(format(.nan), "0.00")
        XCTAssertEqual(format(-.infinity), "0.00")
    }

    func testLogarithmicAxesOfExtremeValues() {
        XCTAssertEqual(PlotFrame.logarithmicAxis([3e-4, 1e-2]).1, [1e-4, 2e-4, 5e-4, 1e-3, 2e-3, 5e-3, 1e-2])
        for values in Self.extremes {
            let (range, ticks) = PlotFrame.logarithmicAxis(values)
            XCTAssertTrue(range.lowerBound > 0 && range.upperBound.isFinite, "\(values): \(range)")
            XCTAssertFalse(ticks.isEmpty, "\(values)")
            XCTAssertLessThanOrEqual(ticks.count, 21, "\(values)")
        }
    }

    func testChartsHoldNumbersOnly() {
        for values in Self.extremes where !values.isEmpty {
            let chart = LineChart(title: "t", xLabel: "x", yLabel: "y", series: [
                .init(name: "a", points: values.enumerated().map { .init(x: Double($0.offset), y: $0.element, low: $0.element, high: .nan) },
                      marks: values)])
            var logarithmic = chart
            logarithmic.yLogarithmic = true
            let strip = StripChart(title: "t", yLabel: "y", groups: [.init(name: "a", runs: values.map { (seed: nil, value: $0) })])
            for svg in [chart.svg(), logarithmic.svg(), strip.svg()] {
                XCTAssertFalse(svg.contains("nan") || svg.contains("inf"), "\(values):\n\(svg)")
            }
        }
    }

    func testSamplesOfExtremeValues() throws {
        let large = try XCTUnwrap(Sample([1.7e308, 1.7e308]))
        XCTAssertEqual(large.mean, 1.7e308, accuracy: 1e294)
        XCTAssertEqual(large.standardDeviation, 0)
        let opposite = try XCTUnwrap(Sample([1.7e308, -1.7e308]))
        XCTAssertEqual(opposite.mean, 0)
        XCTAssertEqual(Comparison.figure(1.7e308), "1.7e+308")
        XCTAssertEqual(Comparison.figure(.nan), "NaN")
        XCTAssertEqual(Comparison.figure(0.8734), "0.873")
    }
}
