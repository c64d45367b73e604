import Foundation

/// The Mann–Whitney U test (Wilcoxon rank-sum) of two independent samples, two
/// sided, by the normal approximation with the tie correction and the
/// continuity correction (SciPy's `mannwhitneyu(method="asymptotic")`): a check
/// of a t-test that assumes nothing of the values' distribution, so one
/// extreme run cannot make a direction by itself.
public struct MannWhitneyU: Codable, Equatable {
    /// U of the first sample: the pairs in which its value is the larger (ties half).
    public let u: Double
    public let p: Double

    /// Nil when either sample is empty or every value is the same.
    public init?(_ first: [Double], _ second: [Double]) {
        let x = first.filter(\.isFinite), y = second.filter(\.isFinite)
        guard !x.isEmpty, !y.isEmpty else { return nil }
        let n1 = Double(x.count), n2 = Double(y.count), n = n1 + n2
        // Average ranks, 1-based, ties sharing the mean of their ranks.
        let pooled = (x.map { ($0, true) } + y.map { ($0, false) }).sorted { $0.0 < $1.0 }
        var rankSum = 0.0, tieTerm = 0.0
        var start = 0
        while start < pooled.count {
            var end = start
            while end + 1 < pooled.count && pooled[end + 1].0 == pooled[start].0 { end += 1 }
            let rank = Double(start + end) / 2 + 1
            let tied = Double(end - start + 1)
            tieTerm += tied * tied * tied - tied
            for index in start...end where pooled[index].1 { rankSum += rank }
            start = end + 1
        }
        u = rankSum - n1 * (n1 + 1) / 2
        let mean = n1 * n2 / 2
        let variance = n1 * n2 / 12 * ((n + 1) - tieTerm / (n * (n - 1)))
        guard variance > 0 else { return nil }
        let z = (max(u, n1 * n2 - u) - mean - 0.5) / variance.squareRoot()
        p = min(1, 2 * Normal.upperTail(z))
    }
}
