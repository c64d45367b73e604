import Foundation

/// The Wilcoxon signed-rank test of paired values, two sided: the paired
/// t-test's check that assumes nothing of the differences' distribution.
/// Zero differences are left out (SciPy's `zero_method="wilcox"`); the p-value
/// is exact below 51 differences without ties, else the normal approximation
/// with the tie correction.
public struct WilcoxonSignedRank: Codable, Equatable {
    /// The non-zero differences used.
    public let n: Int
    /// The smaller of the positive and the negative rank sums.
    public let statistic: Double
    public let p: Double

    /// Nil when no difference is non-zero.
    public init?(_ first: [Double], _ second: [Double]) {
        let differences = zip(first, second).filter { $0.0.isFinite && $0.1.isFinite }.map { $0.0 - $0.1 }.filter { $0 != 0 }
        guard !differences.isEmpty else { return nil }
        let sorted = differences.sorted { abs($0) < abs($1) }
        var positive = 0.0, tieTerm = 0.0, tied = false
        var start = 0
        while start < sorted.count {
            var end = start
            while end + 1 < sorted.count && abs(sorted[end + 1]) == abs(sorted[start]) { end += 1 }
            let rank = Double(start + end) / 2 + 1, count = Double(end - start + 1)
            if end > start { tied = true }
            tieTerm += count * count * count - count
            for index in start...end where sorted[index] > 0 { positive += rank }
            start = end + 1
        }
        let count = sorted.count
        let total = Double(count * (count + 1)) / 2
        n = count
        statistic = min(positive, total - positive)
        if count <= 50 && !tied {
            p = min(1, 2 * Self.exactLowerTail(Int(statistic), count))
        } else {
            let nn = Double(count)
            let variance = nn * (nn + 1) * (2 * nn + 1) / 24 - tieTerm / 48
            let z = (statistic - total / 2) / variance.squareRoot()
            p = min(1, 2 * Normal.upperTail(abs(z)))
        }
    }

    /// P(W ≤ w) for n ranks, by counting the subsets of 1…n with each sum.
    static func exactLowerTail(_ w: Int, _ n: Int) -> Double {
        let maximum = n * (n + 1) / 2
        var counts = [Double](repeating: 0, count: maximum + 1)
        counts[0] = 1
        for rank in 1...n {
            for sum in stride(from: maximum, through: rank, by: -1) { counts[sum] += counts[sum - rank] }
        }
        return counts[0...min(w, maximum)].reduce(0, +) / pow(2, Double(n))
    }
}
