import Foundation

/// A line chart rendered as a standalone SVG document: lines with optional
/// shaded bands (e.g. a confidence interval), vertical tick marks along the
/// bottom (e.g. resets), axes with round tick values, a legend. Small on
/// purpose: `koine compare` and `koine report` draw figures with it, and a
/// figure should read the same whoever draws it.
public struct LineChart {
    public struct Point: Equatable {
        public var x: Double, y: Double
        /// The band around y at this x, when there is one.
        public var low: Double?, high: Double?
        public init(x: Double, y: Double, low: Double? = nil, high: Double? = nil) {
            self.x = x; self.y = y; self.low = low; self.high = high
        }
    }

    public struct Series {
        public var name: String
        public var points: [Point]
        /// x positions marked by a short vertical tick in the series' colour.
        public var marks: [Double]
        /// The palette entry to draw with (nil: the series' own place), and
        /// whether the legend names it: many lines of one kind (every member
        /// of a run) share a colour and one legend entry.
        public var paletteIndex: Int?
        public var inLegend: Bool
        public init(name: String, points: [Point], marks: [Double] = [], paletteIndex: Int? = nil, inLegend: Bool = true) {
            self.name = name; self.points = points; self.marks = marks; self.paletteIndex = paletteIndex; self.inLegend = inLegend
        }
    }

    public var title: String
    public var xLabel: String
    public var yLabel: String
    public var series: [Series]
    public var width = 760.0, height = 440.0
    /// The x axis starts at 0 whatever the data (training curves start at step 0).
    public var xFromZero = false
    /// The y axis is logarithmic (values of 0 or less are then not drawn).
    public var yLogarithmic = false

    public init(title: String, xLabel: String, yLabel: String, series: [Series]) {
        self.title = title; self.xLabel = xLabel; self.yLabel = yLabel; self.series = series
    }

    /// Colour-blind-safe (Okabe–Ito), in order of series.
    static let palette = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442"]

    /// The whole SVG document.
    public func svg() -> String {
        // The plot keeps its size; a legend of long names widens the document.
        let legendWidth = max(190, Double(series.filter(\.inLegend).map(\.name.count).max() ?? 0) * 7 + 50)
        let width = self.width - 190 + legendWidth
        let frame = PlotFrame(width: width, height: height, series: series, xFromZero: xFromZero, legend: legendWidth,
                              yLogarithmic: yLogarithmic)
        var out = svgOpening(width: width, height: height, title: title)
        out += frame.axes(xLabel: escaped(xLabel), yLabel: escaped(yLabel))
        for (index, line) in series.enumerated() {
            let colour = Self.palette[(line.paletteIndex ?? index) % Self.palette.count]
            out += band(line.points, frame: frame, colour: colour)
            out += path(line.points, frame: frame, colour: colour)
            out += ticks(line.marks, row: index, frame: frame, colour: colour)
        }
        out += legend(frame: frame)
        return out + "</svg>\n"
    }

    private func band(_ points: [Point], frame: PlotFrame, colour: String) -> String {
        let banded = points.filter { point in
            point.x.isFinite && [point.low, point.high].allSatisfy { $0.map(frame.drawable(y:)) ?? false }
        }
        guard banded.count >= 2 else { return "" }
        let upper = banded.map { "\(format(frame.x($0.x))),\(format(frame.y($0.high ?? $0.y)))" }
        let lower = banded.reversed().map { "\(format(frame.x($0.x))),\(format(frame.y($0.low ?? $0.y)))" }
        return "<polygon points=\"\((upper + lower).joined(separator: " "))\" fill=\"\(colour)\" fill-opacity=\"0.18\" stroke=\"none\"/>\n"
    }

    private func path(_ points: [Point], frame: PlotFrame, colour: String) -> String {
        // A point that cannot be drawn (NaN, infinity, 0 on a logarithmic axis) is left out.
        let points = points.filter { $0.x.isFinite && frame.drawable(y: $0.y) }
        guard !points.isEmpty else { return "" }
        if points.count == 1 {
            return "<circle cx=\"\(format(frame.x(points[0].x)))\" cy=\"\(format(frame.y(points[0].y)))\" r=\"3\" fill=\"\(colour)\"/>\n"
        }
        let coordinates = points.map { "\(format(frame.x($0.x))),\(format(frame.y($0.y)))" }.joined(separator: " ")
        return "<polyline points=\"\(coordinates)\" fill=\"none\" stroke=\"\(colour)\" stroke-width=\"1.8\"/>\n"
    }

    /// One row of ticks per series just above the x axis, so marks of
    /// different series never hide each other.
    private func ticks(_ marks: [Double], row: Int, frame: PlotFrame, colour: String) -> String {
        guard !marks.isEmpty else { return "" }
        let bottom = frame.bottom - 2 - Double(row) * 7
        let segments = Set(marks.filter(\.isFinite)).sorted().filter { $0 >= frame.xRange.lowerBound && $0 <= frame.xRange.upperBound }
            .map { "M\(format(frame.x($0))) \(format(bottom))v-6" }.joined()
        return "<path d=\"\(segments)\" stroke=\"\(colour)\" stroke-width=\"1\"/>\n"
    }

    private func legend(frame: PlotFrame) -> String {
        var out = ""
        for (row, (index, line)) in series.enumerated().filter({ $0.element.inLegend }).enumerated() {
            let colour = Self.palette[(line.paletteIndex ?? index) % Self.palette.count]
            let y = frame.top + 8 + Double(row) * 16
            let x = frame.right + 12
            out += "<line x1=\"\(format(x))\" y1=\"\(format(y))\" x2=\"\(format(x + 18))\" y2=\"\(format(y))\" stroke=\"\(colour)\" stroke-width=\"3\"/>"
            out += "<text x=\"\(format(x + 24))\" y=\"\(format(y + 4))\">\(escaped(line.name))</text>\n"
        }
        return out
    }
}

/// Coordinates with two decimals: enough for a screen, short in the file.
/// Never NaN or infinite (printf writes `-nan`, which no SVG reader takes):
/// such a value is drawn at 0, and values far off the page are clamped near it.
func format(_ value: Double) -> String {
    guard value.isFinite else { return "0.00" }
    return String(format: "%.2f", min(max(value, -1e6), 1e6))
}
