import KoineStudy
import XCTest

/// The statistics against SciPy 1.17.1: the constants below were computed once
/// with python3 and scipy (stats.t.cdf, stats.t.ppf, special.betainc,
/// stats.sem, stats.ttest_ind(equal_var=False)) and pasted here.
final class StatisticsTests: XCTestCase {
    func testRegularizedIncompleteBetaMatchesSciPy() {
        XCTAssertEqual(IncompleteBeta.regularized(x: 0.3, a: 2, b: 5), 0.5798250000000003, accuracy: 1e-12)
        XCTAssertEqual(IncompleteBeta.regularized(x: 0.9, a: 0.5, b: 0.5), 0.7951672353008665, accuracy: 1e-12)
        XCTAssertEqual(IncompleteBeta.regularized(x: 0.5, a: 10, b: 3.5), 0.030772629763079262, accuracy: 1e-12)
        XCTAssertEqual(IncompleteBeta.regularized(x: 0, a: 2, b: 3), 0)
        XCTAssertEqual(IncompleteBeta.regularized(x: 1, a: 2, b: 3), 1)
    }

    func testStudentTDistributionMatchesSciPy() {
        let cases: [(t: Double, df: Double, cdf: Double)] = [
            (0.5, 1, 0.6475836176504333), (2.0, 3, 0.9303370157205785), (-1.3, 7.5, 0.11606338940780439),
            (3.1, 17.2, 0.9967820943331452), (10, 2, 0.9950737714883372),
        ]
        for (t, df, cdf) in cases {
            XCTAssertEqual(StudentT(degreesOfFreedom: df).cumulative(t), cdf, accuracy: 1e-12, "t = \(t), df = \(df)")
        }
        let quantiles: [(df: Double, q: Double)] = [
            (1, 12.706204736174694), (2, 4.302652729749462), (4, 2.7764451051977934), (9, 2.262157162798205),
            (29, 2.045229642132703),
        ]
        for (df, q) in quantiles {
            XCTAssertEqual(StudentT(degreesOfFreedom: df).quantile(0.975), q, accuracy: 1e-9, "df = \(df)")
        }
        XCTAssertEqual(StudentT(degreesOfFreedom: 4).quantile(0.025), -2.7764451051977934, accuracy: 1e-9)
    }

    /// By hand: mean 2, sd 1 (squares 1 + 0 + 1 over 2), half-width t(0.975, 2) / √3.
    func testSampleByHand() throws {
        let sample = try XCTUnwrap(Sample([1, 2, 3]))
        XCTAssertEqual(sample.n, 3)
        XCTAssertEqual(sample.mean, 2, accuracy: 1e-15)
        XCTAssertEqual(try XCTUnwrap(sample.standardDeviation), 1, accuracy: 1e-15)
        XCTAssertEqual(try XCTUnwrap(sample.halfWidth), 4.302652729749462 / 3.0.squareRoot(), accuracy: 1e-9)
        let one = try XCTUnwrap(Sample([0.5]))
        XCTAssertEqual(one.mean, 0.5)
        XCTAssertNil(one.halfWidth, "one run has no confidence interval")
        XCTAssertNil(Sample([]))
        XCTAssertEqual(Sample([1, .nan, 3])?.n, 2, "non-finite values are left out")
    }

    func testSamplesAndWelchTestMatchSciPy() throws {
        let first = try XCTUnwrap(Sample([0.41, 0.45, 0.38, 0.52, 0.47]))
        let second = try XCTUnwrap(Sample([0.55, 0.61, 0.49, 0.58]))
        XCTAssertEqual(first.mean, 0.446, accuracy: 1e-12)
        XCTAssertEqual(try XCTUnwrap(first.standardDeviation), 0.05412947441089744, accuracy: 1e-12)
        XCTAssertEqual(try XCTUnwrap(first.halfWidth), 0.06721061961770325, accuracy: 1e-10)
        XCTAssertEqual(second.mean, 0.5575, accuracy: 1e-12)
        XCTAssertEqual(try XCTUnwrap(second.standardDeviation), 0.05123475382979798, accuracy: 1e-12)
        XCTAssertEqual(try XCTUnwrap(second.halfWidth), 0.08152592651388044, accuracy: 1e-10)

        let test = try XCTUnwrap(WelchTest(first, second))
        XCTAssertEqual(test.t, -3.1635183991408296, accuracy: 1e-10)
        XCTAssertEqual(test.degreesOfFreedom, 6.726940962969483, accuracy: 1e-10)
        XCTAssertEqual(test.p, 0.016707621989472586, accuracy: 1e-10)
        let reversed = try XCTUnwrap(WelchTest(second, first))
        XCTAssertEqual(reversed.t, -test.t, accuracy: 1e-12)
        XCTAssertEqual(reversed.p, test.p, accuracy: 1e-12)
    }

    /// By hand: means 3 and 1, variances 1 and n = 2 each; t = (3 − 1)/√(1/2 + 1/2) = 2,
    /// df = 1 / (1/4 + 1/4) = 2, p = 1 − 2/√6 (the t(2) tail has a closed form:
    /// P(|T| > t) = 1 − t/√(t² + 2)).
    func testWelchTestByHand() throws {
        let half = 1 / 2.0.squareRoot()
        let test = try XCTUnwrap(WelchTest(try XCTUnwrap(Sample([3 - half, 3 + half])), try XCTUnwrap(Sample([1 - half, 1 + half]))))
        XCTAssertEqual(test.t, 2, accuracy: 1e-12)
        XCTAssertEqual(test.degreesOfFreedom, 2, accuracy: 1e-12)
        XCTAssertEqual(test.p, 1 - 2 / 6.0.squareRoot(), accuracy: 1e-12)
    }

    func testDegenerateSamplesHaveNoTest() throws {
        XCTAssertNil(WelchTest(try XCTUnwrap(Sample([1])), try XCTUnwrap(Sample([1, 2]))), "one value has no variance")
        XCTAssertNil(WelchTest(try XCTUnwrap(Sample([1, 1])), try XCTUnwrap(Sample([2, 2]))), "no spread at all: t is undefined")
    }
}
