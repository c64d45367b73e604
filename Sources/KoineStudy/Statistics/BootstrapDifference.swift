import Foundation

/// A percentile bootstrap 95% confidence interval of the difference of two
/// means (each sample resampled with replacement, 10,000 times): an interval
/// for the effect that assumes no distribution. Seeded, so one comparison
/// gives the same interval every time it is drawn.
public struct BootstrapDifference: Codable, Equatable {
    public let difference: Double
    public let low: Double
    public let high: Double

    public static let resamples = 10_000

    /// Nil when either sample is empty.
    public init?(_ first: [Double], _ second: [Double], resamples: Int = BootstrapDifference.resamples, seed: UInt64 = 1) {
        let x = first.filter(\.isFinite), y = second.filter(\.isFinite)
        guard !x.isEmpty, !y.isEmpty, resamples >= 1 else { return nil }
        func mean(_ values: [Double]) -> Double { values.reduce(0, +) / Double(values.count) }
        difference = mean(x) - mean(y)
        var generator = SplitMix64(seed: seed)
        var differences = [Double]()
        differences.reserveCapacity(resamples)
        for _ in 0..<resamples {
            var sumX = 0.0, sumY = 0.0
            for _ in x.indices { sumX += x[Int(generator.next() % UInt64(x.count))] }
            for _ in y.indices { sumY += y[Int(generator.next() % UInt64(y.count))] }
            differences.append(sumX / Double(x.count) - sumY / Double(y.count))
        }
        differences.sort()
        low = Percentile.of(sorted: differences, 0.025)
        high = Percentile.of(sorted: differences, 0.975)
    }
}


/// SplitMix64 (Steele, Lea & Flood 2014): a small seeded generator, enough for resampling.
struct SplitMix64 {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
