import Foundation

/// Student's t distribution with `degreesOfFreedom` (any real value > 0, as
/// Welch's test needs).
public struct StudentT {
    public let degreesOfFreedom: Double

    public init(degreesOfFreedom: Double) {
        precondition(degreesOfFreedom > 0, "the t distribution needs degrees of freedom > 0")
        self.degreesOfFreedom = degreesOfFreedom
    }

    /// P(T ≤ t): the tail beyond |t| is I_{ν/(ν+t²)}(ν/2, 1/2) / 2.
    public func cumulative(_ t: Double) -> Double {
        let nu = degreesOfFreedom
        let tail = 0.5 * IncompleteBeta.regularized(x: nu / (nu + t * t), a: nu / 2, b: 0.5)
        return t >= 0 ? 1 - tail : tail
    }

    /// P(|T| ≥ |t|), the two-sided p-value of t.
    public func twoSided(_ t: Double) -> Double {
        let nu = degreesOfFreedom
        return IncompleteBeta.regularized(x: nu / (nu + t * t), a: nu / 2, b: 0.5)
    }

    /// The t with P(T ≤ t) = p, by bisection (the CDF is monotone; 200 halvings
    /// reach the precision of a Double on any bracket used here).
    public func quantile(_ p: Double) -> Double {
        precondition(p > 0 && p < 1, "a quantile needs 0 < p < 1")
        if p < 0.5 { return -quantile(1 - p) }
        var low = 0.0, high = 1.0
        while cumulative(high) < p { high *= 2 }
        for _ in 0..<200 {
            let middle = (low + high) / 2
            if cumulative(middle) < p { low = middle } else { high = middle }
            if high - low <= 1e-15 * max(1, high) { break }
        }
        return (low + high) / 2
    }
}
