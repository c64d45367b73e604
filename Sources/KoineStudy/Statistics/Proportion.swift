import Foundation

/// k of n runs, with Wilson's 95% score interval for the proportion (which,
/// unlike the normal approximation, stays inside [0, 1] and is sound for the
/// few runs a condition has).
public struct Proportion: Codable, Equatable {
    public let count: Int
    public let n: Int
    public let low: Double
    public let high: Double

    public var fraction: Double { Double(count) / Double(n) }

    /// Nil for no runs.
    public init?(count: Int, of n: Int) {
        guard n > 0, count >= 0, count <= n else { return nil }
        self.count = count
        self.n = n
        let z = Normal.quantile975, nn = Double(n), p = Double(count) / nn
        let centre = (p + z * z / (2 * nn)) / (1 + z * z / nn)
        let half = z / (1 + z * z / nn) * (p * (1 - p) / nn + z * z / (4 * nn * nn)).squareRoot()
        low = max(0, centre - half)
        high = min(1, centre + half)
    }
}
