/// Quantiles of a sample.
public enum Percentile {
    /// The q-quantile of sorted values (not empty), by linear interpolation
    /// between the closest ranks, as NumPy's default.
    public static func of(sorted: [Double], _ q: Double) -> Double {
        let position = q * Double(sorted.count - 1)
        let below = Int(position.rounded(.down)), above = min(below + 1, sorted.count - 1)
        return sorted[below] + (sorted[above] - sorted[below]) * (position - Double(below))
    }
}
