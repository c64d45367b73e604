import KoineTensor

/// Symbols through the input table (see InputTable), a row lookup per row
/// of each step. A discrete message is read once per distinct message or
/// prefix (see MessageGroups, with `sharing`); a relaxed (Gumbel
/// straight-through) one per game, its forward values exact one-hot rows,
/// so ∂L/∂message is the gates' gradient times the table.
struct TableReader: MessageReader {
    let unroll: RecurrentUnroll
    let symbolInput: SymbolInput
    let inputTable: InputTable
    let groups: MessageGroups
    let sharing: MessageGroups.Sharing

    func forward(_ message: Message, rows: Int) {
        if message.isDifferentiable {
            // A relaxed message carries its own gradient per game: no sharing.
            unroll.begin(rows: rows)
        } else {
            unroll.begin(rows: groups.group(message, rows: rows, sharing: sharing))
            if sharing == .prefixes {
                for t in 0..<unroll.steps {
                    unroll.setRows(groups.counts[t], step: t, parents: t > 0 ? groups.parents[t].prefix(groups.counts[t]) : nil)
                }
            }
        }
        symbolInput.prepare(inputTable, inputWeight: unroll.inputWeight)
        for t in 0..<unroll.steps {
            inputTable.lookup(symbols(message, step: t), into: unroll.preparedGates(t))
            unroll.forward(step: t, input: nil, initialHidden: nil, inputPrepared: true)
        }
    }

    func stateRows(_ message: Message, rows: Int) -> Indices? {
        message.isDifferentiable ? nil : groups.rowOfGame.prefix(rows)
    }

    func backward(_ message: Message, rows: Int) {
        for t in stride(from: unroll.steps - 1, through: 0, by: -1) {
            unroll.backward(step: t, input: nil, initialHidden: nil, inputGradient: nil, initialHiddenGradient: nil,
                            inputPrepared: true)
            let gates = unroll.gateGradients(t)
            inputTable.accumulate(symbols(message, step: t), gateGradients: gates)
            if message.isDifferentiable {
                // ∂L/∂onehot = ∂L/∂gates · (input(symbol) · Wx)ᵀ, the table's vocabulary rows.
                BLAS.gemm(gates, inputTable.values.rows(0..<symbolInput.vocabulary), transposeB: true,
                          into: message.gradients[t].rows(0..<rows), beta: 1)
            }
        }
        symbolInput.backward(inputTable, inputWeight: unroll.inputWeight)
    }

    /// The symbol of each row of step `t`: the games' own when relaxed, else the groups'.
    private func symbols(_ message: Message, step t: Int) -> Indices {
        (message.isDifferentiable ? message.symbols[t] : groups.symbols[t]).prefix(unroll.rows(t))
    }
}
