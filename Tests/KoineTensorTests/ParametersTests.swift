import XCTest
@testable import KoineTensor

final class ParametersTests: XCTestCase {
    func build() -> (Parameters, LSTMCell, Linear) {
        let p = Parameters(count: LSTMCell.parameterCount(input: 3, hidden: 4) + Linear.parameterCount(input: 4, output: 2) + 5)
        let cell = LSTMCell(input: 3, hidden: 4, parameters: p)
        let linear = Linear(input: 4, output: 2, parameters: p)
        _ = p.claim(rows: 1, columns: 5, initializer: .constant(0.25))
        return (p, cell, linear)
    }

    func testClaimsAreContiguousAndInOrder() {
        let (p, cell, linear) = build()
        XCTAssertEqual(p.claimed, p.count)
        XCTAssertEqual(cell.inputWeight.offset, 0)
        XCTAssertEqual(cell.hiddenWeight.offset, 3 * 16)
        XCTAssertEqual(cell.bias.offset, 3 * 16 + 4 * 16)
        XCTAssertEqual(linear.weight.offset, LSTMCell.parameterCount(input: 3, hidden: 4))
        XCTAssertEqual(linear.weight.value.base, p.values + linear.weight.offset)
        XCTAssertEqual(linear.weight.gradient.base, p.gradients + linear.weight.offset)
    }

    func testInitializeIsDeterministicAndFollowsInitializers() {
        let (a, cellA, _) = build(), (b, _, _) = build()
        var ra = Random(seed: 5), rb = Random(seed: 5)
        a.initialize(using: &ra)
        b.initialize(using: &rb)
        XCTAssertEqual(Array(a.valueBuffer), Array(b.valueBuffer))
        XCTAssertEqual(a.checksum(), b.checksum())
        // Uniform(±1/√hidden) for the LSTM, the constant block is exactly 0.25.
        let bound: Float = 0.5
        XCTAssertTrue(cellA.inputWeight.value.array.allSatisfy { abs($0) <= bound })
        XCTAssertGreaterThan(Set(cellA.inputWeight.value.array).count, 40)
        for i in (a.count - 5)..<a.count { XCTAssertEqual(a.values[i], 0.25) }
        // A different seed gives different values.
        var rc = Random(seed: 6)
        b.initialize(using: &rc)
        XCTAssertNotEqual(a.checksum(), b.checksum())
    }

    func testChecksumSeesOneBitFlip() {
        let (p, _, _) = build()
        var random = Random(seed: 8)
        p.initialize(using: &random)
        let before = p.checksum()
        for index in [0, 17, p.count - 1] {
            let saved = p.values[index]
            p.values[index] = Float(bitPattern: saved.bitPattern ^ 1)   // the lowest mantissa bit
            XCTAssertNotEqual(p.checksum(), before, "flip at \(index)")
            p.values[index] = saved
            XCTAssertEqual(p.checksum(), before)
        }
        // -0 and +0 differ in bits, and the checksum is over bits.
        let zero = Parameters(count: 1), negativeZero = Parameters(count: 1)
        _ = zero.claim(rows: 1, columns: 1, initializer: .zeros)
        _ = negativeZero.claim(rows: 1, columns: 1, initializer: .constant(-0.0))
        var r = Random(seed: 1)
        zero.initialize(using: &r)
        negativeZero.initialize(using: &r)
        XCTAssertNotEqual(zero.checksum(), negativeZero.checksum())
    }

    func testResetReproducesValuesAndClearsGradients() {
        let (p, _, _) = build()
        let start = Random(seed: 3).split(4)
        var random = start
        p.initialize(using: &random)
        let initial = Array(p.valueBuffer), checksum = p.checksum()
        // Train a little: values and gradients change.
        for i in 0..<p.count { p.gradients[i] = Float(i % 7) - 3 }
        let adam = Adam(parameters: p, learningRate: 0.01)
        adam.update(); adam.update()
        XCTAssertNotEqual(p.checksum(), checksum)
        // A reset from the same generator state gives the same parameters, bit for bit.
        var again = start
        p.initialize(using: &again)
        adam.reset()
        XCTAssertEqual(Array(p.valueBuffer), initial)
        XCTAssertEqual(p.checksum(), checksum)
        XCTAssertTrue(p.gradientBuffer.allSatisfy { $0 == 0 })
        XCTAssertTrue(adam.stateBuffers.allSatisfy { $0.allSatisfy { $0 == 0 } })
    }

    func testCopyValuesAndGradientNorm() {
        let (a, _, _) = build(), (b, _, _) = build()
        var r = Random(seed: 10)
        a.initialize(using: &r)
        b.copyValues(from: a)
        XCTAssertEqual(a.checksum(), b.checksum())
        for i in 0..<a.count { a.gradients[i] = 0 }
        a.gradients[0] = 3; a.gradients[a.count - 1] = -4
        XCTAssertEqual(a.gradientNorm(), 5, accuracy: 1e-6)
    }

    func testChecksumCombineIsOrderSensitive() {
        XCTAssertNotEqual(Checksum.combine(1, 2), Checksum.combine(2, 1))
        XCTAssertEqual(Checksum.combine(1, 2), Checksum.combine(1, 2))
    }
}
