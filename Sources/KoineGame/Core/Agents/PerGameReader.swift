import KoineTensor

/// Relaxed messages as written: each game's symbol vectors through the input
/// layer, and ∂L/∂message back through it (only to compare against the
/// table); discrete messages through `table`.
struct PerGameReader: MessageReader {
    let table: TableReader
    let inputs: [Matrix]
    let inputGradients: [Matrix]

    init(table: TableReader, capacity: Int, arena: Arena) {
        self.table = table
        let steps = table.unroll.steps, width = table.symbolInput.width
        inputs = (0..<steps).map { _ in arena.matrix(rows: capacity, columns: width) }
        inputGradients = (0..<steps).map { _ in arena.matrix(rows: capacity, columns: width) }
    }

    func forward(_ message: Message, rows: Int) {
        guard message.isDifferentiable else { return table.forward(message, rows: rows) }
        let unroll = table.unroll
        unroll.begin(rows: rows)
        for t in 0..<unroll.steps {
            let x = inputs[t].rows(0..<rows)
            table.symbolInput.forward(relaxed: message.oneHot[t].rows(0..<rows), start: nil, into: x)
            unroll.forward(step: t, input: x, initialHidden: nil)
        }
    }

    func stateRows(_ message: Message, rows: Int) -> Indices? { table.stateRows(message, rows: rows) }

    func backward(_ message: Message, rows: Int) {
        guard message.isDifferentiable else { return table.backward(message, rows: rows) }
        let unroll = table.unroll, symbolInput = table.symbolInput
        for t in stride(from: unroll.steps - 1, through: 0, by: -1) {
            let x = inputs[t].rows(0..<rows), dx = inputGradients[t].rows(0..<rows)
            unroll.backward(step: t, input: x, initialHidden: nil, inputGradient: dx, initialHiddenGradient: nil)
            symbolInput.parameterBackward(relaxed: message.oneHot[t].rows(0..<rows), start: nil, inputGradient: dx)
            symbolInput.symbolBackward(inputGradient: dx, into: message.gradients[t].rows(0..<rows))
        }
    }
}
