import XCTest
@testable import KoineTensor

/// Combining two tasks: PCGrad against projections worked by hand, and
/// uncertainty weighting's gradients against finite differences.
final class MultitaskTests: XCTestCase {
    func combined(_ a: [Float], _ b: [Float]) -> (vector: [Float], cosine: Float) {
        var out = [Float](repeating: 0, count: a.count)
        let cosine = out.withUnsafeMutableBufferPointer { o in
            ConflictingGradients.combine(a, b, count: a.count, into: o.baseAddress!)
        }
        return (out, cosine)
    }

    func testConflictingPairIsProjected() {
        // a = (1, 0), b = (−1, 1): a·b = −1. a − (a·b/‖b‖²) b = (0.5, 0.5);
        // b − (b·a/‖a‖²) a = (0, 1); their sum (0.5, 1.5).
        let (vector, cosine) = combined([1, 0], [-1, 1])
        XCTAssertEqual(vector[0], 0.5, accuracy: 1e-6)
        XCTAssertEqual(vector[1], 1.5, accuracy: 1e-6)
        XCTAssertEqual(cosine, -1 / Float(2).squareRoot(), accuracy: 1e-6)
    }

    /// For any conflicting pair the combination opposes neither task:
    /// a·(a′ + b′) = ‖a‖² − (a·b)²/‖b‖² ≥ 0, since a·b′ = 0, and the same for b.
    func testCombinationOpposesNeitherTask() {
        var random = Random(seed: 8)
        var conflicts = 0
        for _ in 0..<200 {
            let a = (0..<10).map { _ in random.nextNormal() }, b = (0..<10).map { _ in random.nextNormal() }
            let (sum, cosine) = combined(a, b)
            guard cosine < 0 else { continue }
            conflicts += 1
            let alongA = zip(sum, a).map { $0 * $1 }.reduce(0, +), alongB = zip(sum, b).map { $0 * $1 }.reduce(0, +)
            XCTAssertGreaterThanOrEqual(alongA, -1e-4)
            XCTAssertGreaterThanOrEqual(alongB, -1e-4)
        }
        XCTAssertGreaterThan(conflicts, 50)
    }

    func testNonConflictingPairIsSummed() {
        let (vector, cosine) = combined([1, 0, 2], [1, 1, 0])
        XCTAssertEqual(vector, [2, 1, 2])
        XCTAssertEqual(cosine, 1 / (Float(5).squareRoot() * Float(2).squareRoot()), accuracy: 1e-6)
        // Orthogonal: not a conflict.
        XCTAssertEqual(combined([1, 0], [0, 3]).vector, [1, 3])
        // A zero gradient: the other alone, cosine 0.
        let zero = combined([0, 0], [-2, 1])
        XCTAssertEqual(zero.vector, [-2, 1])
        XCTAssertEqual(zero.cosine, 0)
    }

    func testConflictingInThreeDimensionsByHand() {
        // a = (2, 1, 0), b = (−1, 0, 1): a·b = −2, ‖a‖² = 5, ‖b‖² = 2.
        // Combination (1 + 2/5) a + (1 + 2/2) b = 1.4 a + 2 b = (0.8, 1.4, 2).
        let (vector, _) = combined([2, 1, 0], [-1, 0, 1])
        for (x, y) in zip(vector, [0.8, 1.4, 2] as [Float]) { XCTAssertEqual(x, y, accuracy: 1e-6) }
        // In place, into a.
        var a: [Float] = [2, 1, 0]
        let b: [Float] = [-1, 0, 1]
        a.withUnsafeMutableBufferPointer { ConflictingGradients.combine($0.baseAddress!, b, count: 3, into: $0.baseAddress!) }
        for (x, y) in zip(a, [0.8, 1.4, 2] as [Float]) { XCTAssertEqual(x, y, accuracy: 1e-6) }
    }

    func testUncertaintyWeightingGradients() {
        let parameters = Parameters(count: 2)
        let weighting = UncertaintyWeighting(tasks: 2, parameters: parameters)
        parameters.values[0] = 0.3
        parameters.values[1] = -0.7
        let losses: [Float] = [1.5, 0.25]
        func loss() -> Double {
            Double(losses.withUnsafeBufferPointer { weighting.combine($0) })
        }
        parameters.zeroGradients()
        let value = loss()
        XCTAssertEqual(value, exp(-0.3) * 1.5 + 0.3 + exp(0.7) * 0.25 - 0.7, accuracy: 1e-5)
        XCTAssertEqual(Double(weighting.weight(1)), exp(0.7), accuracy: 1e-5)
        let analytic = [parameters.gradients[0], parameters.gradients[1]]
        for i in 0..<2 {
            let eps: Float = 1e-2, original = parameters.values[i]
            parameters.values[i] = original + eps
            let up = loss()
            parameters.values[i] = original - eps
            let down = loss()
            parameters.values[i] = original
            XCTAssertEqual(Double(analytic[i]), (up - down) / Double(2 * eps), accuracy: 1e-3, "∂/∂s\(i)")
        }
    }
}

/// Two tasks' gradients over blocks of parameters, set apart and combined as one vector.
final class TaskGradientsTests: XCTestCase {
    func testBlocksCountAsOneVector() {
        let blocks = [Parameters(count: 3), Parameters(count: 2)]
        let first: [Float] = [2, 1, 0, 0.5, -1], second: [Float] = [-1, 0, 1, 0, 0.25]
        func write(_ values: [Float]) {
            for i in 0..<3 { blocks[0].gradients[i] = values[i] }
            for i in 0..<2 { blocks[1].gradients[i] = values[3 + i] }
        }
        func read() -> [Float] { (0..<3).map { blocks[0].gradients[$0] } + (0..<2).map { blocks[1].gradients[$0] } }
        for projecting in [false, true] {
            let gradients = TaskGradients(shared: blocks)
            write(first)
            gradients.setApart()
            XCTAssertEqual(read(), [0, 0, 0, 0, 0], "set apart leaves zeros for the second task")
            write(second)
            let agreement = gradients.combine(firstWeight: 1, secondWeight: 2, projectingConflicts: projecting)
            let weighted = second.map { 2 * $0 }
            var expected = [Float](repeating: 0, count: 5)
            if projecting {
                ConflictingGradients.combine(first, weighted, count: 5, into: &expected)
            } else {
                expected = zip(first, weighted).map { $0 + $1 }
            }
            for (x, y) in zip(read(), expected) { XCTAssertEqual(x, y, accuracy: 1e-6, "projecting \(projecting)") }
            XCTAssertEqual(agreement.cosine, ConflictingGradients.cosine(first, second, count: 5), accuracy: 1e-6)
            XCTAssertLessThan(agreement.cosine, 0, "this pair conflicts")
        }
    }
}
