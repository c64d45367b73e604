import Foundation

/// A sample of one figure over runs: its size, mean, standard deviation and
/// the half-width of the 95% confidence interval of its mean (Student t).
public struct Sample: Codable, Equatable {
    public let n: Int
    public let mean: Double
    /// With n − 1 in the denominator; nil below two values.
    public let standardDeviation: Double?
    /// t(0.975, n − 1) · sd / √n; nil below two values.
    public let halfWidth: Double?

    /// Nil for an empty sample; non-finite values are left out.
    public init?(_ values: [Double]) {
        let values = values.filter(\.isFinite)
        guard !values.isEmpty else { return nil }
        n = values.count
        // Scaled by the largest magnitude, so figures near Double's limits
        // (1.7e308) give their mean rather than an overflowed infinity.
        let scale = values.reduce(0) { max($0, abs($1)) }
        let scaled = scale > 1e150 ? values.map { $0 / scale } : values
        let unit = scale > 1e150 ? scale : 1
        let scaledMean = scaled.reduce(0) { $0 + $1 / Double(values.count) }
        let mean = scaledMean * unit
        self.mean = mean
        if n >= 2 {
            let squares = scaled.reduce(0) { $0 + ($1 - scaledMean) * ($1 - scaledMean) }
            let sd = (squares / Double(n - 1)).squareRoot() * unit
            standardDeviation = sd
            halfWidth = StudentT(degreesOfFreedom: Double(n - 1)).quantile(0.975) * sd / Double(n).squareRoot()
        } else {
            standardDeviation = nil
            halfWidth = nil
        }
    }

    /// The variance of the mean, s²/n (nil below two values).
    var varianceOfMean: Double? { standardDeviation.map { $0 * $0 / Double(n) } }
}
