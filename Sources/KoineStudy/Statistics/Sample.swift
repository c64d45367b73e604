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
        let mean = values.reduce(0, +) / Double(n)
        self.mean = mean
        if n >= 2 {
            let squares = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) }
            let sd = (squares / Double(n - 1)).squareRoot()
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
