import Foundation

/// Hedges' g: the difference of two means in units of their pooled standard
/// deviation, corrected for the bias of small samples, with an approximate 95%
/// confidence interval (Hedges & Olkin 1985: g ± 1.96 · SE, where
/// SE² = (n₁ + n₂)/(n₁ n₂) + g²/(2(n₁ + n₂))).
public struct HedgesG: Codable, Equatable {
    public let g: Double
    public let low: Double
    public let high: Double

    /// Nil when either sample has fewer than two values or neither varies.
    public init?(_ first: Sample, _ second: Sample) {
        guard let s1 = first.standardDeviation, let s2 = second.standardDeviation else { return nil }
        let n1 = Double(first.n), n2 = Double(second.n)
        let pooled = (((n1 - 1) * s1 * s1 + (n2 - 1) * s2 * s2) / (n1 + n2 - 2)).squareRoot()
        guard pooled > 0 else { return nil }
        let correction = 1 - 3 / (4 * (n1 + n2) - 9)
        g = correction * (first.mean - second.mean) / pooled
        let standardError = ((n1 + n2) / (n1 * n2) + g * g / (2 * (n1 + n2))).squareRoot()
        low = g - Normal.quantile975 * standardError
        high = g + Normal.quantile975 * standardError
    }
}
