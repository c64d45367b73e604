import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import KoineStudy
import XCTest

/// Charts are well-formed SVG (XML) and hold what they were given.
final class LineChartTests: XCTestCase {
    func chart() -> LineChart {
        LineChart(title: "topsim <mean> & \"CI\"", xLabel: "step", yLabel: "topsim", series: [
            .init(name: "reset (n=3)", points: [
                .init(x: 0, y: 0.1, low: 0.05, high: 0.15), .init(x: 1000, y: 0.3, low: 0.2, high: 0.4),
                .init(x: 2000, y: 0.35, low: 0.3, high: 0.4),
            ], marks: [500, 1500]),
            .init(name: "no-reset & co", points: [.init(x: 0, y: 0.2), .init(x: 2000, y: 0.25)]),
            .init(name: "one point", points: [.init(x: 1000, y: 0.5)]),
        ])
    }

    func testSVGIsWellFormedXML() throws {
        let svg = chart().svg()
        let document = try XMLDocument(data: Data(svg.utf8))
        let root = try XCTUnwrap(document.rootElement())
        XCTAssertEqual(root.name, "svg")
        let texts = try document.nodes(forXPath: "//*[local-name()='text']").compactMap(\.stringValue)
        XCTAssertTrue(texts.contains("topsim <mean> & \"CI\""), "the title, escaped and read back")
        XCTAssertTrue(texts.contains("no-reset & co"))
        XCTAssertEqual(try document.nodes(forXPath: "//*[local-name()='polyline']").count, 2, "one line per series of two or more points")
        XCTAssertEqual(try document.nodes(forXPath: "//*[local-name()='polygon']").count, 1, "one band: the series with intervals")
        XCTAssertEqual(try document.nodes(forXPath: "//*[local-name()='circle']").count, 1)
        XCTAssertEqual(svg.components(separatedBy: "v-6").count - 1, 2, "two reset ticks, each a 6-pixel stroke")
    }

    /// A logarithmic y axis (learning rates): each decade as tall as the
    /// next, ticks on 1, 2 and 5 times powers of ten, a value of 0 left out.
    func testALogarithmicAxisGivesEveryDecadeTheSameHeight() throws {
        var chart = LineChart(title: "t", xLabel: "step", yLabel: "learning rate", series: [
            .init(name: "a", points: [.init(x: 0, y: 1e-4), .init(x: 1, y: 1e-3), .init(x: 2, y: 1e-2), .init(x: 3, y: 0)]),
        ])
        chart.yLogarithmic = true
        let document = try XMLDocument(data: Data(chart.svg().utf8))
        let points = try XCTUnwrap(document.nodes(forXPath: "//*[local-name()='polyline']/@points").first?.stringValue)
        let heights = points.split(separator: " ")
            .compactMap { $0.split(separator: ",").last.flatMap { Double($0) } }
        XCTAssertEqual(heights.count, 3, "0 has no place on a logarithmic axis")
        XCTAssertEqual(heights[0] - heights[1], heights[1] - heights[2], accuracy: 0.02, "a decade is a decade")
        let texts = try document.nodes(forXPath: "//*[local-name()='text']").compactMap(\.stringValue)
        for tick in ["0.0001", "0.0002", "0.0005", "0.001", "0.002", "0.005", "0.01"] { XCTAssertTrue(texts.contains(tick), tick) }
    }

    func testEmptyAndFlatChartsStillRender() throws {
        _ = try XMLDocument(data: Data(LineChart(title: "t", xLabel: "x", yLabel: "y", series: []).svg().utf8))
        let flat = LineChart(title: "t", xLabel: "x", yLabel: "y", series: [.init(name: "a", points: [.init(x: 1, y: 1), .init(x: 1, y: 1)])])
        let svg = flat.svg()
        XCTAssertFalse(svg.contains("nan"), "a flat series must not divide by zero")
        _ = try XMLDocument(data: Data(svg.utf8))
    }
}
