import KoineStudy
import XCTest

/// The paired t-test and the Mann–Whitney U test against SciPy 1.17.1
/// (`stats.ttest_rel`, `stats.mannwhitneyu(alternative="two-sided",
/// method="asymptotic")`, computed once with python3 and pasted here); Holm's
/// correction and Hedges' g by hand.
final class PairedAndRobustStatisticsTests: XCTestCase {
    func testPairedTTestMatchesSciPy() throws {
        let reset = [0.627, 0.55, 0.941, 0.60, 0.58, 0.52, 0.66, 0.59, 0.61, 0.57]
        let noReset = [0.577, 0.56, 0.60, 0.58, 0.59, 0.50, 0.62, 0.55, 0.63, 0.54]
        let test = try XCTUnwrap(PairedTTest(reset, noReset))
        XCTAssertEqual(test.n, 10)
        XCTAssertEqual(test.t, 1.5091936114821995, accuracy: 1e-12)
        XCTAssertEqual(test.p, 0.1655269856582741, accuracy: 1e-12)
        XCTAssertEqual(test.degreesOfFreedom, 9)
        XCTAssertEqual(test.meanDifference, (reset.reduce(0, +) - noReset.reduce(0, +)) / 10, accuracy: 1e-15)
        XCTAssertNil(PairedTTest([1, 2, 3], [0, 1, 2]), "every difference the same: t is undefined")
        XCTAssertNil(PairedTTest([1], [0]))
        XCTAssertEqual(PairedTTest([1, .nan, 3, 4], [0, 5, 1, 1])?.n, 3, "an incomplete pair is left out")
    }

    /// `stats.wilcoxon`: exact without ties (8 pairs; 9 once a zero difference
    /// is left out), the normal approximation with ties (`method="approx"`).
    func testWilcoxonSignedRankMatchesSciPy() throws {
        let differences = [1.5, 2.1, -0.3, 0.8, 3.2, -1.1, 0.4, 2.6]
        let exact = try XCTUnwrap(WilcoxonSignedRank(differences, [Double](repeating: 0, count: 8)))
        XCTAssertEqual(exact.statistic, 5)
        XCTAssertEqual(exact.p, 0.078125, accuracy: 1e-15)
        let withZero = try XCTUnwrap(WilcoxonSignedRank(differences + [0, 0.9], [Double](repeating: 0, count: 10)))
        XCTAssertEqual(withZero.n, 9)
        XCTAssertEqual(withZero.statistic, 6)
        XCTAssertEqual(withZero.p, 0.0546875, accuracy: 1e-15)
        let tiedDifferences = [0.05, -0.01, 0.341, 0.02, -0.005, 0.02, 0.04, 0.04, -0.02, 0.03]
        let tied = try XCTUnwrap(WilcoxonSignedRank(tiedDifferences, [Double](repeating: 0, count: 10)))
        XCTAssertEqual(tied.statistic, 7)
        XCTAssertEqual(tied.p, 0.03604929557974721, accuracy: 1e-12)
        XCTAssertNil(WilcoxonSignedRank([1, 2], [1, 2]))
    }

    func testMannWhitneyMatchesSciPy() throws {
        let plain = try XCTUnwrap(MannWhitneyU([0.41, 0.45, 0.38, 0.52, 0.47], [0.55, 0.61, 0.49, 0.58]))
        XCTAssertEqual(plain.u, 1)
        XCTAssertEqual(plain.p, 0.03733641592066288, accuracy: 1e-12)
        let tied = try XCTUnwrap(MannWhitneyU([1, 2, 2, 3, 4, 4, 4, 5], [2, 3, 3, 5, 6, 6, 7]))
        XCTAssertEqual(tied.u, 15.5)
        XCTAssertEqual(tied.p, 0.15959894244264883, accuracy: 1e-12)
        XCTAssertNil(MannWhitneyU([], [1]))
        XCTAssertNil(MannWhitneyU([2, 2], [2, 2]), "no spread at all")
    }

    /// SciPy's `stats.bootstrap` (percentile, 100,000 resamples, its own
    /// generator) gives [−0.1710, −0.0495] for these samples; 10,000 resamples of
    /// another generator agree within a resampling error of about 0.005.
    func testBootstrapDifferenceAgreesWithSciPy() throws {
        let x = [0.41, 0.45, 0.38, 0.52, 0.47], y = [0.55, 0.61, 0.49, 0.58]
        let interval = try XCTUnwrap(BootstrapDifference(x, y))
        XCTAssertEqual(interval.difference, 0.446 - 0.5575, accuracy: 1e-12)
        XCTAssertEqual(interval.low, -0.17099999999999993, accuracy: 0.006)
        XCTAssertEqual(interval.high, -0.04949999999999993, accuracy: 0.006)
        XCTAssertEqual(BootstrapDifference(x, y), interval, "seeded: the same interval every time")
        XCTAssertNil(BootstrapDifference([], y))
        let constant = try XCTUnwrap(BootstrapDifference([1, 1], [0.5]))
        XCTAssertEqual(constant.low, 0.5)
        XCTAssertEqual(constant.high, 0.5)
    }

    /// Wilson's interval against statsmodels' `proportion_confint(method="wilson")`.
    func testWilsonIntervalMatchesStatsmodels() throws {
        let one = try XCTUnwrap(Proportion(count: 1, of: 10))
        XCTAssertEqual(one.fraction, 0.1)
        XCTAssertEqual(one.low, 0.017876213095072924, accuracy: 1e-9)
        XCTAssertEqual(one.high, 0.40415002679523854, accuracy: 1e-9)
        let none = try XCTUnwrap(Proportion(count: 0, of: 5))
        XCTAssertEqual(none.low, 0)
        XCTAssertEqual(none.high, 0.43448246478317487, accuracy: 1e-9)
        let some = try XCTUnwrap(Proportion(count: 7, of: 20))
        XCTAssertEqual(some.low, 0.18119182410108203, accuracy: 1e-9)
        XCTAssertEqual(some.high, 0.5671457233147638, accuracy: 1e-9)
        XCTAssertNil(Proportion(count: 0, of: 0))
        XCTAssertNil(Proportion(count: 3, of: 2))
    }

    /// p = 0.01, 0.04, 0.03, 0.20, 0.005: sorted, times 5, 4, 3, 2, 1, each at
    /// least the one before: 0.025, 0.04, 0.09, max(0.08, 0.09), 0.20.
    func testHolmByHand() {
        let adjusted = HolmCorrection.adjusted([0.01, 0.04, 0.03, 0.20, 0.005])
        for (value, expected) in zip(adjusted, [0.04, 0.09, 0.09, 0.20, 0.025]) { XCTAssertEqual(value, expected, accuracy: 1e-15) }
        XCTAssertEqual(HolmCorrection.adjusted([0.5, 0.6]), [1, 1], "capped at 1")
        XCTAssertEqual(HolmCorrection.adjusted([]), [])
    }

    /// Means 0.446 and 0.5575, sds 0.05413 and 0.05123 pooled to 0.05291 (7 df):
    /// d = −2.1074, J = 1 − 3/(4·9 − 9) = 8/9, g = −1.8733; CI g ± 1.96 SE.
    func testHedgesGByHand() throws {
        let first = try XCTUnwrap(Sample([0.41, 0.45, 0.38, 0.52, 0.47]))
        let second = try XCTUnwrap(Sample([0.55, 0.61, 0.49, 0.58]))
        let effect = try XCTUnwrap(HedgesG(first, second))
        XCTAssertEqual(effect.g, -1.8732628958576099, accuracy: 1e-12)
        XCTAssertEqual(effect.low, -3.447286983334462, accuracy: 1e-12)
        XCTAssertEqual(effect.high, -0.29923880838075756, accuracy: 1e-12)
        XCTAssertNil(HedgesG(try XCTUnwrap(Sample([1, 1])), try XCTUnwrap(Sample([1, 1]))))
    }
}

/// The noncentral t distribution against SciPy 1.17.1 (`stats.nct.cdf`) and the
/// power of the two-sample t-test against statsmodels 0.14 (`TTestIndPower`).
final class PowerTests: XCTestCase {
    func testNoncentralTMatchesSciPy() {
        let cases: [(df: Double, delta: Double, t: Double, cdf: Double)] = [
            (18, 1.9, 2.1, 0.563788169127861), (9, 0.5, -0.7, 0.12188340386923116), (40, 3.0, 2.02, 0.1664320623773895),
            (5, -1.2, 0.3, 0.9304608249710696), (100, 2.5, 1.98, 0.3015635975791979),
        ]
        for c in cases {
            XCTAssertEqual(NoncentralT(degreesOfFreedom: c.df, noncentrality: c.delta).cumulative(c.t), c.cdf, accuracy: 1e-9,
                           "df \(c.df), delta \(c.delta), t \(c.t)")
        }
        XCTAssertEqual(NoncentralT(degreesOfFreedom: 7, noncentrality: 0).cumulative(1.3),
                       StudentT(degreesOfFreedom: 7).cumulative(1.3), accuracy: 1e-12, "no noncentrality: Student's t")
    }

    /// Li & Bowling's topsim difference (.59 against .51) at the study's spread
    /// (sd 0.13): power 0.26 with 10 seeds a condition, 43 needed for 80%
    /// (statsmodels: 42.43); a large effect (d = 0.8): 26 (25.52).
    func testPowerAndRunsNeededMatchStatsmodels() throws {
        XCTAssertEqual(TwoSampleTPower.power(effect: 0.08 / 0.13, perGroup: 10), 0.25621559594419785, accuracy: 1e-8)
        XCTAssertEqual(TwoSampleTPower.power(effect: 0.8, perGroup: 26), 0.8074866151465275, accuracy: 1e-8)
        XCTAssertEqual(TwoSampleTPower.runsNeeded(effect: 0.08 / 0.13), 43)
        XCTAssertEqual(TwoSampleTPower.runsNeeded(effect: 0.8), 26)
        XCTAssertEqual(TwoSampleTPower.runsNeeded(effect: -1.0), 17, "statsmodels: 16.71")
        XCTAssertNil(TwoSampleTPower.runsNeeded(effect: 0))
    }
}
