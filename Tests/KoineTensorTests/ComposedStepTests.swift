import XCTest
@testable import KoineTensor

/// A whole listener step, as a referential game runs it:
///
///   message tokens ─ Embedding ─▶ LSTMCell × T (zero start) ─▶ Linear ─▶ query ─┐
///   candidate objects (one-hot-ish features) ─ Linear encoder ─▶ encodings ──────┴─ DotScoring ─▶ CrossEntropy
///
/// Every block of the one flat parameter buffer (embedding table, LSTM Wx, Wh,
/// b, query Linear, encoder Linear) is checked by central differences against
/// the hand-chained backward. Tolerance `Tolerance.standard` per element; the
/// block-norm bound is relaxed to 1e-2 (from 5e-3) because the mean
/// cross-entropy's gradients here are small (~5e-3 for Wh), so Float round-off
/// in the loss (~5e-6 per difference) is a larger share of them: observed
/// ≤ 2.2e-3. A wrong term still shows up as an error of order 1.
final class ComposedStepTests: XCTestCase {
    struct Listener {
        let vocab = 5, embed = 3, hidden = 4, width = 3, features = 4, tokens = 3
        let batch = 2, k = 3
        let embedding: Embedding, cell: LSTMCell, query: Linear, encoder: Linear
        let parameters: Parameters

        init(random: inout Random) {
            let count = Embedding.parameterCount(count: vocab, width: embed)
                + LSTMCell.parameterCount(input: embed, hidden: hidden)
                + Linear.parameterCount(input: hidden, output: width)
                + Linear.parameterCount(input: features, output: width)
            let p = Parameters(count: count)
            embedding = Embedding(count: vocab, width: embed, parameters: p)
            cell = LSTMCell(input: embed, hidden: hidden, parameters: p)
            query = Linear(input: hidden, output: width, parameters: p)
            encoder = Linear(input: features, output: width, parameters: p)
            p.initialize(using: &random)
            parameters = p
        }
    }

    var tolerance: Tolerance {
        var t = Tolerance.standard
        t.normRelative = 1e-2
        return t
    }

    func testListenerStepGradients() {
        let f = Fixture(seed: 101)
        let m = Listener(random: &f.random)
        let B = m.batch, T = m.tokens, H = m.hidden, K = m.k
        // Message tokens, time-major: tokens[t] holds one symbol per game.
        let tokens = (0..<T).map { _ in f.arena.indices(B) }
        let symbols = [[1, 4], [0, 4], [3, 2]]
        for t in 0..<T { for b in 0..<B { tokens[t][b] = symbols[t][b] } }
        let objects = f.uniform(B * K, m.features)
        let targets = f.indices([2, 0])

        let inputs = (0..<T).map { _ in f.zeros(B, m.embed) }
        let caches = (0..<T).map { _ in LSTMCell.Cache(batch: B, hidden: H, arena: f.arena) }
        let hiddens = (0..<T).map { _ in f.zeros(B, H) }
        let queryOut = f.zeros(B, m.width), encoded = f.zeros(B * K, m.width)
        let scores = f.zeros(B, K), probabilities = f.zeros(B, K)

        let forward = { () -> Double in
            m.encoder.forward(objects, into: encoded)
            for t in 0..<T {
                m.embedding.forward(tokens[t], into: inputs[t])
                m.cell.forward(input: inputs[t], hiddenIn: t == 0 ? nil : hiddens[t - 1],
                               cellIn: t == 0 ? nil : caches[t - 1].cell, cache: caches[t], hiddenOut: hiddens[t])
            }
            m.query.forward(hiddens[T - 1], into: queryOut)
            DotScoring.forward(query: queryOut, candidates: encoded, scores: scores)
            return Double(CrossEntropy.forward(logits: scores, targets: targets, probabilities: probabilities))
        }
        let value = forward()
        XCTAssertTrue(value.isFinite && value > 0)

        // Backward, by hand, in reverse. `dropCellGradient` cuts ∂L/∂c between
        // steps — a plausible bug the check must catch (asserted below).
        let dScores = f.zeros(B, K), dQuery = f.zeros(B, m.width), dEncoded = f.zeros(B * K, m.width)
        let dh = f.zeros(B, H), dc = f.zeros(B, H), dInput = f.zeros(B, m.embed)
        func backward(dropCellGradient: Bool = false) {
            m.parameters.zeroGradients()
            CrossEntropy.backward(probabilities: probabilities, targets: targets, logitGradient: dScores)
            DotScoring.backward(query: queryOut, candidates: encoded, scoreGradient: dScores, queryGradient: dQuery, candidateGradient: dEncoded)
            m.encoder.backward(objects, outputGradient: dEncoded)
            m.query.backward(hiddens[T - 1], outputGradient: dQuery, inputGradient: dh)
            for t in stride(from: T - 1, through: 0, by: -1) {
                // dh and dc are overwritten in place with the previous step's gradients.
                m.cell.backward(input: inputs[t], hiddenIn: t == 0 ? nil : hiddens[t - 1],
                                cellIn: t == 0 ? nil : caches[t - 1].cell, cache: caches[t],
                                hiddenGradient: dh, cellGradient: t == T - 1 || dropCellGradient ? nil : dc,
                                inputGradient: dInput, hiddenInGradient: dh, cellInGradient: dc)
                m.embedding.backward(tokens[t], outputGradient: dInput)
            }
        }
        backward()

        assertGradient("composed: embedding", analytic: m.embedding.table.gradient, values: m.embedding.table.value, tolerance: tolerance, loss: forward)
        assertGradient("composed: lstm Wx", analytic: m.cell.inputWeight.gradient, values: m.cell.inputWeight.value, tolerance: tolerance, loss: forward)
        assertGradient("composed: lstm Wh", analytic: m.cell.hiddenWeight.gradient, values: m.cell.hiddenWeight.value, tolerance: tolerance, loss: forward)
        assertGradient("composed: lstm b", analytic: m.cell.bias.gradient, values: m.cell.bias.value, tolerance: tolerance, loss: forward)
        assertGradient("composed: query W", analytic: m.query.weight.gradient, values: m.query.weight.value, tolerance: tolerance, loss: forward)
        assertGradient("composed: query b", analytic: m.query.bias!.gradient, values: m.query.bias!.value, tolerance: tolerance, loss: forward)
        assertGradient("composed: encoder W", analytic: m.encoder.weight.gradient, values: m.encoder.weight.value, tolerance: tolerance, loss: forward)
        // The encoder bias adds the same vector to every candidate of a row, which
        // shifts all scores of the row equally: cross-entropy is blind to it.
        XCTAssertLessThan(m.encoder.bias!.gradient.array.map(abs).max()!, 1e-6)
        // And once over the whole flat buffer (what the optimizer and all-reduce see).
        let all = flat(m.parameters.values, m.parameters.count)
        let result = compareGradient(analytic: flat(m.parameters.gradients, m.parameters.count), values: all, tolerance: tolerance, loss: forward)
        XCTAssertTrue(result.passes, "composed: whole buffer: \(result.description)")

        // Negative control: without the cell gradient between steps the same check fails.
        _ = forward()
        backward(dropCellGradient: true)
        let broken = compareGradient(analytic: m.cell.inputWeight.gradient, values: m.cell.inputWeight.value, tolerance: tolerance, loss: forward)
        XCTAssertFalse(broken.passes, "a missing cell-gradient path must fail the check (\(broken.description))")
    }
}
