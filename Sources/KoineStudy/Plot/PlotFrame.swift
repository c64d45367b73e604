import Foundation

/// Where a chart's data lands on the page: the data ranges (padded to round
/// tick values) and the plotting rectangle, with the axes drawn around it.
struct PlotFrame {
    let left = 70.0, top = 40.0
    let right: Double, bottom: Double
    let xRange: ClosedRange<Double>, yRange: ClosedRange<Double>
    let xTicks: [Double], yTicks: [Double]
    /// Whether y is drawn on a logarithmic scale, each decade as tall as the
    /// next: a learning rate explored between 1e-4 and 1e-2 would otherwise
    /// crowd every value below 1e-3 against the axis.
    let yLogarithmic: Bool

    /// `legend`: the room on the right for the legend.
    init(width: Double, height: Double, series: [LineChart.Series], xFromZero: Bool, legend: Double = 190, yLogarithmic: Bool = false) {
        // Room on the right for the legend, below for the x axis' labels.
        right = width - legend
        bottom = height - 50
        let points = series.flatMap(\.points)
        let xs = points.map(\.x) + series.flatMap(\.marks).filter { mark in points.contains { $0.x >= mark } }
        let ys = points.flatMap { [$0.y, $0.low ?? $0.y, $0.high ?? $0.y] }.filter(\.isFinite)
        (xRange, xTicks) = PlotFrame.axis(xs.filter(\.isFinite) + (xFromZero ? [0] : []))
        self.yLogarithmic = yLogarithmic
        (yRange, yTicks) = yLogarithmic ? PlotFrame.logarithmicAxis(ys) : PlotFrame.axis(ys)
    }

    /// A frame for `categories` side by side (x from 0 to their count, no x
    /// ticks: the chart labels them) over `values`.
    init(width: Double, height: Double, categories: Int, values: [Double]) {
        right = width - 30
        bottom = height - 60
        xRange = 0...Double(max(categories, 1))
        xTicks = []
        yLogarithmic = false
        (yRange, yTicks) = PlotFrame.axis(values.filter(\.isFinite))
    }

    func x(_ value: Double) -> Double {
        left + PlotFrame.fraction(value, of: xRange) * (right - left)
    }

    func y(_ value: Double) -> Double {
        let position = yLogarithmic
            ? PlotFrame.fraction(log10(value), of: log10(yRange.lowerBound)...log10(yRange.upperBound))
            : PlotFrame.fraction(value, of: yRange)
        return bottom - position * (bottom - top)
    }

    /// Whether a y value has a place on the axis: a finite one, and on a
    /// logarithmic axis a positive one.
    func drawable(y value: Double) -> Bool {
        value.isFinite && (!yLogarithmic || value > 0)
    }

    /// Where `value` falls in `range`, 0 at its start and 1 at its end; halved
    /// first so a range as wide as Double's whole span does not overflow.
    static func fraction(_ value: Double, of range: ClosedRange<Double>) -> Double {
        let width = range.upperBound / 2 - range.lowerBound / 2
        guard width > 0 else { return 0.5 }
        return (value / 2 - range.lowerBound / 2) / width
    }

    /// A range covering `values` (finite ones; others are not drawn) with ends
    /// on round numbers, and its ticks. Values near Double's limits, whose round
    /// ends would overflow, get their own extremes as ends and ticks.
    static func axis(_ values: [Double]) -> (ClosedRange<Double>, [Double]) {
        let finite = values.filter(\.isFinite)
        var low = finite.min() ?? 0, high = finite.max() ?? 1
        if high - low < 1e-12 { low -= 0.5; high += 0.5 }
        let step = roundStep((high / 2 - low / 2) / 2.5)
        let roundLow = (low / step).rounded(.down) * step, roundHigh = (high / step).rounded(.up) * step
        let count = ((roundHigh - roundLow) / step).rounded()
        guard step.isFinite, step > 0, roundLow.isFinite, roundHigh.isFinite, count.isFinite, count >= 1, count <= 20 else {
            return low < high ? (low...high, [low, high]) : (low...low, [low])
        }
        return (roundLow...roundHigh, (0...Int(count)).map { roundLow + Double($0) * step })
    }

    /// A logarithmic range covering the positive finite `values` (others are
    /// not drawn), from the power of ten below the smallest to the one above
    /// the largest, and its ticks: 1, 2 and 5 in each decade over three
    /// decades or fewer, else powers of ten (at most about ten of them).
    static func logarithmicAxis(_ values: [Double]) -> (ClosedRange<Double>, [Double]) {
        let positive = values.filter { $0.isFinite && $0 > 0 }
        guard let smallest = positive.min(), let largest = positive.max() else { return (1...10, [1, 10]) }
        // Powers of ten a Double holds (10^-324 is 0, 10^309 infinity).
        let low = min(max(log10(smallest).rounded(.down), -323), 307)
        let high = max(min(log10(largest).rounded(.up), 308), low + 1)
        let decades = Int(high - low)
        let factors: [Double] = decades <= 3 ? [1, 2, 5] : [1]
        var ticks: [Double] = []
        for decade in stride(from: Int(low), through: Int(high), by: max(1, decades / 10)) {
            ticks += factors.map { $0 * pow(10, Double(decade)) }.filter { $0 <= pow(10, high) }
        }
        return (pow(10, low)...pow(10, high), ticks)
    }

    /// 1, 2 or 5 times a power of ten, at least `raw`.
    static func roundStep(_ raw: Double) -> Double {
        let power = pow(10, (log10(raw)).rounded(.down))
        for factor in [1.0, 2, 5, 10] where factor * power >= raw { return factor * power }
        return 10 * power
    }

    func axes(xLabel: String, yLabel: String) -> String {
        var out = "<g stroke=\"#444\" stroke-width=\"1\" fill=\"none\">"
        out += "<path d=\"M\(format(left)) \(format(top))V\(format(bottom))H\(format(right))\"/></g>\n"
        out += "<g fill=\"#222\">"
        for tick in xTicks {
            out += "<text x=\"\(format(x(tick)))\" y=\"\(format(bottom + 16))\" text-anchor=\"middle\">\(label(tick))</text>"
        }
        for tick in yTicks {
            // A logarithmic axis' ticks are powers of ten and their multiples, 1e-05 and 0.002 alike.
            let text = yLogarithmic ? String(format: "%g", tick) : label(tick)
            out += "<text x=\"\(format(left - 6))\" y=\"\(format(y(tick) + 4))\" text-anchor=\"end\">\(text)</text>"
            out += "<line x1=\"\(format(left))\" y1=\"\(format(y(tick)))\" x2=\"\(format(right))\" y2=\"\(format(y(tick)))\" stroke=\"#ddd\"/>"
        }
        out += "</g>\n"
        out += "<text x=\"\(format((left + right) / 2))\" y=\"\(format(bottom + 38))\" text-anchor=\"middle\">\(xLabel)</text>\n"
        out += "<text transform=\"translate(18 \(format((top + bottom) / 2))) rotate(-90)\" text-anchor=\"middle\">\(yLabel)</text>\n"
        return out
    }

    /// A tick value as short text: 30000 as 30k, 0.25 as 0.25.
    func label(_ value: Double) -> String {
        guard value.isFinite else { return value.isNaN ? "NaN" : value > 0 ? "∞" : "−∞" }
        // Past 10^15 Int would trap on some values and digits stop meaning much.
        guard abs(value) < 1e15 else { return String(format: "%.3g", value) }
        if abs(value) >= 10_000 && value.truncatingRemainder(dividingBy: 1000) == 0 { return "\(Int(value / 1000))k" }
        if value == value.rounded() { return "\(Int(value))" }
        return String(format: "%g", (value * 1e6).rounded() / 1e6)
    }
}

/// The start of a chart's SVG document: its size, a white page and the title.
func svgOpening(width: Double, height: Double, title: String) -> String {
    """
    <?xml version="1.0" encoding="UTF-8"?>
    <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" \
    viewBox="0 0 \(Int(width)) \(Int(height))" font-family="sans-serif" font-size="12">
    <rect width="100%" height="100%" fill="white"/>
    <text x="\(format(width / 2))" y="20" text-anchor="middle" font-size="15">\(escaped(title))</text>

    """
}
