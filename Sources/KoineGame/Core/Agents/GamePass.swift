import KoineTensor

/// A row per game at every step: the initial state is the target's row of
/// the encoder's table, and symbols enter through the input table (see
/// InputTable), relaxed (Gumbel straight-through) ones too: their forward
/// values are exact one-hot rows, so ∂L/∂symbol is the gates' gradient times
/// the table.
struct GamePass: SpeakerPass {
    let cell: SpeakerCell
    /// The start symbol of every game.
    let start: Indices
    let initialHidden: Matrix
    let initialHiddenGradient: Matrix

    init(cell: SpeakerCell, start: Indices, arena: Arena) {
        self.cell = cell
        self.start = start
        let unroll = cell.unroll
        initialHidden = arena.matrix(rows: unroll.capacity, columns: unroll.hidden)
        initialHiddenGradient = arena.matrix(rows: unroll.capacity, columns: unroll.hidden)
    }

    func begin(targets: Indices) {
        fillInitialStates(targets: targets)
        symbolInput.prepare(inputTable, inputWeight: unroll.inputWeight)
    }

    func forward(step t: Int, message: Message, targets: Indices, logits: Matrix) {
        inputTable.lookup(inputSymbols(step: t, message: message, rows: targets.count), into: unroll.preparedGates(t))
        unroll.forward(step: t, input: nil, initialHidden: initialHidden.rows(0..<targets.count), inputPrepared: true)
        output.forward(unroll.hiddenState(t), into: logits)
    }

    func backward(step t: Int, message: Message, targets: Indices, logitGradient dz: Matrix, symbolGradient: Matrix?) {
        let rows = targets.count
        output.backward(unroll.hiddenState(t), outputGradient: dz, inputGradient: unroll.hiddenGradient(t), accumulateInput: true)
        unroll.backward(step: t, input: nil, initialHidden: initialHidden.rows(0..<rows), inputGradient: nil,
                        initialHiddenGradient: initialHiddenGradient.rows(0..<rows), inputPrepared: true)
        let gates = unroll.gateGradients(t)
        inputTable.accumulate(inputSymbols(step: t, message: message, rows: rows), gateGradients: gates)
        if let symbolGradient {
            // ∂L/∂onehot of step t − 1 = ∂L/∂gates · (input(symbol) · Wx)ᵀ over the vocabulary's rows.
            BLAS.gemm(gates, inputTable.values.rows(0..<symbolInput.vocabulary), transposeB: true, into: symbolGradient, beta: 1)
        }
    }

    func finishBackward(targets: Indices) {
        symbolInput.backward(inputTable, inputWeight: unroll.inputWeight)
        scatterInitialGradient(targets: targets)
    }

    /// Step t's input: the start symbol, then the symbol before.
    private func inputSymbols(step t: Int, message: Message, rows: Int) -> Indices {
        t == 0 ? start.prefix(rows) : message.symbols[t - 1].prefix(rows)
    }

    /// Each game's initial state: its target's row of the table.
    func fillInitialStates(targets: Indices) {
        for b in 0..<targets.count { initialHidden.row(b).update(from: encoder.table.row(targets[b]), count: unroll.hidden) }
    }

    /// The initial states' gradients into the table's gradient, each at its target's row.
    func scatterInitialGradient(targets: Indices) {
        let gradient = encoder.openTableGradient()
        for b in 0..<targets.count {
            Kernels.axpy(1, initialHiddenGradient.row(b), gradient.row(targets[b]), count: unroll.hidden)
        }
    }
}
