import Foundation

/// The paired t-test: the mean of the differences of paired values (the same
/// seed under two conditions) against zero, with n − 1 degrees of freedom.
/// Runs that share a seed share everything up to the point where the conditions
/// differ, so their differences vary far less than two independent samples do.
public struct PairedTTest: Codable, Equatable {
    /// The pairs used (both values finite).
    public let n: Int
    /// The mean of first − second.
    public let meanDifference: Double
    public let t: Double
    public let degreesOfFreedom: Double
    public let p: Double

    /// Nil below two complete pairs, or when every difference is the same
    /// (t is then undefined). `first[i]` and `second[i]` are one pair.
    public init?(_ first: [Double], _ second: [Double]) {
        let differences = zip(first, second).filter { $0.0.isFinite && $0.1.isFinite }.map { $0.0 - $0.1 }
        guard let sample = Sample(differences), let variance = sample.varianceOfMean, variance > 0 else { return nil }
        n = sample.n
        meanDifference = sample.mean
        t = sample.mean / variance.squareRoot()
        degreesOfFreedom = Double(sample.n - 1)
        p = StudentT(degreesOfFreedom: degreesOfFreedom).twoSided(t)
    }
}
