import KoineGame
import KoineTensor
import XCTest

/// An LSTM unroll whose steps run over distinct previous states (`setRows`
/// with parents, as for message prefixes): the rows continuing one state share
/// its hidden-side product and cell state, and their gradients are summed onto it.
final class RecurrentUnrollTests: XCTestCase {
    let input = 3, hidden = 4
    /// Rows of each step: a prefix tree of six sequences.
    let rows = [2, 4, 6]
    /// For each step after the first, the previous row each row continues.
    let parents = [[], [1, 0, 1, 0], [2, 0, 3, 1, 2, 3]]
    let arena = Arena()
    var random = Random(seed: 61)

    func uniform(_ rows: Int, _ columns: Int) -> Matrix {
        let m = arena.matrix(rows: rows, columns: columns)
        for r in 0..<rows { for c in 0..<columns { m[r, c] = random.nextFloat() * 2 - 1 } }
        return m
    }

    func makeUnroll(capacity: Int, stepCapacities: [Int]?) -> (RecurrentUnroll, Parameters) {
        let parameters = Parameters(count: RecurrentUnroll.parameterCount(kind: .lstm, input: input, hidden: hidden))
        let unroll = RecurrentUnroll(kind: .lstm, input: input, hidden: hidden, steps: rows.count, capacity: capacity,
                                     parameters: parameters, arena: arena, stepCapacities: stepCapacities)
        return (unroll, parameters)
    }

    /// Runs every step, each over `stepRows[t]` rows continuing `stepParents[t]` (nil: row r continues row r).
    func forward(_ unroll: RecurrentUnroll, stepRows: [Int], stepParents: [Indices?], inputs: [Matrix], initialHidden: Matrix) {
        unroll.begin(rows: stepRows.max()!)
        for t in stepRows.indices { unroll.setRows(stepRows[t], step: t, parents: stepParents[t]) }
        for t in stepRows.indices { unroll.forward(step: t, input: inputs[t], initialHidden: initialHidden) }
    }

    func testStepsContinuingDistinctParents() {
        let (unroll, parameters) = makeUnroll(capacity: rows.last!, stepCapacities: rows)
        parameters.initialize(using: &random)
        let stepParents: [Indices?] = parents.map { list in
            guard !list.isEmpty else { return nil }
            let ids = arena.indices(list.count)
            for (i, p) in list.enumerated() { ids[i] = p }
            return ids
        }
        let inputs = rows.map { uniform($0, input) }, initialHidden = uniform(rows[0], hidden)
        let weights = rows.map { uniform($0, hidden) }
        // L = Σₜ Σ wₜ ⊙ hₜ over each step's rows.
        let loss = { () -> Double in
            self.forward(unroll, stepRows: self.rows, stepParents: stepParents, inputs: inputs, initialHidden: initialHidden)
            var sum = 0.0
            for t in self.rows.indices {
                let h = unroll.hiddenState(t)
                for r in 0..<h.rows { for c in 0..<h.columns { sum += Double(h[r, c]) * Double(weights[t][r, c]) } }
            }
            return sum
        }
        _ = loss()

        // The same steps with every sequence its own row, the inputs copied along its path.
        let games = rows.last!
        var path = [Array(0..<games)]   // path[0]: each game's row at the last step
        for t in stride(from: rows.count - 1, to: 0, by: -1) { path.insert(path[0].map { parents[t][$0] }, at: 0) }
        let (each, eachParameters) = makeUnroll(capacity: games, stepCapacities: nil)
        eachParameters.copyValues(from: parameters)
        let expanded = path.indices.map { t in
            let m = arena.matrix(rows: games, columns: input)
            for g in 0..<games { m.row(g).update(from: inputs[t].row(path[t][g]), count: input) }
            return m
        }
        let eachHidden = arena.matrix(rows: games, columns: hidden)
        for g in 0..<games { eachHidden.row(g).update(from: initialHidden.row(path[0][g]), count: hidden) }
        forward(each, stepRows: rows.map { _ in games }, stepParents: rows.map { _ in nil }, inputs: expanded,
                initialHidden: eachHidden)
        for t in rows.indices {
            for g in 0..<games {
                for c in 0..<hidden {
                    XCTAssertEqual(each.hiddenState(t)[g, c], unroll.hiddenState(t)[path[t][g], c], accuracy: 1e-6)
                }
            }
        }

        parameters.zeroGradients()
        let inputGradients = rows.map { arena.matrix(rows: $0, columns: input) }
        let initialHiddenGradient = arena.matrix(rows: rows[0], columns: hidden)
        unroll.beginBackward()
        for t in rows.indices.reversed() {
            let dh = unroll.hiddenGradient(t)
            for r in 0..<dh.rows { for c in 0..<hidden { dh[r, c] += weights[t][r, c] } }
            unroll.backward(step: t, input: inputs[t], initialHidden: initialHidden, inputGradient: inputGradients[t],
                            initialHiddenGradient: initialHiddenGradient)
        }
        assertFiniteDifferences(values: parameters.values, gradients: parameters.gradients, count: parameters.count,
                                label: "parameters", loss: loss)
        for t in rows.indices {
            assertFiniteDifferences(values: inputs[t].base, gradients: inputGradients[t].base, count: inputs[t].count,
                                    label: "input of step \(t)", loss: loss)
        }
        assertFiniteDifferences(values: initialHidden.base, gradients: initialHiddenGradient.base, count: initialHidden.count,
                                label: "initial hidden state", loss: loss)
    }
}
