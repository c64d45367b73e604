import Foundation

/// A figure as a report shows it, in text and on the HTML page alike.
public enum FigureText {
    /// 672715.7, 0.8734, 1.2e-05, 3.4e+20: about four significant digits, more left of the point.
    public static func of(_ value: Double) -> String {
        guard value.isFinite else { return value.isNaN ? "NaN" : value > 0 ? "inf" : "-inf" }
        if value == value.rounded() && abs(value) < 1e15 { return String(Int(value)) }
        let size = abs(value)
        if size >= 1e15 || size < 1e-4 { return String(format: "%.4g", value) }
        if size >= 100 { return String(format: "%.1f", value) }
        return String(format: "%.4g", value)
    }
}
