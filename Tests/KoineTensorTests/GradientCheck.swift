import XCTest
@testable import KoineTensor

// A finite-difference gradient-check harness.
//
// Every check perturbs one Float at a time by ±eps, recomputes the loss from
// scratch (forward in Float, the loss itself summed in Double), and compares
// the central difference (L(v+h) − L(v−h)) / (2h) — with h the perturbation
// actually stored in Float — against the analytic gradient.
//
// Default tolerance (stated once, used everywhere unless a test says otherwise):
//   eps = 1e-2, and for every element  |a − n| ≤ 1e-3 + 1e-2 · max(|a|, |n|),
//   and over the whole block           ‖a − n‖ / max(‖a‖ + ‖n‖, 1e-6) ≤ 5e-3.
// With Float forwards the round-off in a loss of order 1..10 is ~1e-6, i.e.
// ~5e-5 after dividing by 2·eps, and the truncation error eps²·f‴/6 is ~2e-5 for
// the smooth layers here, so the bound has roughly a tenfold margin; a wrong
// factor, sign, transpose or missing term breaks it by orders of magnitude (see
// `GradientHarnessTests`, which feeds it wrong gradients and expects failures).

struct Tolerance {
    var eps: Float = 1e-2
    var absolute: Double = 1e-3
    var relative: Double = 1e-2
    var normRelative: Double = 5e-3
    static let standard = Tolerance()
}

struct GradientComparison {
    var analytic: [Double]
    var numeric: [Double]
    var worstIndex = -1
    var worstExcess = -Double.infinity   // max over elements of |a−n| − bound (≤ 0 passes)
    var normError = 0.0
    var tolerance: Tolerance

    init(analytic: [Double], numeric: [Double], tolerance: Tolerance) {
        self.analytic = analytic
        self.numeric = numeric
        self.tolerance = tolerance
        var difference = 0.0, scale = 0.0, scaleN = 0.0
        for i in analytic.indices {
            let a = analytic[i], n = numeric[i]
            let bound = tolerance.absolute + tolerance.relative * max(abs(a), abs(n))
            let excess = abs(a - n) - bound
            if excess > worstExcess || !excess.isFinite { worstExcess = excess.isFinite ? excess : .infinity; worstIndex = i }
            difference += (a - n) * (a - n)
            scale += a * a
            scaleN += n * n
        }
        normError = difference.squareRoot() / max(scale.squareRoot() + scaleN.squareRoot(), 1e-6)
        if !normError.isFinite { normError = .infinity }
    }

    var passes: Bool { worstExcess <= 0 && normError <= tolerance.normRelative }

    var description: String {
        guard worstIndex >= 0 else { return "empty" }
        return "worst element \(worstIndex): analytic \(analytic[worstIndex]) numeric \(numeric[worstIndex]); "
            + "norm relative error \(normError)"
    }
}

/// Central differences of `loss` with respect to each element of `values`.
func numericGradient(
    _ values: Matrix, eps: Float, loss: () -> Double
) -> [Double] {
    var out = [Double]()
    out.reserveCapacity(values.count)
    for r in 0..<values.rows {
        for c in 0..<values.columns {
            let saved = values[r, c]
            let plus = saved + eps, minus = saved - eps
            values[r, c] = plus
            let up = loss()
            values[r, c] = minus
            let down = loss()
            values[r, c] = saved
            out.append((up - down) / (Double(plus) - Double(minus)))
        }
    }
    return out
}

func compareGradient(
    analytic: Matrix, values: Matrix, tolerance: Tolerance = .standard, loss: () -> Double
) -> GradientComparison {
    precondition(analytic.rows == values.rows && analytic.columns == values.columns)
    let a = analytic.array.map(Double.init)   // copied before any perturbation
    let n = numericGradient(values, eps: tolerance.eps, loss: loss)
    return GradientComparison(analytic: a, numeric: n, tolerance: tolerance)
}

/// Asserts that the analytic gradient `analytic` of `loss` with respect to
/// `values` matches central differences within `tolerance`.
func assertGradient(
    _ name: String, analytic: Matrix, values: Matrix, tolerance: Tolerance = .standard,
    file: StaticString = #filePath, line: UInt = #line, loss: () -> Double
) {
    let result = compareGradient(analytic: analytic, values: values, tolerance: tolerance, loss: loss)
    if ProcessInfo.processInfo.environment["KOINE_GRADCHECK_VERBOSE"] != nil {
        var worst = 0.0
        for i in result.analytic.indices { worst = max(worst, abs(result.analytic[i] - result.numeric[i])) }
        print("gradcheck \(name): max |a−n| \(worst), norm relative error \(result.normError)")
    }
    XCTAssertTrue(result.passes, "\(name): \(result.description)", file: file, line: line)
    // A gradient that is identically zero would pass trivially against a
    // numeric zero; a check is only meaningful when something flows.
    XCTAssertGreaterThan(result.numeric.map(abs).max() ?? 0, 1e-4, "\(name): numeric gradient is all zero", file: file, line: line)
}

/// Σ w ⊙ y in Double.
func weightedSum(_ y: Matrix, _ w: Matrix) -> Double {
    precondition(y.rows == w.rows && y.columns == w.columns)
    var total = 0.0
    for r in 0..<y.rows { for c in 0..<y.columns { total += Double(y[r, c]) * Double(w[r, c]) } }
    return total
}

/// Test fixtures: an arena and a seeded generator.
final class Fixture {
    let arena = Arena()
    var random: Random

    /// Every fixture lives to the end of the test process: matrices are views
    /// into its arena, not owners, and an optimised build may free a local
    /// after its last use, before the views are read.
    nonisolated(unsafe) private static var alive: [Fixture] = []

    init(seed: UInt64 = 7) {
        random = Random(seed: seed)
        Fixture.alive.append(self)
    }

    /// A matrix of uniform values in [-scale, scale].
    func uniform(_ rows: Int, _ columns: Int, scale: Float = 1) -> Matrix {
        let m = arena.matrix(rows: rows, columns: columns)
        for r in 0..<rows { for c in 0..<columns { m[r, c] = (random.nextFloat() * 2 - 1) * scale } }
        return m
    }

    func zeros(_ rows: Int, _ columns: Int) -> Matrix { arena.matrix(rows: rows, columns: columns) }

    /// A matrix filled with `value` (a sentinel that an overwriting backward must replace).
    func filled(_ rows: Int, _ columns: Int, _ value: Float) -> Matrix {
        let m = arena.matrix(rows: rows, columns: columns)
        m.fill(value)
        return m
    }

    func indices(_ values: [Int]) -> Indices {
        let ids = arena.indices(values.count)
        for (i, v) in values.enumerated() { ids[i] = v }
        return ids
    }

    /// Parameters the fixture keeps: layers hold views into their memory, not
    /// the object, and an optimised build frees an object after its last use.
    private var kept: [Parameters] = []

    func parameters(_ count: Int, build: (Parameters) -> Void) -> Parameters {
        let p = Parameters(count: count)
        build(p)
        p.initialize(using: &random)
        kept.append(p)
        return p
    }
}

/// Any stored matrix viewed as a `1 × count` matrix (for whole-buffer checks).
func flat(_ pointer: UnsafeMutablePointer<Float>, _ count: Int) -> Matrix {
    Matrix(pointer, rows: 1, columns: count)
}

/// A generator whose next output is exactly `value` (inverting xoshiro256**'s output function).
func generator(returning value: UInt64) -> Random {
    func inverse(_ a: UInt64) -> UInt64 {   // of an odd number modulo 2⁶⁴ (Newton)
        var x = a
        for _ in 0..<6 { x = x &* (2 &- a &* x) }
        return x
    }
    // result = rotl(s1·5, 7)·9  ⇒  s1 = rotr(result·9⁻¹, 7)·5⁻¹
    let t = value &* inverse(9)
    let rotated = (t >> 7) | (t << 57)
    let s1 = rotated &* inverse(5)
    return Random(identity: 0, state: (1, s1, 2, 3))
}
