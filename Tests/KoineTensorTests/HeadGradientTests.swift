import XCTest
@testable import KoineTensor

#if canImport(Glibc)
import Glibc
#endif

/// Sampling heads, scoring and losses. Tolerance `Tolerance.standard` unless stated.
final class HeadGradientTests: XCTestCase {
    // MARK: Categorical

    /// L = Σᵣ aᵣ·log p(actionᵣ) + bᵣ·Hᵣ with the actions fixed by one sample.
    func testCategoricalBackward() {
        let f = Fixture(seed: 51)
        let rows = 4, width = 6
        let logits = f.uniform(rows, width, scale: 2), logProbabilities = f.zeros(rows, width)
        let actions = f.arena.indices(rows), chosen = f.arena.floats(rows), entropies = f.arena.floats(rows)
        let a = f.arena.floats(rows), b = f.arena.floats(rows)
        for r in 0..<rows { a[r] = f.random.nextFloat() * 2 - 1; b[r] = f.random.nextFloat() * 2 - 1 }
        var sampler = Random(seed: 99)
        Categorical.sample(logits: logits, logProbabilities: logProbabilities, actions: actions,
                           chosenLogProbabilities: chosen, entropies: entropies, random: &sampler)
        let fixed = actions.array
        let scratchActions = f.arena.indices(rows), scratchChosen = f.arena.floats(rows)
        let loss = { () -> Double in
            var r2 = Random(seed: 5)
            Categorical.sample(logits: logits, logProbabilities: logProbabilities, actions: scratchActions,
                               chosenLogProbabilities: scratchChosen, entropies: entropies, random: &r2)
            var total = 0.0
            for r in 0..<rows { total += Double(a[r]) * Double(logProbabilities[r, fixed[r]]) + Double(b[r]) * Double(entropies[r]) }
            return total
        }
        _ = loss()
        let d = f.filled(rows, width, 123)
        Categorical.backward(logProbabilities: logProbabilities, actions: actions, entropies: entropies,
                             logProbabilityGradient: a, entropyGradient: b, logitGradient: d)
        assertGradient("categorical dlogits", analytic: d, values: logits, loss: loss)

        // `accumulate` adds onto what is there (after a clean forward: the
        // finite differences left the buffers at a perturbed point).
        _ = loss()
        let accumulated = f.filled(rows, width, 0.25)
        Categorical.backward(logProbabilities: logProbabilities, actions: actions, entropies: entropies,
                             logProbabilityGradient: a, entropyGradient: b, logitGradient: accumulated, accumulate: true)
        for r in 0..<rows { for c in 0..<width { XCTAssertEqual(accumulated[r, c], d[r, c] + 0.25, accuracy: 1e-6) } }
    }

    func testCategoricalForwardValues() {
        let f = Fixture(seed: 52)
        let rows = 3, width = 5
        let logits = f.uniform(rows, width, scale: 3), logProbabilities = f.zeros(rows, width)
        let actions = f.arena.indices(rows), chosen = f.arena.floats(rows), entropies = f.arena.floats(rows)
        var random = Random(seed: 1)
        Categorical.sample(logits: logits, logProbabilities: logProbabilities, actions: actions,
                           chosenLogProbabilities: chosen, entropies: entropies, random: &random, greedy: true)
        for r in 0..<rows {
            // Greedy picks the argmax of the logits.
            var best = 0
            for c in 1..<width where logits[r, c] > logits[r, best] { best = c }
            XCTAssertEqual(actions[r], best)
            XCTAssertEqual(chosen[r], logProbabilities[r, best])
            // Entropy −Σ p log p, computed here in Double from the logits.
            var m = -Double.infinity
            for c in 0..<width { m = max(m, Double(logits[r, c])) }
            var z = 0.0
            for c in 0..<width { z += exp(Double(logits[r, c]) - m) }
            var h = 0.0
            for c in 0..<width {
                let lp = Double(logits[r, c]) - m - log(z)
                XCTAssertEqual(Double(logProbabilities[r, c]), lp, accuracy: 1e-5)
                h -= exp(lp) * lp
            }
            XCTAssertEqual(Double(entropies[r]), h, accuracy: 1e-5)
        }
    }

    /// Sampled frequencies follow the probabilities: 40,000 draws from one row,
    /// each frequency within 0.01 of its probability (> 5 standard deviations).
    func testCategoricalSamplingFrequencies() {
        let f = Fixture(seed: 53)
        let width = 4, draws = 40_000
        let logits = f.zeros(draws, width), logProbabilities = f.zeros(draws, width)
        let row: [Float] = [0.5, -1, 2, 0]
        for r in 0..<draws { for c in 0..<width { logits[r, c] = row[c] } }
        let actions = f.arena.indices(draws), chosen = f.arena.floats(draws), entropies = f.arena.floats(draws)
        var random = Random(seed: 3)
        Categorical.sample(logits: logits, logProbabilities: logProbabilities, actions: actions,
                           chosenLogProbabilities: chosen, entropies: entropies, random: &random)
        var counts = [Int](repeating: 0, count: width)
        for r in 0..<draws { counts[actions[r]] += 1; XCTAssertEqual(chosen[r], logProbabilities[r, actions[r]]) }
        for c in 0..<width {
            XCTAssertEqual(Double(counts[c]) / Double(draws), Double(expf(logProbabilities[0, c])), accuracy: 0.01, "action \(c)")
        }
    }

    /// A draw u just below 1 with probabilities whose Float sum falls short of
    /// it: the sampler must not fall back on a masked (p = 0) action, whose
    /// log-probability is −∞.
    func testCategoricalNeverSamplesAMaskedAction() throws {
        let f = Fixture(seed: 54)
        let top = Float(16_777_215) / 16_777_216   // nextFloat() when next() is all ones
        // Find a width where n equal logits' probabilities add up (in Float, in order) below `top`.
        var found: Int?
        for n in 3..<64 {
            let row = f.zeros(1, n), l = f.zeros(1, n)
            LogSoftmax.forward(row, into: l)
            var sum: Float = 0
            for j in 0..<n { sum += expf(l[0, j]) }
            if sum <= top { found = n; break }
        }
        let n = try XCTUnwrap(found, "no width where Σp rounds below 1 − 2⁻²⁴")
        let logits = f.zeros(1, n + 1), logProbabilities = f.zeros(1, n + 1)
        logits[0, n] = -.infinity   // masked
        let actions = f.arena.indices(1), chosen = f.arena.floats(1), entropies = f.arena.floats(1)
        var random = generator(returning: .max)
        Categorical.sample(logits: logits, logProbabilities: logProbabilities, actions: actions,
                           chosenLogProbabilities: chosen, entropies: entropies, random: &random)
        XCTAssertEqual(actions[0], n - 1, "the last possible action")
        XCTAssertTrue(chosen[0].isFinite)
        // 0·log 0 counts as 0: the entropy is log n, as for n equal logits, and the gradient is finite.
        XCTAssertEqual(entropies[0], logf(Float(n)), accuracy: 1e-5)
        let gLog = f.arena.floats(1), gEntropy = f.arena.floats(1), d = f.zeros(1, n + 1)
        gLog[0] = 1; gEntropy[0] = 0.1
        Categorical.backward(logProbabilities: logProbabilities, actions: actions, entropies: entropies,
                             logProbabilityGradient: gLog, entropyGradient: gEntropy, logitGradient: d)
        XCTAssertTrue(d.array.allSatisfy { $0.isFinite }, "\(d.array)")
        XCTAssertEqual(d[0, n], 0)
    }

    // MARK: Gumbel-Softmax

    func checkGumbel(temperature: Float, straightThrough: Bool, seed: UInt64) {
        let f = Fixture(seed: seed)
        let rows = 3, width = 5
        let logits = f.uniform(rows, width, scale: 2), soft = f.zeros(rows, width), output = f.zeros(rows, width)
        let actions = f.arena.indices(rows), w = f.uniform(rows, width)
        // Without noise the sample is softmax(z/τ). For straight-through the
        // gradient is that of the soft path, so the reference loss is Σ w ⊙ soft.
        let loss = { () -> Double in
            var random = Random(seed: 1)
            GumbelSoftmax.forward(logits: logits, temperature: temperature, straightThrough: straightThrough, noise: false,
                                  random: &random, soft: soft, output: output, actions: actions)
            return weightedSum(soft, w)
        }
        _ = loss()
        for r in 0..<rows {
            for c in 0..<width {
                if straightThrough {
                    XCTAssertEqual(output[r, c], c == actions[r] ? 1 : 0)
                } else {
                    XCTAssertEqual(output[r, c], soft[r, c])
                }
            }
            var best = 0
            for c in 1..<width where logits[r, c] > logits[r, best] { best = c }
            XCTAssertEqual(actions[r], best)
        }
        let d = f.filled(rows, width, 123)
        GumbelSoftmax.backward(soft: soft, temperature: temperature, outputGradient: w, logitGradient: d)
        assertGradient("gumbel τ=\(temperature) st=\(straightThrough)", analytic: d, values: logits, loss: loss)
    }

    func testGumbelSoftmaxBackward() {
        checkGumbel(temperature: 1, straightThrough: false, seed: 61)
        checkGumbel(temperature: 0.5, straightThrough: false, seed: 62)
        checkGumbel(temperature: 2, straightThrough: false, seed: 63)
        checkGumbel(temperature: 1, straightThrough: true, seed: 64)
        checkGumbel(temperature: 0.7, straightThrough: true, seed: 65)
    }

    /// With noise, the sample is softmax((z + g)/τ) for g drawn in row order from the generator.
    func testGumbelSoftmaxNoise() {
        let f = Fixture(seed: 66)
        let rows = 4, width = 3, tau: Float = 0.8
        let logits = f.uniform(rows, width), soft = f.zeros(rows, width), output = f.zeros(rows, width)
        let actions = f.arena.indices(rows)
        var random = Random(seed: 77), replay = random
        GumbelSoftmax.forward(logits: logits, temperature: tau, straightThrough: false, noise: true,
                              random: &random, soft: soft, output: output, actions: actions)
        for r in 0..<rows {
            var y = [Double](repeating: 0, count: width)
            for c in 0..<width { y[c] = (Double(logits[r, c]) + Double(replay.nextGumbel())) / Double(tau) }
            let m = y.max()!
            let z = y.reduce(0) { $0 + exp($1 - m) }
            for c in 0..<width { XCTAssertEqual(Double(soft[r, c]), exp(y[c] - m) / z, accuracy: 1e-5) }
            XCTAssertEqual(actions[r], y.firstIndex(of: m)!)
        }
    }

    // MARK: Dot-product scoring

    func testDotScoringExplicitCandidates() {
        let f = Fixture(seed: 71)
        let batch = 3, k = 4, width = 5
        let query = f.uniform(batch, width), candidates = f.uniform(batch * k, width)
        let scores = f.zeros(batch, k), w = f.uniform(batch, k)
        let loss = { () -> Double in
            DotScoring.forward(query: query, candidates: candidates, scores: scores)
            return weightedSum(scores, w)
        }
        _ = loss()
        let dq = f.filled(batch, width, 123), dcand = f.filled(batch * k, width, 123)
        DotScoring.backward(query: query, candidates: candidates, scoreGradient: w, queryGradient: dq, candidateGradient: dcand)
        assertGradient("dot dquery", analytic: dq, values: query, loss: loss)
        assertGradient("dot dcandidates", analytic: dcand, values: candidates, loss: loss)
        // Either gradient may be omitted.
        let dq2 = f.zeros(batch, width)
        DotScoring.backward(query: query, candidates: candidates, scoreGradient: w, queryGradient: dq2, candidateGradient: nil)
        XCTAssertEqual(dq2.array, dq.array)
    }

    func testDotScoringTableCandidates() {
        let f = Fixture(seed: 72)
        let batch = 3, k = 4, width = 5, objects = 6
        let query = f.uniform(batch, width), table = f.uniform(objects, width)
        // Objects repeat across rows, so their table gradients must add up; object 5 is never a candidate.
        let ids = f.indices([0, 1, 2, 3, 2, 4, 0, 1, 3, 3, 4, 0])
        let scores = f.zeros(batch, k), w = f.uniform(batch, k)
        let loss = { () -> Double in
            DotScoring.forward(query: query, table: table, candidates: ids, scores: scores)
            return weightedSum(scores, w)
        }
        _ = loss()
        let dq = f.filled(batch, width, 123), dtable = f.zeros(objects, width)
        DotScoring.backward(query: query, table: table, candidates: ids, scoreGradient: w, queryGradient: dq, tableGradient: dtable)
        assertGradient("dot(table) dquery", analytic: dq, values: query, loss: loss)
        assertGradient("dot(table) dtable", analytic: dtable, values: table, loss: loss)
        for c in 0..<width { XCTAssertEqual(dtable[5, c], 0) }
    }

    // MARK: Losses

    func testCrossEntropy() {
        let f = Fixture(seed: 81)
        let rows = 4, width = 5
        let logits = f.uniform(rows, width, scale: 3), probabilities = f.zeros(rows, width)
        let targets = f.indices([0, 3, 4, 3])
        let loss = { () -> Double in Double(CrossEntropy.forward(logits: logits, targets: targets, probabilities: probabilities)) }
        let value = loss()
        // The mean of −log softmax(z)[t], recomputed in Double.
        var expected = 0.0
        for r in 0..<rows {
            var m = -Double.infinity
            for c in 0..<width { m = max(m, Double(logits[r, c])) }
            var z = 0.0
            for c in 0..<width { z += exp(Double(logits[r, c]) - m) }
            expected -= Double(logits[r, targets[r]]) - m - log(z)
            var sum: Float = 0
            for c in 0..<width { sum += probabilities[r, c] }
            XCTAssertEqual(sum, 1, accuracy: 1e-6)
        }
        XCTAssertEqual(value, expected / Double(rows), accuracy: 1e-5)
        let d = f.filled(rows, width, 123)
        CrossEntropy.backward(probabilities: probabilities, targets: targets, logitGradient: d)
        assertGradient("cross-entropy", analytic: d, values: logits, loss: loss)
        // An explicit scale multiplies the gradient: scale 1 is rows × the mean's gradient.
        _ = loss()
        let summed = f.zeros(rows, width)
        CrossEntropy.backward(probabilities: probabilities, targets: targets, logitGradient: summed, scale: 1)
        for r in 0..<rows { for c in 0..<width { XCTAssertEqual(summed[r, c], d[r, c] * Float(rows), accuracy: 1e-6) } }
    }

    /// Scores are moved at least 0.1 (10·eps) away from every hinge kink.
    func checkHinge(margin: Float, seed: UInt64) {
        let f = Fixture(seed: seed)
        let rows = 4, k = 5
        let scores = f.uniform(rows, k, scale: 1.5)
        let targets = f.indices([1, 0, 4, 2])
        for r in 0..<rows {
            let t = targets[r]
            scores[r, t] += margin   // so that some hinges are inactive
            for c in 0..<k where c != t {
                let slack = margin - scores[r, t] + scores[r, c]
                if abs(slack) < 0.1 { scores[r, c] += slack >= 0 ? 0.15 : -0.15 }
            }
        }
        var active = 0
        for r in 0..<rows { for c in 0..<k where c != targets[r] && margin - scores[r, targets[r]] + scores[r, c] > 0 { active += 1 } }
        XCTAssertGreaterThan(active, 0)
        XCTAssertLessThan(active, rows * (k - 1), "some hinges are inactive too")
        let loss = { () -> Double in Double(HingeLoss.forward(scores: scores, targets: targets, margin: margin)) }
        // Hand-computed reference: mean over rows of Σ_{k≠t} max(0, margin − s_t + s_k).
        var expected = 0.0
        for r in 0..<rows {
            for c in 0..<k where c != targets[r] { expected += max(0, Double(margin) - Double(scores[r, targets[r]]) + Double(scores[r, c])) }
        }
        XCTAssertEqual(loss(), expected / Double(rows), accuracy: 1e-5)
        let d = f.filled(rows, k, 123)
        HingeLoss.backward(scores: scores, targets: targets, scoreGradient: d, margin: margin)
        assertGradient("hinge margin \(margin)", analytic: d, values: scores, loss: loss)
    }

    func testHingeLoss() {
        checkHinge(margin: 1, seed: 91)
        checkHinge(margin: 0.5, seed: 92)
    }
}
