import XCTest
@testable import KoineTensor

#if canImport(Glibc)
import Glibc
#endif

/// The harness itself must reject wrong gradients, or every check below is void.
final class GradientHarnessTests: XCTestCase {
    func testHarnessRejectsWrongGradients() {
        let f = Fixture()
        let x = f.uniform(3, 4, scale: 2), y = f.zeros(3, 4), w = f.uniform(3, 4), dx = f.zeros(3, 4)
        let loss = { () -> Double in Tanh.forward(x, into: y); return weightedSum(y, w) }
        _ = loss()
        Tanh.backward(output: y, outputGradient: w, inputGradient: dx)
        XCTAssertTrue(compareGradient(analytic: dx, values: x, loss: loss).passes)

        // 3% too large everywhere: a wrong constant factor.
        let scaled = f.zeros(3, 4)
        for r in 0..<3 { for c in 0..<4 { scaled[r, c] = dx[r, c] * 1.03 } }
        XCTAssertFalse(compareGradient(analytic: scaled, values: x, loss: loss).passes)

        // One element wrong.
        let oneWrong = f.zeros(3, 4)
        oneWrong.copy(from: dx)
        oneWrong[1, 2] += 0.02
        XCTAssertFalse(compareGradient(analytic: oneWrong, values: x, loss: loss).passes)

        // A plausible bug: the derivative taken at the input instead of the output.
        let wrongFormula = f.zeros(3, 4)
        for r in 0..<3 { for c in 0..<4 { wrongFormula[r, c] = w[r, c] * (1 - x[r, c] * x[r, c]) } }
        XCTAssertFalse(compareGradient(analytic: wrongFormula, values: x, loss: loss).passes)

        // Zero gradient.
        XCTAssertFalse(compareGradient(analytic: f.zeros(3, 4), values: x, loss: loss).passes)
    }
}

/// Elementwise and row-wise activations: loss Σ w ⊙ f(x), tolerance `Tolerance.standard`.
final class ActivationGradientTests: XCTestCase {
    typealias Forward = (Matrix, Matrix) -> Void
    typealias Backward = (Matrix, Matrix, Matrix) -> Void

    func check(_ name: String, rows: Int = 3, columns: Int = 5, scale: Float = 2,
               adjust: ((Matrix) -> Void)? = nil,
               forward: @escaping Forward, backward: Backward, file: StaticString = #filePath, line: UInt = #line) {
        let f = Fixture(seed: 11)
        let x = f.uniform(rows, columns, scale: scale)
        adjust?(x)
        let y = f.zeros(rows, columns), w = f.uniform(rows, columns)
        let dx = f.filled(rows, columns, 123)   // backward must overwrite
        let loss = { () -> Double in forward(x, y); return weightedSum(y, w) }
        _ = loss()
        backward(y, w, dx)
        assertGradient(name, analytic: dx, values: x, file: file, line: line, loss: loss)
    }

    func testTanh() {
        check("tanh", forward: { Tanh.forward($0, into: $1) },
              backward: { Tanh.backward(output: $0, outputGradient: $1, inputGradient: $2) })
    }

    func testSigmoid() {
        check("sigmoid", scale: 4, forward: { Sigmoid.forward($0, into: $1) },
              backward: { Sigmoid.backward(output: $0, outputGradient: $1, inputGradient: $2) })
    }

    func testReLUAwayFromZero() {
        // Inputs are pushed at least 0.1 (10·eps) away from the kink.
        check("relu", adjust: { x in
            for r in 0..<x.rows { for c in 0..<x.columns where abs(x[r, c]) < 0.1 { x[r, c] = x[r, c] < 0 ? -0.1 - x[r, c] : 0.1 + x[r, c] } }
        }, forward: { ReLU.forward($0, into: $1) },
           backward: { ReLU.backward(output: $0, outputGradient: $1, inputGradient: $2) })
    }

    func testSoftmax() {
        check("softmax", forward: { Softmax.forward($0, into: $1) },
              backward: { Softmax.backward(output: $0, outputGradient: $1, inputGradient: $2) })
    }

    func testLogSoftmax() {
        check("log-softmax", forward: { LogSoftmax.forward($0, into: $1) },
              backward: { LogSoftmax.backward(output: $0, outputGradient: $1, inputGradient: $2) })
    }

    func testSoftmaxForwardValues() {
        // Softmax of large, shifted logits equals that of the unshifted ones; rows sum to 1.
        let f = Fixture()
        let x = f.zeros(2, 3), y = f.zeros(2, 3), l = f.zeros(2, 3)
        for (c, v) in [Float(1), 2, 3].enumerated() { x[0, c] = v; x[1, c] = v + 1000 }
        Softmax.forward(x, into: y)
        LogSoftmax.forward(x, into: l)
        // softmax(1,2,3) = e^k / (e + e² + e³): 0.09003057, 0.24472847, 0.66524096
        let expected: [Float] = [0.09003057, 0.24472847, 0.66524096]
        for r in 0..<2 {
            for c in 0..<3 {
                XCTAssertEqual(y[r, c], expected[c], accuracy: 1e-6)
                XCTAssertEqual(l[r, c], logf(expected[c]), accuracy: 1e-5)
            }
        }
    }

    func testStridedViews() {
        // Activations over a band of columns of a wider buffer leave the rest alone.
        let f = Fixture()
        let wide = f.uniform(3, 8), out = f.filled(3, 8, 9)
        Tanh.forward(wide.columns(2..<6), into: out.columns(2..<6))
        for r in 0..<3 {
            for c in 0..<8 {
                if (2..<6).contains(c) { XCTAssertEqual(out[r, c], tanhf(wide[r, c])) } else { XCTAssertEqual(out[r, c], 9) }
            }
        }
    }
}
