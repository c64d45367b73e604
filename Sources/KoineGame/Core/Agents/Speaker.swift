import KoineTensor

/// The speaker: object encoding → recurrent cell → vocabulary logits per
/// step, with the previous symbol fed back as the next input. The encoding of
/// the target is the cell's initial hidden state.
public final class Speaker {
    public let settings: AgentSettings
    public let module: Module
    public let encoder: ObjectEncoder
    public let capacity: Int
    public private(set) var message: Message
    /// Running mean of this speaker's rewards (REINFORCE baseline).
    public var baseline: Float = 0

    /// Symbols 0..<vocabulary, and the start symbol (`vocabulary`).
    let symbolInput: SymbolInput
    let output: Linear              // hidden → vocabulary
    let unroll: RecurrentUnroll
    let arena: Arena
    let initialHidden: Matrix
    let initialHiddenGradient: Matrix
    let inputs: [Matrix]
    let inputGradients: [Matrix]
    let logits: [Matrix]
    let logProbabilities: [Matrix]
    let soft: [Matrix]
    let logitGradient: Matrix
    let start: Indices
    /// Discrete symbols enter through a folded table (see InputTable).
    let inputTable: InputTable
    /// Whether the Gumbel channel's symbols enter through the table too:
    /// their forward values are exact one-hot rows (on by default; off only
    /// to compare against the per-game products).
    public let foldsRelaxedInputs: Bool
    /// With an LSTM, the first step depends on the object alone (the start
    /// symbol is fixed and the cell state is zero), so it runs once per object
    /// of the space instead of once per game: its products, its gates and its
    /// output layer, whose logits each game then reads by its target. The
    /// second step continues the target's row (see `RecurrentUnroll.setRows`).
    public let perObjectFirstStep: Bool
    /// With the first step per object, that step's product of the whole
    /// table with W_hh: factored through the encoder's own structure when it
    /// offers that (`ObjectEncoder.factoredTableProduct`; on by default, off
    /// only to compare), whether it does, else the plain product.
    let firstStepProduct: TableProduct?
    public let factorsEncoder: Bool
    let objectLogits: Matrix
    let objectLogitGradients: Matrix
    /// With the first step per object, each later step runs once per
    /// distinct (target, symbols so far): per step, the row each game reads,
    /// each row's parent row in the step before and its input symbol, and
    /// the rows' count. Exact, as the listener's prefixes: a state depends
    /// only on the target and the symbols before it.
    let rowOfGame: [Indices]
    let rowParents: [Indices]
    let rowSymbols: [Indices]
    private var rowCounts: [Int]
    /// Row of (parent row, symbol) while a step is grouped, −1 when unseen.
    let rowOfKey: Indices
    let rowLogits: Matrix
    let rowLogitGradients: Matrix
    /// log p(symbol) and entropy per step and game; `alive` is 1 while the
    /// message has not ended (always 1 for fixed-length messages).
    public let chosenLogProbabilities: [UnsafeMutablePointer<Float>]
    public let entropies: [UnsafeMutablePointer<Float>]
    public let alive: [UnsafeMutablePointer<Float>]
    let logProbabilityGradient: UnsafeMutablePointer<Float>
    let entropyGradient: UnsafeMutablePointer<Float>
    var targets: Indices
    /// Games of the last `speak`.
    public private(set) var rows = 0

    public static func parameterCount(_ settings: AgentSettings) -> Int {
        SymbolInput.parameterCount(kind: settings.symbolInput, symbols: settings.vocabulary + 1, hidden: settings.hidden)
            + RecurrentUnroll.parameterCount(kind: settings.cell, input: settings.symbolInputWidth, hidden: settings.hidden)
            + Linear.parameterCount(input: settings.hidden, output: settings.vocabulary)
    }

    public init(settings: AgentSettings, encoder: ObjectEncoder, capacity: Int, random: Random, foldsRelaxedInputs: Bool = true,
                factorsEncoder: Bool = true) {
        self.foldsRelaxedInputs = foldsRelaxedInputs
        let arena = Arena()
        self.arena = arena
        self.settings = settings
        self.encoder = encoder
        self.capacity = capacity
        let h = settings.hidden, v = settings.vocabulary, length = settings.messageLength
        let parameters = Parameters(count: Speaker.parameterCount(settings))
        symbolInput = SymbolInput(kind: settings.symbolInput, symbols: v + 1, vocabulary: v, hidden: h, parameters: parameters)
        // The most rows a table (all objects, or a step's scene) can have.
        let objects = encoder.capacity
        let perObject = settings.cell == .lstm && settings.channel == .reinforce && objects <= capacity
        perObjectFirstStep = perObject
        unroll = RecurrentUnroll(kind: settings.cell, input: symbolInput.width, hidden: h, steps: length, capacity: capacity,
                                 parameters: parameters, arena: arena,
                                 stepCapacities: perObject ? (0..<length).map { $0 == 0 ? objects : capacity } : nil)
        output = Linear(input: h, output: v, parameters: parameters)
        let factored = factorsEncoder && perObject ? encoder.factoredTableProduct(columns: unroll.gateWidth, arena: arena) : nil
        self.factorsEncoder = factored != nil
        firstStepProduct = perObject ? factored ?? PlainTableProduct(encoder: encoder) : nil
        module = Module(parameters: parameters, settings: settings.optimizer, initializer: random)
        message = Message(length: length, vocabulary: v, capacity: capacity,
                          differentiable: settings.channel == .gumbel, arena: arena)
        initialHidden = arena.matrix(rows: capacity, columns: h)
        initialHiddenGradient = arena.matrix(rows: capacity, columns: h)
        let width = settings.symbolInputWidth
        inputs = (0..<length).map { _ in arena.matrix(rows: capacity, columns: width) }
        inputGradients = (0..<length).map { _ in arena.matrix(rows: capacity, columns: width) }
        logits = (0..<length).map { _ in arena.matrix(rows: capacity, columns: v) }
        logProbabilities = (0..<length).map { _ in arena.matrix(rows: capacity, columns: v) }
        soft = settings.channel == .gumbel ? (0..<length).map { _ in arena.matrix(rows: capacity, columns: v) } : []
        logitGradient = arena.matrix(rows: capacity, columns: v)
        start = arena.indices(capacity)
        for i in 0..<capacity { start[i] = v }
        inputTable = InputTable(symbols: v + 1, gateWidth: unroll.gateWidth, arena: arena)
        objectLogits = arena.matrix(rows: perObjectFirstStep ? objects : 0, columns: v)
        objectLogitGradients = arena.matrix(rows: perObjectFirstStep ? objects : 0, columns: v)
        let grouped = perObject ? capacity : 0
        rowOfGame = (0..<length).map { _ in arena.indices(grouped) }
        rowParents = (0..<length).map { _ in arena.indices(grouped) }
        rowSymbols = (0..<length).map { _ in arena.indices(grouped) }
        rowCounts = Array(repeating: 0, count: length)
        rowOfKey = arena.indices(grouped * v)
        rowOfKey.base.update(repeating: -1, count: grouped * v)
        rowLogits = arena.matrix(rows: grouped, columns: v)
        rowLogitGradients = arena.matrix(rows: grouped, columns: v)
        chosenLogProbabilities = (0..<length).map { _ in arena.floats(capacity) }
        entropies = (0..<length).map { _ in arena.floats(capacity) }
        alive = (0..<length).map { _ in arena.floats(capacity) }
        logProbabilityGradient = arena.floats(capacity)
        entropyGradient = arena.floats(capacity)
        targets = arena.indices(capacity)
    }

    /// Writes a message for each target into `message`. Greedy takes the most
    /// likely symbol (evaluation); otherwise symbols are sampled (REINFORCE)
    /// or Gumbel-perturbed (Gumbel channel).
    public func speak(targets: Indices, random: inout Random, greedy: Bool) {
        rows = targets.count
        precondition(rows <= capacity, "speaker: \(rows) games exceed capacity \(capacity)")
        self.targets = targets
        message.rows = rows
        unroll.begin(rows: rows)
        if perObjectFirstStep { unroll.setRows(encoder.table.rows, step: 0) }
        let table = encoder.table
        let h0 = initialHidden.rows(0..<rows)
        if !perObjectFirstStep {
            for b in 0..<rows { h0.row(b).update(from: table.row(targets[b]), count: settings.hidden) }
        }
        let v = settings.vocabulary
        let gumbel = settings.channel == .gumbel
        let perGame = gumbel && !foldsRelaxedInputs
        if !perGame { symbolInput.prepare(inputTable, inputWeight: unroll.inputWeight) }
        for t in 0..<settings.messageLength {
            if gumbel && foldsRelaxedInputs {
                inputTable.lookup(t == 0 ? start.prefix(rows) : message.symbols[t - 1].prefix(rows), into: unroll.preparedGates(t))
                unroll.forward(step: t, input: nil, initialHidden: h0, inputPrepared: true)
            } else if perGame {
                let x = inputs[t].rows(0..<rows)
                symbolInput.forward(relaxed: t == 0 ? nil : message.oneHot[t - 1].rows(0..<rows), start: start.prefix(rows), into: x)
                unroll.forward(step: t, input: x, initialHidden: h0)
            } else if t == 0 && perObjectFirstStep {
                let gates = unroll.preparedGates(0)
                firstStepProduct!.forward(unroll.hiddenWeight.value, into: gates)
                let startRow = inputTable.values.row(v)
                for o in 0..<gates.rows { Kernels.axpy(1, startRow, gates.row(o), count: gates.columns) }
                unroll.forward(step: 0, input: nil, initialHidden: nil, inputPrepared: true)
            } else if perObjectFirstStep {
                groupRows(step: t)
                let count = rowCounts[t]
                unroll.setRows(count, step: t, parents: rowParents[t].prefix(count))
                inputTable.lookup(rowSymbols[t].prefix(count), into: unroll.preparedGates(t))
                unroll.forward(step: t, input: nil, initialHidden: nil, inputPrepared: true)
            } else {
                inputTable.lookup(t == 0 ? start.prefix(rows) : message.symbols[t - 1].prefix(rows), into: unroll.preparedGates(t))
                unroll.forward(step: t, input: nil, initialHidden: h0, inputPrepared: true)
            }
            let z = logits[t].rows(0..<rows)
            if t == 0 && perObjectFirstStep {
                output.forward(unroll.hiddenState(0), into: objectLogits.rows(0..<table.rows))
                for b in 0..<rows { z.row(b).update(from: objectLogits.row(targets[b]), count: v) }
            } else if perObjectFirstStep {
                let rowsOfStep = rowLogits.rows(0..<rowCounts[t])
                output.forward(unroll.hiddenState(t), into: rowsOfStep)
                let rowOf = rowOfGame[t]
                for b in 0..<rows { z.row(b).update(from: rowsOfStep.row(rowOf[b]), count: v) }
            } else {
                output.forward(unroll.hiddenState(t), into: z)
            }
            let symbols = message.symbols[t].prefix(rows)
            Categorical.sample(
                logits: z, logProbabilities: logProbabilities[t].rows(0..<rows), actions: symbols,
                chosenLogProbabilities: chosenLogProbabilities[t], entropies: entropies[t],
                random: &random, greedy: greedy || gumbel)
            if gumbel {
                GumbelSoftmax.forward(
                    logits: z, temperature: settings.temperature, straightThrough: true, noise: !greedy,
                    random: &random, soft: soft[t].rows(0..<rows), output: message.oneHot[t].rows(0..<rows),
                    actions: symbols)
            }
            markEndings(step: t)
        }
    }

    /// The rows of step `t` ≥ 1: one per distinct (row of step t − 1, its
    /// symbol), where step 0's row is the target's.
    private func groupRows(step t: Int) {
        let v = settings.vocabulary
        let previous = message.symbols[t - 1], rowOf = rowOfGame[t], parents = rowParents[t], symbols = rowSymbols[t]
        var count = 0
        for b in 0..<rows {
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

    /// Tracks which games' messages have ended and pads them with the
    /// end-of-message symbol; fixed-length messages never end early.
    private func markEndings(step t: Int) {
        let live = alive[t]
        guard settings.variableLength, t > 0 else {
            for b in 0..<rows { live[b] = 1 }
            return
        }
        let end = settings.endOfMessage
        let symbols = message.symbols[t], previous = message.symbols[t - 1]
        for b in 0..<rows {
            let ended = alive[t - 1][b] == 0 || previous.base[b] == end
            live[b] = ended ? 0 : 1
            guard ended else { continue }
            symbols.base[b] = end
            if message.isDifferentiable {
                let row = message.oneHot[t].row(b)
                for j in 0..<settings.vocabulary { row[j] = j == Int(end) ? 1 : 0 }
            }
        }
    }

    /// REINFORCE backward: loss = −Σₜ aliveₜ·(advantage·log p(mₜ) + β·Hₜ),
    /// times `scale` (e.g. 1/games), per game.
    public func backwardReinforce(advantages: UnsafePointer<Float>, entropyWeight beta: Float, scale: Float) {
        unroll.beginBackward()
        for t in stride(from: settings.messageLength - 1, through: 0, by: -1) {
            for b in 0..<rows {
                logProbabilityGradient[b] = -advantages[b] * scale * alive[t][b]
                entropyGradient[b] = -beta * scale * alive[t][b]
            }
            let dz = logitGradient.rows(0..<rows)
            Categorical.backward(
                logProbabilities: logProbabilities[t].rows(0..<rows), actions: message.symbols[t].prefix(rows),
                entropies: entropies[t], logProbabilityGradient: logProbabilityGradient,
                entropyGradient: entropyGradient, logitGradient: dz)
            if t == 0 && perObjectFirstStep {
                // Each game's logit gradient goes back to its target's row.
                let objectGradients = objectLogitGradients.rows(0..<encoder.table.rows)
                objectGradients.zero()
                for b in 0..<rows { Kernels.axpy(1, dz.row(b), objectGradients.row(targets[b]), count: dz.columns) }
                output.backward(unroll.hiddenState(0), outputGradient: objectGradients,
                                inputGradient: unroll.hiddenGradient(0), accumulateInput: true)
                unroll.backward(step: 0, input: nil, initialHidden: nil, inputGradient: nil, initialHiddenGradient: nil,
                                inputPrepared: true)
                let gates = unroll.gateGradients(0)
                firstStepProduct!.backward(gates, weight: unroll.hiddenWeight)
                Kernels.accumulateColumnSums(gates, into: inputTable.gradients.row(settings.vocabulary))
            } else if perObjectFirstStep {
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
            } else {
                output.backward(unroll.hiddenState(t), outputGradient: dz, inputGradient: unroll.hiddenGradient(t),
                                accumulateInput: true)
                unroll.backward(step: t, input: nil, initialHidden: initialHidden.rows(0..<rows), inputGradient: nil,
                                initialHiddenGradient: initialHiddenGradient.rows(0..<rows), inputPrepared: true)
                inputTable.accumulate(t == 0 ? start.prefix(rows) : message.symbols[t - 1].prefix(rows),
                                      gateGradients: unroll.gateGradients(t))
            }
        }
        symbolInput.backward(inputTable, inputWeight: unroll.inputWeight)
        if !perObjectFirstStep { scatterInitialGradient() }
    }

    /// Gumbel backward from the gradients listeners left in `message.gradients`.
    public func backwardGumbel() {
        let v = settings.vocabulary
        unroll.beginBackward()
        let folded = foldsRelaxedInputs
        for t in stride(from: settings.messageLength - 1, through: 0, by: -1) {
            let d = message.gradients[t].rows(0..<rows)
            if t + 1 < settings.messageLength && !folded {
                // The symbol of step t is also the input of step t + 1 (folded,
                // step t + 1's backward has already added its share).
                symbolInput.symbolBackward(inputGradient: inputGradients[t + 1].rows(0..<rows), into: d)
            }
            for b in 0..<rows where alive[t][b] == 0 {
                let row = d.row(b)
                for j in 0..<v { row[j] = 0 }
            }
            let dz = logitGradient.rows(0..<rows)
            GumbelSoftmax.backward(soft: soft[t].rows(0..<rows), temperature: settings.temperature,
                                   outputGradient: d, logitGradient: dz)
            finishStep(t, logitGradient: dz, inputPrepared: folded)
            if folded {
                let gates = unroll.gateGradients(t)
                inputTable.accumulate(t == 0 ? start.prefix(rows) : message.symbols[t - 1].prefix(rows), gateGradients: gates)
                if t > 0 {
                    // ∂L/∂onehot of step t − 1 = ∂L/∂gates · (input(symbol) · Wx)ᵀ over the vocabulary's rows.
                    BLAS.gemm(gates, inputTable.values.rows(0..<v), transposeB: true,
                              into: message.gradients[t - 1].rows(0..<rows), beta: 1)
                }
            } else {
                symbolInput.parameterBackward(relaxed: t == 0 ? nil : message.oneHot[t - 1].rows(0..<rows), start: start.prefix(rows),
                                              inputGradient: inputGradients[t].rows(0..<rows))
            }
        }
        if folded { symbolInput.backward(inputTable, inputWeight: unroll.inputWeight) }
        scatterInitialGradient()
        message.zeroGradients()
    }

    /// Output layer and recurrent step backward for step `t`; with the input
    /// prepared from the table, its gradient stays in the gates' gradient.
    private func finishStep(_ t: Int, logitGradient dz: Matrix, inputPrepared: Bool) {
        output.backward(unroll.hiddenState(t), outputGradient: dz, inputGradient: unroll.hiddenGradient(t), accumulateInput: true)
        unroll.backward(step: t, input: inputPrepared ? nil : inputs[t].rows(0..<rows), initialHidden: initialHidden.rows(0..<rows),
                        inputGradient: inputPrepared ? nil : inputGradients[t].rows(0..<rows),
                        initialHiddenGradient: initialHiddenGradient.rows(0..<rows), inputPrepared: inputPrepared)
    }

    /// The initial state was a row of the encoder's table per game.
    private func scatterInitialGradient() {
        let gradient = encoder.tableGradient
        for b in 0..<rows {
            Kernels.axpy(1, initialHiddenGradient.row(b), gradient.row(targets[b]), count: settings.hidden)
        }
    }

    /// Mean entropy of the speaker's symbol distributions over live positions.
    public func meanEntropy() -> Float {
        var total: Float = 0, count: Float = 0
        for t in 0..<settings.messageLength {
            for b in 0..<rows { total += entropies[t][b] * alive[t][b]; count += alive[t][b] }
        }
        return count > 0 ? total / count : 0
    }

    /// Σₜ aliveₜ · log p(mₜ) for game `game`.
    public func messageLogProbability(_ game: Int) -> Float {
        var total: Float = 0
        for t in 0..<settings.messageLength { total += chosenLogProbabilities[t][game] * alive[t][game] }
        return total
    }
}
