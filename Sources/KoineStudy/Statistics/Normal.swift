import Foundation

/// The standard normal distribution.
public enum Normal {
    /// P(Z > z).
    public static func upperTail(_ z: Double) -> Double { 0.5 * erfc(z / 2.0.squareRoot()) }

    /// The 97.5% quantile, for two-sided 95% intervals.
    public static let quantile975 = 1.959963984540054
}
