import XCTest
@testable import KoineTensor

/// Optimizers against numbers worked out by hand. Tolerance: 2e-6 absolute on
/// parameters of order 1 (Float arithmetic, a few ulps), unless stated.
final class OptimizerTests: XCTestCase {
    func vector(_ values: [Float]) -> Parameters {
        let p = Parameters(count: values.count)
        _ = p.claim(rows: 1, columns: values.count, initializer: .zeros)
        for (i, v) in values.enumerated() { p.values[i] = v }
        return p
    }

    func setGradient(_ p: Parameters, _ g: [Float]) { for (i, v) in g.enumerated() { p.gradients[i] = v } }

    func testAdamThreeStepsByHand() {
        // lr 0.1, β₁ 0.9, β₂ 0.999, ε 1e-8; p₀ = [1, −0.5].
        let p = vector([1, -0.5])
        let adam = Adam(parameters: p, learningRate: 0.1)

        // Step 1, g = [0.2, −0.4]:
        //   m = 0.1·g = [0.02, −0.04]        v = 0.001·g² = [0.00004, 0.00016]
        //   m̂ = m/(1−0.9) = [0.2, −0.4]      v̂ = v/(1−0.999) = [0.04, 0.16], √v̂ = [0.2, 0.4]
        //   Δ = 0.1·m̂/(√v̂+ε) = [0.1·0.2/0.2, 0.1·(−0.4)/0.4] = [0.1, −0.1] (ε moves it by ~5e-9)
        //   p₁ = [0.9, −0.4]
        setGradient(p, [0.2, -0.4])
        adam.update()
        XCTAssertEqual(adam.steps, 1)
        XCTAssertEqual(p.values[0], 0.9, accuracy: 2e-6)
        XCTAssertEqual(p.values[1], -0.4, accuracy: 2e-6)

        // Step 2, g = [0.1, 0.3]:
        //   m = 0.9·[0.02, −0.04] + 0.1·[0.1, 0.3] = [0.018+0.01, −0.036+0.03] = [0.028, −0.006]
        //   v = 0.999·[0.00004, 0.00016] + 0.001·[0.01, 0.09] = [0.00004996, 0.00024984]
        //   m̂ = m/(1−0.9²) = m/0.19 = [0.147368421, −0.031578947]
        //   v̂ = v/(1−0.999²) = v/0.001999 = [0.024992496, 0.124982491], √v̂ = [0.158090152, 0.353528629]
        //   Δ = 0.1·m̂/√v̂ = [0.093217958, −0.008932500]
        //   p₂ = [0.9 − 0.093217958, −0.4 + 0.008932500] = [0.806782042, −0.391067500]
        setGradient(p, [0.1, 0.3])
        adam.update()
        XCTAssertEqual(p.values[0], 0.806782042, accuracy: 2e-6)
        XCTAssertEqual(p.values[1], -0.391067500, accuracy: 2e-6)

        // Step 3, g = [0, 0]: the moments still move the parameters.
        //   m = 0.9·[0.028, −0.006] = [0.0252, −0.0054]
        //   v = 0.999·[0.00004996, 0.00024984] = [0.00004991004, 0.00024959016]
        //   m̂ = m/(1−0.9³) = m/0.271 = [0.092988930, −0.019926199]
        //   v̂ = v/(1−0.999³) = v/0.002997001 = [0.016653328, 0.083279972], √v̂ = [0.129047773, 0.288582696]
        //   Δ = 0.1·m̂/√v̂ = [0.072057751, −0.006904849]
        //   p₃ = [0.806782042 − 0.072057751, −0.391067500 + 0.006904849] = [0.734724291, −0.384162651]
        setGradient(p, [0, 0])
        adam.update()
        XCTAssertEqual(p.values[0], 0.734724291, accuracy: 2e-6)
        XCTAssertEqual(p.values[1], -0.384162651, accuracy: 2e-6)

        // The first and second moments are the optimizer's state buffers.
        let state = adam.stateBuffers
        XCTAssertEqual(state.count, 2)
        // (Float's 0.999 is 0.99900001, so 1 − β₂ is 0.00099999 and v is off by ~1e-5 relative.)
        XCTAssertEqual(state[0][0], 0.0252, accuracy: 1e-7)
        XCTAssertEqual(state[1][1], 0.00024959016, accuracy: 0.00024959016 * 1e-4)

        // reset() forgets the moments and the step count: step 1 again moves by lr·sign(g).
        adam.reset()
        XCTAssertEqual(adam.steps, 0)
        let before = (p.values[0], p.values[1])
        setGradient(p, [-3, 0.001])
        adam.update()
        XCTAssertEqual(p.values[0], before.0 + 0.1, accuracy: 2e-6)
        XCTAssertEqual(p.values[1], before.1 - 0.1, accuracy: 1e-5)   // ε/|g| = 1e-5 relative here
    }

    func testSGDWithMomentumThreeStepsByHand() {
        // lr 0.1, μ 0.9; p₀ = [1, −2]; v ← μ·v + g, p ← p − lr·v.
        let p = vector([1, -2])
        let sgd = SGD(parameters: p, learningRate: 0.1, momentum: 0.9)
        // Step 1, g = [0.5, −1]: v = [0.5, −1]; p = [1 − 0.05, −2 + 0.1] = [0.95, −1.9]
        setGradient(p, [0.5, -1])
        sgd.update()
        XCTAssertEqual(p.values[0], 0.95, accuracy: 2e-6)
        XCTAssertEqual(p.values[1], -1.9, accuracy: 2e-6)
        // Step 2, g = [0.25, 2]: v = 0.9·[0.5, −1] + [0.25, 2] = [0.7, 1.1]; p = [0.95 − 0.07, −1.9 − 0.11] = [0.88, −2.01]
        setGradient(p, [0.25, 2])
        sgd.update()
        XCTAssertEqual(p.values[0], 0.88, accuracy: 2e-6)
        XCTAssertEqual(p.values[1], -2.01, accuracy: 2e-6)
        // Step 3, g = [0, 0]: v = 0.9·[0.7, 1.1] = [0.63, 0.99]; p = [0.88 − 0.063, −2.01 − 0.099] = [0.817, −2.109]
        setGradient(p, [0, 0])
        sgd.update()
        XCTAssertEqual(p.values[0], 0.817, accuracy: 2e-6)
        XCTAssertEqual(p.values[1], -2.109, accuracy: 2e-6)
        XCTAssertEqual(sgd.steps, 3)
        XCTAssertEqual(sgd.stateBuffers[0][1], 0.99, accuracy: 1e-6)

        // After reset the velocity starts again from the gradient.
        sgd.reset()
        setGradient(p, [1, 1])
        sgd.update()
        XCTAssertEqual(p.values[0], 0.717, accuracy: 2e-6)   // 0.817 − 0.1·1
        XCTAssertEqual(p.values[1], -2.209, accuracy: 2e-6)  // −2.109 − 0.1·1
    }

    /// An update that clears the gradient as it reads it moves the parameters
    /// exactly as one that leaves it, and leaves it zero (Adam and SGD).
    func testUpdateClearingGradientsIsTheSameUpdate() {
        let values: [Float] = [0.5, -1.25, 2, 0.75, -0.1, 3, 1e-3, -4, 0.2]
        let gradients: [[Float]] = [[0.3, -0.2, 1.5, 0, -0.7, 0.05, 2, -1, 0.4], [-0.1, 0.6, 0.2, 0.9, 0, -0.3, 1, 0.5, -2]]
        for makeOptimizer in [{ (p: Parameters) -> Optimizer in Adam(parameters: p, learningRate: 0.1) },
                              { (p: Parameters) -> Optimizer in SGD(parameters: p, learningRate: 0.1, momentum: 0.9) }] {
            let kept = vector(values), cleared = vector(values)
            let keeping = makeOptimizer(kept), clearing = makeOptimizer(cleared)
            for g in gradients {
                setGradient(kept, g)
                setGradient(cleared, g)
                keeping.update()
                clearing.update(clearingGradients: true)
                XCTAssertEqual(Array(kept.valueBuffer), Array(cleared.valueBuffer), "\(type(of: keeping))")
                XCTAssertEqual(Array(kept.gradientBuffer), g)
                XCTAssertTrue(cleared.gradientBuffer.allSatisfy { $0 == 0 })
            }
        }
    }

    func testPlainSGD() {
        // μ = 0: p ← p − lr·g. p = [3], g = 2, lr 0.25 → 2.5, then again → 2.0.
        let p = vector([3])
        let sgd = SGD(parameters: p, learningRate: 0.25)
        setGradient(p, [2])
        sgd.update()
        XCTAssertEqual(p.values[0], 2.5)
        sgd.update()
        XCTAssertEqual(p.values[0], 2.0)
    }

    func testGradientClipping() {
        // Two modules, gradients [3, 0] and [4]: joint norm √(9 + 16) = 5.
        let a = vector([0, 0]), b = vector([0])
        setGradient(a, [3, 0]); setGradient(b, [4])
        // Above the norm: untouched, and the norm is reported.
        XCTAssertEqual(GradientClipping.clip([a, b], maxNorm: 10), 5, accuracy: 1e-6)
        XCTAssertEqual(a.gradients[0], 3); XCTAssertEqual(b.gradients[0], 4)
        // maxNorm 0 turns clipping off.
        XCTAssertEqual(GradientClipping.clip([a, b], maxNorm: 0), 5, accuracy: 1e-6)
        XCTAssertEqual(a.gradients[0], 3)
        // Clipped to 1: scale 1/(5 + 1e-6) → [0.6, 0, 0.8], joint norm 1 (to ~2e-7).
        XCTAssertEqual(GradientClipping.clip([a, b], maxNorm: 1), 5, accuracy: 1e-6)
        XCTAssertEqual(a.gradients[0], 0.6, accuracy: 1e-6)
        XCTAssertEqual(a.gradients[1], 0)
        XCTAssertEqual(b.gradients[0], 0.8, accuracy: 1e-6)
        XCTAssertEqual(a.gradientNorm() * a.gradientNorm() + b.gradientNorm() * b.gradientNorm(), 1, accuracy: 1e-5)
        // Clipped again to 2 when the norm is already 1: unchanged.
        XCTAssertEqual(GradientClipping.clip([a, b], maxNorm: 2), 1, accuracy: 1e-5)
        XCTAssertEqual(b.gradients[0], 0.8, accuracy: 1e-6)
    }
}
