import KoineTensor

/// A row per game, relaxed (Gumbel) symbols entering as written: each game's
/// symbol vectors through the input layer, and ∂L/∂symbol back through it
/// (only to compare against `GamePass`, whose pieces it uses).
struct RelaxedGamePass: SpeakerPass {
    let game: GamePass
    let inputs: [Matrix]
    let inputGradients: [Matrix]
    var cell: SpeakerCell { game.cell }

    init(game: GamePass, arena: Arena) {
        self.game = game
        let unroll = game.cell.unroll, width = game.cell.symbolInput.width
        inputs = (0..<unroll.steps).map { _ in arena.matrix(rows: unroll.capacity, columns: width) }
        inputGradients = (0..<unroll.steps).map { _ in arena.matrix(rows: unroll.capacity, columns: width) }
    }

    func begin(targets: Indices) {
        game.fillInitialStates(targets: targets)
    }

    func forward(step t: Int, message: Message, targets: Indices, logits: Matrix) {
        let rows = targets.count, x = inputs[t].rows(0..<rows)
        symbolInput.forward(relaxed: relaxedInput(step: t, message: message, rows: rows), start: game.start.prefix(rows), into: x)
        unroll.forward(step: t, input: x, initialHidden: game.initialHidden.rows(0..<rows))
        output.forward(unroll.hiddenState(t), into: logits)
    }

    func backward(step t: Int, message: Message, targets: Indices, logitGradient dz: Matrix, symbolGradient: Matrix?) {
        let rows = targets.count, dx = inputGradients[t].rows(0..<rows)
        output.backward(unroll.hiddenState(t), outputGradient: dz, inputGradient: unroll.hiddenGradient(t), accumulateInput: true)
        unroll.backward(step: t, input: inputs[t].rows(0..<rows), initialHidden: game.initialHidden.rows(0..<rows),
                        inputGradient: dx, initialHiddenGradient: game.initialHiddenGradient.rows(0..<rows))
        symbolInput.parameterBackward(relaxed: relaxedInput(step: t, message: message, rows: rows), start: game.start.prefix(rows),
                                      inputGradient: dx)
        if let symbolGradient { symbolInput.symbolBackward(inputGradient: dx, into: symbolGradient) }
    }

    func finishBackward(targets: Indices) {
        game.scatterInitialGradient(targets: targets)
    }

    /// Step t's relaxed input: none at the start symbol, then the symbols before.
    private func relaxedInput(step t: Int, message: Message, rows: Int) -> Matrix? {
        t == 0 ? nil : message.oneHot[t - 1].rows(0..<rows)
    }
}
