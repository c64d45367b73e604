import XCTest
@testable import KoineTensor

/// Linear and Embedding: loss Σ w ⊙ y, tolerance `Tolerance.standard`.
final class LinearEmbeddingGradientTests: XCTestCase {
    func testLinearInputWeightBias() {
        let f = Fixture(seed: 21)
        var linear: Linear!
        let p = f.parameters(Linear.parameterCount(input: 4, output: 3)) { linear = Linear(input: 4, output: 3, parameters: $0) }
        let x = f.uniform(5, 4), y = f.zeros(5, 3), w = f.uniform(5, 3)
        let dx = f.filled(5, 4, 123)
        let loss = { () -> Double in linear.forward(x, into: y); return weightedSum(y, w) }
        _ = loss()
        p.zeroGradients()
        linear.backward(x, outputGradient: w, inputGradient: dx)
        assertGradient("linear dx", analytic: dx, values: x, loss: loss)
        assertGradient("linear dW", analytic: linear.weight.gradient, values: linear.weight.value, loss: loss)
        assertGradient("linear db", analytic: linear.bias!.gradient, values: linear.bias!.value, loss: loss)
    }

    func testLinearWithoutBiasOnStridedViewsAndAccumulation() {
        let f = Fixture(seed: 22)
        var linear: Linear!
        let p = f.parameters(Linear.parameterCount(input: 3, output: 2, bias: false)) {
            linear = Linear(input: 3, output: 2, bias: false, parameters: $0)
        }
        XCTAssertNil(linear.bias)
        // x is columns 1..<4 of a 4×6 buffer; y is columns 2..<4 of a 4×5 buffer.
        let wideX = f.uniform(4, 6), wideY = f.zeros(4, 5)
        let x = wideX.columns(1..<4), y = wideY.columns(2..<4)
        let base = f.uniform(4, 2), w = f.uniform(4, 2)
        // y = base + x·W through `accumulate`.
        let loss = { () -> Double in
            y.copy(from: base)
            linear.forward(x, into: y, accumulate: true)
            return weightedSum(y, w)
        }
        _ = loss()
        p.zeroGradients()
        let wideDX = f.filled(4, 6, 0.5)
        let dx = wideDX.columns(1..<4)
        // accumulateInput: dx = 0.5 + dy·Wᵀ, so subtract the 0.5 back out.
        linear.backward(x, outputGradient: w, inputGradient: dx, accumulateInput: true)
        for r in 0..<4 {
            XCTAssertEqual(wideDX[r, 0], 0.5); XCTAssertEqual(wideDX[r, 4], 0.5); XCTAssertEqual(wideDX[r, 5], 0.5)
            for c in 0..<3 { dx[r, c] -= 0.5 }
        }
        assertGradient("linear(no bias) dx", analytic: dx, values: x, loss: loss)
        assertGradient("linear(no bias) dW", analytic: linear.weight.gradient, values: linear.weight.value, loss: loss)
        for r in 0..<4 { XCTAssertEqual(wideY[r, 0], 0); XCTAssertEqual(wideY[r, 4], 0) }
    }

    func testLinearWeightGradientAccumulates() {
        let f = Fixture(seed: 23)
        var linear: Linear!
        let p = f.parameters(Linear.parameterCount(input: 2, output: 2)) { linear = Linear(input: 2, output: 2, parameters: $0) }
        let x = f.uniform(3, 2), dy = f.uniform(3, 2)
        p.zeroGradients()
        linear.backward(x, outputGradient: dy)
        let once = p.gradientBuffer.map { $0 }
        linear.backward(x, outputGradient: dy)
        for i in 0..<p.count { XCTAssertEqual(p.gradients[i], 2 * once[i], accuracy: 1e-6) }
    }

    func testEmbeddingTable() {
        let f = Fixture(seed: 24)
        var embedding: Embedding!
        let p = f.parameters(Embedding.parameterCount(count: 5, width: 3)) { embedding = Embedding(count: 5, width: 3, parameters: $0) }
        // Repeated indices: their gradients must add up in the table.
        let ids = f.indices([1, 4, 1, 0, 4, 4])
        let y = f.zeros(6, 3), w = f.uniform(6, 3), base = f.uniform(6, 3)
        let loss = { () -> Double in embedding.forward(ids, into: y); return weightedSum(y, w) }
        _ = loss()
        p.zeroGradients()
        embedding.backward(ids, outputGradient: w)
        assertGradient("embedding table", analytic: embedding.table.gradient, values: embedding.table.value, loss: loss)
        // Rows never looked up get no gradient.
        for c in 0..<3 { XCTAssertEqual(embedding.table.gradient[2, c], 0); XCTAssertEqual(embedding.table.gradient[3, c], 0) }
        // Accumulating forward adds the rows to what is there.
        y.copy(from: base)
        embedding.forward(ids, into: y, accumulate: true)
        for r in 0..<6 { for c in 0..<3 { XCTAssertEqual(y[r, c], base[r, c] + embedding.table.value[ids[r], c]) } }
    }
}

/// LSTM cell: loss Σ wₕ ⊙ h′ + Σ w_c ⊙ c′ (so ∂L/∂c′ arrives from "the next
/// step"), tolerance `Tolerance.standard`.
final class LSTMGradientTests: XCTestCase {
    let batch = 3, input = 4, hidden = 5

    func make(_ f: Fixture) -> (LSTMCell, Parameters) {
        var cell: LSTMCell!
        let p = f.parameters(LSTMCell.parameterCount(input: input, hidden: hidden)) {
            cell = LSTMCell(input: input, hidden: hidden, parameters: $0)
        }
        return (cell, p)
    }

    func testOneStepAllInputsAndWeights() {
        let f = Fixture(seed: 31)
        let (cell, p) = make(f)
        let x = f.uniform(batch, input), h = f.uniform(batch, hidden), c = f.uniform(batch, hidden, scale: 2)
        let cache = LSTMCell.Cache(batch: batch, hidden: hidden, arena: f.arena)
        let hOut = f.zeros(batch, hidden)
        let wh = f.uniform(batch, hidden), wc = f.uniform(batch, hidden)
        let loss = { () -> Double in
            cell.forward(input: x, hiddenIn: h, cellIn: c, cache: cache, hiddenOut: hOut)
            return weightedSum(hOut, wh) + weightedSum(cache.cell, wc)
        }
        _ = loss()
        p.zeroGradients()
        let dx = f.filled(batch, input, 123), dh = f.filled(batch, hidden, 123), dc = f.filled(batch, hidden, 123)
        cell.backward(input: x, hiddenIn: h, cellIn: c, cache: cache, hiddenGradient: wh, cellGradient: wc,
                      inputGradient: dx, hiddenInGradient: dh, cellInGradient: dc)
        assertStepGradients("lstm", cell, inputs: [(x, dx), (h, dh), (c, dc)], loss: loss)
    }

    /// Each input's gradient (value, analytic gradient, named x, h, c in that
    /// order) and every weight's, against finite differences.
    func assertStepGradients(_ label: String, _ cell: LSTMCell, inputs: [(Matrix, Matrix)], loss: () -> Double,
                             file: StaticString = #filePath, line: UInt = #line) {
        for ((values, analytic), name) in zip(inputs, ["dx", "dh", "dc"]) {
            assertGradient("\(label) \(name)", analytic: analytic, values: values, file: file, line: line, loss: loss)
        }
        for (name, parameter) in [("dWx", cell.inputWeight), ("dWh", cell.hiddenWeight), ("db", cell.bias)] {
            assertGradient("\(label) \(name)", analytic: parameter.gradient, values: parameter.value, file: file, line: line,
                           loss: loss)
        }
    }

    func testOneStepFromZeroState() {
        let f = Fixture(seed: 32)
        let (cell, p) = make(f)
        let x = f.uniform(batch, input, scale: 2)
        let cache = LSTMCell.Cache(batch: batch, hidden: hidden, arena: f.arena)
        let hOut = f.zeros(batch, hidden), wh = f.uniform(batch, hidden), wc = f.uniform(batch, hidden)
        let loss = { () -> Double in
            cell.forward(input: x, hiddenIn: nil, cellIn: nil, cache: cache, hiddenOut: hOut)
            return weightedSum(hOut, wh) + weightedSum(cache.cell, wc)
        }
        _ = loss()
        // A nil state is the same as an explicit zero state.
        let zero = f.zeros(batch, hidden), cache2 = LSTMCell.Cache(batch: batch, hidden: hidden, arena: f.arena), h2 = f.zeros(batch, hidden)
        cell.forward(input: x, hiddenIn: zero, cellIn: zero, cache: cache2, hiddenOut: h2)
        XCTAssertEqual(hOut.array, h2.array)
        XCTAssertEqual(cache.cell.array, cache2.cell.array)

        p.zeroGradients()
        let dx = f.filled(batch, input, 123), dh = f.filled(batch, hidden, 123), dc = f.filled(batch, hidden, 123)
        cell.backward(input: x, hiddenIn: nil, cellIn: nil, cache: cache, hiddenGradient: wh, cellGradient: wc,
                      inputGradient: dx, hiddenInGradient: dh, cellInGradient: dc)
        assertGradient("lstm(zero state) dx", analytic: dx, values: x, loss: loss)
        assertGradient("lstm(zero state) dWx", analytic: cell.inputWeight.gradient, values: cell.inputWeight.value, loss: loss)
        assertGradient("lstm(zero state) db", analytic: cell.bias.gradient, values: cell.bias.value, loss: loss)
        XCTAssertTrue(cell.hiddenWeight.gradient.array.allSatisfy { $0 == 0 }, "no hidden input, no hidden-weight gradient")
        XCTAssertTrue(dh.array.allSatisfy { $0 == 0 }, "∂L/∂h of a zero state is written as zero")
        // ∂L/∂c of the (nil) previous cell is still dCell·f: compare with the explicit-zero run.
        let dcExplicit = f.zeros(batch, hidden)
        cell.backward(input: x, hiddenIn: zero, cellIn: zero, cache: cache2, hiddenGradient: wh, cellGradient: wc,
                      cellInGradient: dcExplicit)
        XCTAssertEqual(dc.array, dcExplicit.array)
    }

    /// Two consecutive steps, the cell and hidden gradients flowing from step 2 into step 1.
    func testTwoStepsWithCellGradientFlowing() {
        let f = Fixture(seed: 33)
        let (cell, p) = make(f)
        let x1 = f.uniform(batch, input), x2 = f.uniform(batch, input)
        let h0 = f.uniform(batch, hidden), c0 = f.uniform(batch, hidden)
        let cache1 = LSTMCell.Cache(batch: batch, hidden: hidden, arena: f.arena)
        let cache2 = LSTMCell.Cache(batch: batch, hidden: hidden, arena: f.arena)
        let h1 = f.zeros(batch, hidden), h2 = f.zeros(batch, hidden)
        let u1 = f.uniform(batch, hidden), w2 = f.uniform(batch, hidden), v2 = f.uniform(batch, hidden)
        // L = Σ u₁⊙h₁ + Σ w₂⊙h₂ + Σ v₂⊙c₂
        let loss = { () -> Double in
            cell.forward(input: x1, hiddenIn: h0, cellIn: c0, cache: cache1, hiddenOut: h1)
            cell.forward(input: x2, hiddenIn: h1, cellIn: cache1.cell, cache: cache2, hiddenOut: h2)
            return weightedSum(h1, u1) + weightedSum(h2, w2) + weightedSum(cache2.cell, v2)
        }
        _ = loss()
        p.zeroGradients()
        let dx1 = f.zeros(batch, input), dx2 = f.zeros(batch, input)
        let dh1 = f.zeros(batch, hidden), dc1 = f.zeros(batch, hidden), dh0 = f.zeros(batch, hidden), dc0 = f.zeros(batch, hidden)
        cell.backward(input: x2, hiddenIn: h1, cellIn: cache1.cell, cache: cache2, hiddenGradient: w2, cellGradient: v2,
                      inputGradient: dx2, hiddenInGradient: dh1, cellInGradient: dc1)
        for r in 0..<batch { for c in 0..<hidden { dh1[r, c] += u1[r, c] } }
        cell.backward(input: x1, hiddenIn: h0, cellIn: c0, cache: cache1, hiddenGradient: dh1, cellGradient: dc1,
                      inputGradient: dx1, hiddenInGradient: dh0, cellInGradient: dc0)
        assertGradient("lstm×2 dx1", analytic: dx1, values: x1, loss: loss)
        assertGradient("lstm×2 dx2", analytic: dx2, values: x2, loss: loss)
        assertGradient("lstm×2 dh0", analytic: dh0, values: h0, loss: loss)
        assertGradient("lstm×2 dc0", analytic: dc0, values: c0, loss: loss)
        assertGradient("lstm×2 dWx", analytic: cell.inputWeight.gradient, values: cell.inputWeight.value, loss: loss)
        assertGradient("lstm×2 dWh", analytic: cell.hiddenWeight.gradient, values: cell.hiddenWeight.value, loss: loss)
        assertGradient("lstm×2 db", analytic: cell.bias.gradient, values: cell.bias.value, loss: loss)
    }

    /// The input's contribution prepared by the caller as an embedding lookup
    /// (`inputPrepared`), its gradient read back from `cache.gateGradients`.
    func testPreparedInputFromEmbedding() {
        let f = Fixture(seed: 34)
        var cell: LSTMCell!, table: Embedding!
        let p = f.parameters(LSTMCell.parameterCount(input: input, hidden: hidden) + Embedding.parameterCount(count: 6, width: 4 * hidden)) {
            cell = LSTMCell(input: input, hidden: hidden, parameters: $0)
            table = Embedding(count: 6, width: 4 * hidden, parameters: $0)
        }
        let ids = f.indices([2, 5, 2])
        let h = f.uniform(batch, hidden), c = f.uniform(batch, hidden)
        let cache = LSTMCell.Cache(batch: batch, hidden: hidden, arena: f.arena)
        let hOut = f.zeros(batch, hidden), wh = f.uniform(batch, hidden), wc = f.uniform(batch, hidden)
        let loss = { () -> Double in
            table.forward(ids, into: cache.gates)
            cell.forward(input: nil, hiddenIn: h, cellIn: c, cache: cache, hiddenOut: hOut, inputPrepared: true)
            return weightedSum(hOut, wh) + weightedSum(cache.cell, wc)
        }
        _ = loss()
        p.zeroGradients()
        cell.backward(input: nil, hiddenIn: h, cellIn: c, cache: cache, hiddenGradient: wh, cellGradient: wc, inputPrepared: true)
        table.backward(ids, outputGradient: cache.gateGradients)
        assertGradient("lstm(prepared) table", analytic: table.table.gradient, values: table.table.value, loss: loss)
        assertGradient("lstm(prepared) dWh", analytic: cell.hiddenWeight.gradient, values: cell.hiddenWeight.value, loss: loss)
        assertGradient("lstm(prepared) db", analytic: cell.bias.gradient, values: cell.bias.value, loss: loss)
    }

    /// ∂L/∂h may be written over ∂L/∂h′ (one buffer per direction in a BPTT loop).
    func testHiddenGradientInPlace() {
        let f = Fixture(seed: 35)
        let (cell, p) = make(f)
        let x = f.uniform(batch, input), h = f.uniform(batch, hidden), c = f.uniform(batch, hidden)
        let cache = LSTMCell.Cache(batch: batch, hidden: hidden, arena: f.arena)
        let hOut = f.zeros(batch, hidden), wh = f.uniform(batch, hidden), wc = f.uniform(batch, hidden)
        cell.forward(input: x, hiddenIn: h, cellIn: c, cache: cache, hiddenOut: hOut)
        p.zeroGradients()
        let dh = f.zeros(batch, hidden), dc = f.zeros(batch, hidden)
        cell.backward(input: x, hiddenIn: h, cellIn: c, cache: cache, hiddenGradient: wh, cellGradient: wc,
                      hiddenInGradient: dh, cellInGradient: dc)
        let inPlaceH = f.zeros(batch, hidden), inPlaceC = f.zeros(batch, hidden)
        inPlaceH.copy(from: wh); inPlaceC.copy(from: wc)
        cell.backward(input: x, hiddenIn: h, cellIn: c, cache: cache, hiddenGradient: inPlaceH, cellGradient: inPlaceC,
                      hiddenInGradient: inPlaceH, cellInGradient: inPlaceC)
        XCTAssertEqual(inPlaceH.array, dh.array)
        XCTAssertEqual(inPlaceC.array, dc.array)
    }
}

/// GRU cell: loss Σ w ⊙ h′, tolerance `Tolerance.standard`.
final class GRUGradientTests: XCTestCase {
    let batch = 3, input = 4, hidden = 5

    func make(_ f: Fixture) -> (GRUCell, Parameters) {
        var cell: GRUCell!
        let p = f.parameters(GRUCell.parameterCount(input: input, hidden: hidden)) {
            cell = GRUCell(input: input, hidden: hidden, parameters: $0)
        }
        return (cell, p)
    }

    func checkAll(_ name: String, _ cell: GRUCell, loss: () -> Double) {
        assertGradient("\(name) dWx", analytic: cell.inputWeight.gradient, values: cell.inputWeight.value, loss: loss)
        assertGradient("\(name) dbx", analytic: cell.inputBias.gradient, values: cell.inputBias.value, loss: loss)
        assertGradient("\(name) dbh", analytic: cell.hiddenBias.gradient, values: cell.hiddenBias.value, loss: loss)
    }

    func testOneStepAllInputsAndWeights() {
        let f = Fixture(seed: 41)
        let (cell, p) = make(f)
        let x = f.uniform(batch, input, scale: 2), h = f.uniform(batch, hidden)
        let cache = GRUCell.Cache(batch: batch, hidden: hidden, arena: f.arena)
        let hOut = f.zeros(batch, hidden), w = f.uniform(batch, hidden)
        let loss = { () -> Double in
            cell.forward(input: x, hiddenIn: h, cache: cache, hiddenOut: hOut)
            return weightedSum(hOut, w)
        }
        _ = loss()
        p.zeroGradients()
        let dx = f.filled(batch, input, 123), dh = f.filled(batch, hidden, 123)
        cell.backward(input: x, hiddenIn: h, cache: cache, hiddenGradient: w, inputGradient: dx, hiddenInGradient: dh)
        assertGradient("gru dx", analytic: dx, values: x, loss: loss)
        assertGradient("gru dh", analytic: dh, values: h, loss: loss)
        assertGradient("gru dWh", analytic: cell.hiddenWeight.gradient, values: cell.hiddenWeight.value, loss: loss)
        checkAll("gru", cell, loss: loss)
    }

    func testOneStepFromZeroState() {
        let f = Fixture(seed: 42)
        let (cell, p) = make(f)
        let x = f.uniform(batch, input, scale: 2)
        let cache = GRUCell.Cache(batch: batch, hidden: hidden, arena: f.arena)
        let hOut = f.zeros(batch, hidden), w = f.uniform(batch, hidden)
        let loss = { () -> Double in
            cell.forward(input: x, hiddenIn: nil, cache: cache, hiddenOut: hOut)
            return weightedSum(hOut, w)
        }
        _ = loss()
        let zero = f.zeros(batch, hidden), cache2 = GRUCell.Cache(batch: batch, hidden: hidden, arena: f.arena), h2 = f.zeros(batch, hidden)
        cell.forward(input: x, hiddenIn: zero, cache: cache2, hiddenOut: h2)
        XCTAssertEqual(hOut.array, h2.array)
        p.zeroGradients()
        let dx = f.filled(batch, input, 123), dh = f.filled(batch, hidden, 123)
        cell.backward(input: x, hiddenIn: nil, cache: cache, hiddenGradient: w, inputGradient: dx, hiddenInGradient: dh)
        assertGradient("gru(zero state) dx", analytic: dx, values: x, loss: loss)
        checkAll("gru(zero state)", cell, loss: loss)
        XCTAssertTrue(cell.hiddenWeight.gradient.array.allSatisfy { $0 == 0 })
        XCTAssertTrue(dh.array.allSatisfy { $0 == 0 })
    }

    func testTwoSteps() {
        let f = Fixture(seed: 43)
        let (cell, p) = make(f)
        let x1 = f.uniform(batch, input), x2 = f.uniform(batch, input), h0 = f.uniform(batch, hidden)
        let cache1 = GRUCell.Cache(batch: batch, hidden: hidden, arena: f.arena)
        let cache2 = GRUCell.Cache(batch: batch, hidden: hidden, arena: f.arena)
        let h1 = f.zeros(batch, hidden), h2 = f.zeros(batch, hidden)
        let u1 = f.uniform(batch, hidden), w2 = f.uniform(batch, hidden)
        let loss = { () -> Double in
            cell.forward(input: x1, hiddenIn: h0, cache: cache1, hiddenOut: h1)
            cell.forward(input: x2, hiddenIn: h1, cache: cache2, hiddenOut: h2)
            return weightedSum(h1, u1) + weightedSum(h2, w2)
        }
        _ = loss()
        p.zeroGradients()
        let dx1 = f.zeros(batch, input), dx2 = f.zeros(batch, input), dh1 = f.zeros(batch, hidden), dh0 = f.zeros(batch, hidden)
        cell.backward(input: x2, hiddenIn: h1, cache: cache2, hiddenGradient: w2, inputGradient: dx2, hiddenInGradient: dh1)
        for r in 0..<batch { for c in 0..<hidden { dh1[r, c] += u1[r, c] } }
        cell.backward(input: x1, hiddenIn: h0, cache: cache1, hiddenGradient: dh1, inputGradient: dx1, hiddenInGradient: dh0)
        assertGradient("gru×2 dx1", analytic: dx1, values: x1, loss: loss)
        assertGradient("gru×2 dx2", analytic: dx2, values: x2, loss: loss)
        assertGradient("gru×2 dh0", analytic: dh0, values: h0, loss: loss)
        assertGradient("gru×2 dWh", analytic: cell.hiddenWeight.gradient, values: cell.hiddenWeight.value, loss: loss)
        checkAll("gru×2", cell, loss: loss)
    }

    func testHiddenGradientInPlace() {
        let f = Fixture(seed: 44)
        let (cell, p) = make(f)
        let x = f.uniform(batch, input), h = f.uniform(batch, hidden)
        let cache = GRUCell.Cache(batch: batch, hidden: hidden, arena: f.arena)
        let hOut = f.zeros(batch, hidden), w = f.uniform(batch, hidden)
        cell.forward(input: x, hiddenIn: h, cache: cache, hiddenOut: hOut)
        p.zeroGradients()
        let dh = f.zeros(batch, hidden)
        cell.backward(input: x, hiddenIn: h, cache: cache, hiddenGradient: w, hiddenInGradient: dh)
        let inPlace = f.zeros(batch, hidden)
        inPlace.copy(from: w)
        cell.backward(input: x, hiddenIn: h, cache: cache, hiddenGradient: inPlace, hiddenInGradient: inPlace)
        for i in 0..<(batch * hidden) { XCTAssertEqual(inPlace.array[i], dh.array[i], accuracy: 1e-6) }
    }
}
