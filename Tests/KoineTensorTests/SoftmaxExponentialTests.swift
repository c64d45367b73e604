import Foundation
import XCTest
@testable import KoineTensor

/// The softmaxes' exponential (`FastMath.exponentialOrZero`, in place of libm's `expf`):
/// accurate over the range a softmax feeds it, and exactly 0 for a masked logit.
final class SoftmaxExponentialTests: XCTestCase {
    /// A softmax subtracts the row's largest logit, so it asks for e^x with x ≤ 0.
    func testAccurateOverTheSoftmaxRange() {
        var worst = 0.0
        var x: Float = -87
        while x <= 0 {
            let exact = Foundation.exp(Double(x))
            worst = max(worst, abs(Double(FastMath.exponentialOrZero(x)) - exact) / exact)
            x += 0.000_731
        }
        XCTAssertLessThan(worst, 4 * Double(Float.ulpOfOne), "relative error \(worst)")
        XCTAssertEqual(FastMath.exponentialOrZero(0), 1)
    }

    func testMaskedLogitsStayImpossible() {
        XCTAssertEqual(FastMath.exponentialOrZero(-.infinity), 0)
        XCTAssertEqual(FastMath.exponentialOrZero(-87.5), 0)
        XCTAssertTrue(FastMath.exponentialOrZero(.nan).isNaN, "a diverged logit stays visible")

        let arena = Arena()
        let rows = 200, width = 5
        let logits = arena.matrix(rows: rows, columns: width), logProbabilities = arena.matrix(rows: rows, columns: width)
        let actions = arena.indices(rows), chosen = arena.floats(rows), entropies = arena.floats(rows)
        var random = Random(seed: 7)
        for r in 0..<rows {
            for j in 0..<width { logits[r, j] = random.nextFloat() * 4 - 2 }
            logits[r, 1] = -.infinity
            logits[r, 3] = -.infinity
        }
        var sampler = Random(seed: 11)
        Categorical.sample(logits: logits, logProbabilities: logProbabilities, actions: actions,
                           chosenLogProbabilities: chosen, entropies: entropies, random: &sampler)
        for r in 0..<rows {
            XCTAssertTrue([0, 2, 4].contains(Int(actions[r])), "row \(r) chose masked action \(actions[r])")
            XCTAssertTrue(entropies[r].isFinite && entropies[r] >= 0 && entropies[r] <= logf(3) + 1e-6, "row \(r): \(entropies[r])")
        }
        let probabilities = arena.matrix(rows: 1, columns: width)
        Kernels.softmax(row: logits.row(0), into: probabilities.row(0), count: width)
        XCTAssertEqual(probabilities[0, 1], 0)
        XCTAssertEqual(probabilities[0, 3], 0)
        XCTAssertEqual(Double(probabilities[0, 0] + probabilities[0, 2] + probabilities[0, 4]), 1, accuracy: 1e-6)
    }
}
