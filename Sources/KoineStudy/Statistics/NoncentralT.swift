import Foundation

/// The noncentral t distribution (ν degrees of freedom, noncentrality δ): the
/// distribution of a t statistic when the true difference is δ standard errors,
/// which is what a power calculation needs. The CDF follows Lenth's algorithm
/// (Applied Statistics AS 243, 1989): a Poisson-weighted series of regularized
/// incomplete beta functions.
public struct NoncentralT {
    public let degreesOfFreedom: Double
    public let noncentrality: Double

    public init(degreesOfFreedom: Double, noncentrality: Double) {
        precondition(degreesOfFreedom > 0, "the t distribution needs degrees of freedom > 0")
        self.degreesOfFreedom = degreesOfFreedom
        self.noncentrality = noncentrality
    }

    /// P(T ≤ t).
    public func cumulative(_ t: Double) -> Double {
        if t < 0 {
            return 1 - NoncentralT(degreesOfFreedom: degreesOfFreedom, noncentrality: -noncentrality).cumulative(-t)
        }
        let nu = degreesOfFreedom, delta = noncentrality
        let lowerNormal = Normal.upperTail(delta)  // Φ(−δ)
        let x = t * t / (t * t + nu)
        guard x > 0 else { return lowerNormal }
        let lambda = delta * delta
        var p = 0.5 * exp(-0.5 * lambda)
        var q = (2 / Double.pi).squareRoot() * p * delta
        var remaining = 0.5 - p
        var a = 0.5
        let b = 0.5 * nu
        let rxb = pow(1 - x, b)
        let logBeta = log(Double.pi.squareRoot()) + lgamma(b) - lgamma(0.5 + b)
        var xOdd = IncompleteBeta.regularized(x: x, a: a, b: b)
        var gOdd = 2 * rxb * exp(a * log(x) - logBeta)
        var xEven = 1 - rxb
        var gEven = b * x * rxb
        var total = p * xOdd + q * xEven
        var term = 1.0
        while term <= 1000 {
            a += 1
            xOdd -= gOdd
            xEven -= gEven
            gOdd *= x * (a + b - 1) / a
            gEven *= x * (a + b - 0.5) / (a + 0.5)
            p *= lambda / (2 * term)
            q *= lambda / (2 * term + 1)
            remaining -= p
            term += 1
            total += p * xOdd + q * xEven
            if 2 * remaining * (xOdd - gOdd) <= 1e-14 { break }
        }
        return min(1, max(0, total + lowerNormal))
    }
}

/// Power and sample sizes of the two-sided two-sample t-test with equal group
/// sizes, for an effect of d standard deviations (as statsmodels'
/// `TTestIndPower`): the seeds per condition a study needs before it runs.
public enum TwoSampleTPower {
    /// The chance that the test at level `alpha` rejects with `n` runs per group.
    public static func power(effect d: Double, perGroup n: Double, alpha: Double = 0.05) -> Double {
        let nu = 2 * n - 2
        let critical = StudentT(degreesOfFreedom: nu).quantile(1 - alpha / 2)
        let distribution = NoncentralT(degreesOfFreedom: nu, noncentrality: d * (n / 2).squareRoot())
        return 1 - distribution.cumulative(critical) + distribution.cumulative(-critical)
    }

    /// The fewest runs per group (at least 2) for `power`; nil for no effect.
    public static func runsNeeded(effect d: Double, power target: Double = 0.8, alpha: Double = 0.05) -> Int? {
        guard d != 0, d.isFinite, target > 0, target < 1 else { return nil }
        var n = 2
        while power(effect: abs(d), perGroup: Double(n), alpha: alpha) < target {
            n += 1
            if n > 1_000_000 { return nil }
        }
        return n
    }
}
