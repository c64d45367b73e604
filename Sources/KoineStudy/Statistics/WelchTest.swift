import Foundation

/// Welch's unequal-variances t-test of two means: t, the Welch–Satterthwaite
/// degrees of freedom and the two-sided p-value.
public struct WelchTest: Codable, Equatable {
    public let t: Double
    public let degreesOfFreedom: Double
    public let p: Double

    /// Nil when either sample has fewer than two values or both have no spread
    /// (t is then undefined).
    public init?(_ first: Sample, _ second: Sample) {
        guard let v1 = first.varianceOfMean, let v2 = second.varianceOfMean, v1 + v2 > 0 else { return nil }
        t = (first.mean - second.mean) / (v1 + v2).squareRoot()
        let n1 = Double(first.n), n2 = Double(second.n)
        degreesOfFreedom = (v1 + v2) * (v1 + v2) / (v1 * v1 / (n1 - 1) + v2 * v2 / (n2 - 1))
        p = StudentT(degreesOfFreedom: degreesOfFreedom).twoSided(t)
    }
}
