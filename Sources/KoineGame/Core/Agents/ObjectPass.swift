import KoineTensor

/// With an LSTM, the first step depends on the object alone (the start
/// symbol is fixed and the cell state is zero), so it runs once per object
/// of the space instead of once per game: its product with the table (see
/// TableProduct), its gates and its output layer, whose logits each game
/// then reads by its target. Each later step runs once per distinct
/// (target, symbols so far), continuing its parent row of the step before
/// (see `RecurrentUnroll.setRows`). Exact, as the listener's prefixes: a
/// state depends only on the target and the symbols before it. REINFORCE
/// only: relaxed symbols carry a gradient per game.
final class ObjectPass: SpeakerPass {
    let cell: SpeakerCell
    /// The first step's product of the whole table with W_hh.
    let product: TableProduct
    let objectLogits: Matrix
    let objectLogitGradients: Matrix
    /// Per step, the row each game reads, each row's parent row in the step
    /// before and its input symbol, and the rows' count.
    let rowOfGame: [Indices]
    let rowParents: [Indices]
    let rowSymbols: [Indices]
    private var rowCounts: [Int]
    /// Row of (parent row, symbol) while a step is grouped, −1 when unseen.
    let rowOfKey: Indices
    let rowLogits: Matrix
    let rowLogitGradients: Matrix

    /// `unroll` must hold the encoder's capacity at step 0 (`stepCapacities`).
    init(cell: SpeakerCell, product: TableProduct, arena: Arena) {
        self.cell = cell
        self.product = product
        let v = cell.symbolInput.vocabulary, capacity = cell.unroll.capacity, steps = cell.unroll.steps, objects = cell.encoder.capacity
        objectLogits = arena.matrix(rows: objects, columns: v)
        objectLogitGradients = arena.matrix(rows: objects, columns: v)
        rowOfGame = (0..<steps).map { _ in arena.indices(capacity) }
        rowParents = (0..<steps).map { _ in arena.indices(capacity) }
        rowSymbols = (0..<steps).map { _ in arena.indices(capacity) }
        rowCounts = Array(repeating: 0, count: steps)
        rowOfKey = arena.indices(capacity * v)
        rowOfKey.base.update(repeating: -1, count: capacity * v)
        rowLogits = arena.matrix(rows: capacity, columns: v)
        rowLogitGradients = arena.matrix(rows: capacity, columns: v)
    }

    func begin(targets: Indices) {
        unroll.setRows(encoder.table.rows, step: 0)
        symbolInput.prepare(inputTable, inputWeight: unroll.inputWeight)
    }

    func forward(step t: Int, message: Message, targets: Indices, logits z: Matrix) {
        let rows = targets.count, v = symbolInput.vocabulary
        if t == 0 {
            let gates = unroll.preparedGates(0)
            product.forward(unroll.hiddenWeight.value, into: gates)
            let startRow = inputTable.values.row(v)
            for o in 0..<gates.rows { Kernels.axpy(1, startRow, gates.row(o), count: gates.columns) }
            unroll.forward(step: 0, input: nil, initialHidden: nil, inputPrepared: true)
            output.forward(unroll.hiddenState(0), into: objectLogits.rows(0..<encoder.table.rows))
            for b in 0..<rows { z.row(b).update(from: objectLogits.row(targets[b]), count: v) }
        } else {
            groupRows(step: t, message: message, targets: targets)
            let count = rowCounts[t]
            unroll.setRows(count, step: t, parents: rowParents[t].prefix(count))
            inputTable.lookup(rowSymbols[t].prefix(count), into: unroll.preparedGates(t))
            unroll.forward(step: t, input: nil, initialHidden: nil, inputPrepared: true)
            let rowsOfStep = rowLogits.rows(0..<count)
            output.forward(unroll.hiddenState(t), into: rowsOfStep)
            let rowOf = rowOfGame[t]
            for b in 0..<rows { z.row(b).update(from: rowsOfStep.row(rowOf[b]), count: v) }
        }
    }

    func backward(step t: Int, message: Message, targets: Indices, logitGradient dz: Matrix, symbolGradient: Matrix?) {
        precondition(symbolGradient == nil, "a speaker's pass per object has no relaxed symbols")
        let rows = targets.count
        if t == 0 {
            // Each game's logit gradient goes back to its target's row.
            let objectGradients = objectLogitGradients.rows(0..<encoder.table.rows)
            objectGradients.zero()
            for b in 0..<rows { Kernels.axpy(1, dz.row(b), objectGradients.row(targets[b]), count: dz.columns) }
            output.backward(unroll.hiddenState(0), outputGradient: objectGradients, inputGradient: unroll.hiddenGradient(0),
                            accumulateInput: true)
            unroll.backward(step: 0, input: nil, initialHidden: nil, inputGradient: nil, initialHiddenGradient: nil,
                            inputPrepared: true)
            let gates = unroll.gateGradients(0)
            product.backward(gates, weight: unroll.hiddenWeight)
            Kernels.accumulateColumnSums(gates, into: inputTable.gradients.row(symbolInput.vocabulary))
        } else {
            // Each game's logit gradient goes back to its row.
            let count = rowCounts[t], rowOf = rowOfGame[t]
            let rowGradients = rowLogitGradients.rows(0..<count)
            rowGradients.zero()
            for b in 0..<rows { Kernels.axpy(1, dz.row(b), rowGradients.row(rowOf[b]), count: dz.columns) }
            output.backward(unroll.hiddenState(t), outputGradient: rowGradients, inputGradient: unroll.hiddenGradient(t),
                            accumulateInput: true)
            unroll.backward(step: t, input: nil, initialHidden: nil, inputGradient: nil, initialHiddenGradient: nil,
                            inputPrepared: true)
            inputTable.accumulate(rowSymbols[t].prefix(count), gateGradients: unroll.gateGradients(t))
        }
    }

    func finishBackward(targets: Indices) {
        symbolInput.backward(inputTable, inputWeight: unroll.inputWeight)
    }

    /// The rows of step `t` ≥ 1: one per distinct (row of step t − 1, its
    /// symbol), where step 0's row is the target's.
    private func groupRows(step t: Int, message: Message, targets: Indices) {
        let v = symbolInput.vocabulary
        let previous = message.symbols[t - 1], rowOf = rowOfGame[t], parents = rowParents[t], symbols = rowSymbols[t]
        var count = 0
        for b in 0..<targets.count {
            let parent = t == 1 ? targets[b] : rowOfGame[t - 1][b]
            let key = parent * v + previous[b]
            var row = rowOfKey[key]
            if row < 0 {
                row = count
                rowOfKey[key] = row
                parents[row] = parent
                symbols[row] = previous[b]
                count += 1
            }
            rowOf[b] = row
        }
        for row in 0..<count { rowOfKey[parents[row] * v + symbols[row]] = -1 }
        rowCounts[t] = count
    }
}
