import XCTest
@testable import KoineGame
import KoineTensor

/// The rotation-prediction head: its gradients (its own and into the
/// encodings) against finite differences, and that it learns the classes.
final class RotationHeadTests: XCTestCase {
    func testGradientsAgainstFiniteDifferences() {
        let arena = Arena(), rows = 6, hidden = 5
        let head = RotationHead(hidden: hidden, capacity: 8, optimizer: OptimizerSettings(), random: Random(seed: 1), arena: arena)
        let encodings = arena.matrix(rows: rows, columns: hidden), gradient = arena.matrix(rows: rows, columns: hidden)
        var random = Random(seed: 2)
        for r in 0..<rows { for c in 0..<hidden { encodings[r, c] = random.nextFloat() * 2 - 1 } }
        let rotations = arena.indices(rows)
        for r in 0..<rows { rotations[r] = r % 4 }
        let weight: Float = 0.7
        let loss = { Double(weight) * Double(head.forward(encodings, rotations: rotations)) }
        _ = loss()
        head.module.parameters.zeroGradients()
        gradient.fill(0.5)   // the encodings' gradient is added to what is there
        head.backward(encodings, rotations: rotations, weight: weight, encodingGradient: gradient)
        for i in 0..<(rows * hidden) { gradient.base[i] -= 0.5 }
        let parameters = head.module.parameters
        assertFiniteDifferences(values: parameters.values, gradients: parameters.gradients, count: parameters.count,
                                label: "head parameters", loss: loss)
        assertFiniteDifferences(values: encodings.base, gradients: gradient.base, count: rows * hidden,
                                label: "encodings", loss: loss)
    }

    /// Encodings that carry their class (a one-hot block plus noise): the head
    /// learns them, its accuracy rising from chance to near 1.
    func testLearnsSeparableRotations() {
        let arena = Arena(), rows = 64, hidden = 8
        let head = RotationHead(hidden: hidden, capacity: rows, optimizer: OptimizerSettings(learningRate: 0.02), random: Random(seed: 3), arena: arena)
        let encodings = arena.matrix(rows: rows, columns: hidden), gradient = arena.matrix(rows: rows, columns: hidden)
        let rotations = arena.indices(rows)
        var random = Random(seed: 4)
        for r in 0..<rows {
            rotations[r] = random.nextInt(below: 4)
            for c in 0..<hidden { encodings[r, c] = 0.3 * random.nextNormal() + (c == rotations[r] ? 1 : 0) }
        }
        head.forward(encodings, rotations: rotations)
        let before = head.accuracy(rotations)
        for _ in 0..<300 {
            head.forward(encodings, rotations: rotations)
            head.backward(encodings, rotations: rotations, weight: 1, encodingGradient: gradient)
            head.module.step()
        }
        head.forward(encodings, rotations: rotations)
        XCTAssertLessThan(before, 0.6)
        XCTAssertGreaterThan(head.accuracy(rotations), 0.95)
    }
}
