import KoineTensor

/// The speaker: object encoding → recurrent cell → vocabulary logits per
/// step, with the previous symbol fed back as the next input. The encoding of
/// the target is the cell's initial hidden state.
public final class Speaker {
    public let settings: AgentSettings
    /// Gumbel-Softmax's temperature, from `settings` at first; settable so
    /// population-based training can change it between steps.
    public var temperature: Float
    public let module: Module
    public let encoder: ObjectEncoder
    public let capacity: Int
    public private(set) var message: Message
    /// Running mean of this speaker's rewards (REINFORCE baseline).
    public var baseline: Float = 0

    let unroll: RecurrentUnroll
    let arena: Arena
    /// How the cell runs over the games: with an LSTM under REINFORCE and
    /// room for every object, its first step once per object and each later
    /// step once per distinct (target, symbols so far) (ObjectPass, its first
    /// step's product with the table factored through the encoder's own
    /// structure when it offers one and the shortcut `factorsEncoder` is
    /// on); otherwise a row per game with symbols through the input table
    /// (GamePass), or, with `foldsRelaxedInputs` off, relaxed symbols
    /// through per-game products (RelaxedGamePass).
    let pass: SpeakerPass
    /// Whether the pass runs per object (ObjectPass), and whether its first
    /// step's product factors through the encoder.
    public let perObjectFirstStep: Bool
    public let factorsEncoder: Bool
    let logits: [Matrix]
    let logProbabilities: [Matrix]
    let soft: [Matrix]
    let logitGradient: Matrix
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

    public init(settings: AgentSettings, encoder: ObjectEncoder, capacity: Int, random: Random,
                shortcuts: AgentShortcuts = AgentShortcuts()) {
        let arena = Arena()
        self.arena = arena
        self.settings = settings
        temperature = settings.temperature
        self.encoder = encoder
        self.capacity = capacity
        let h = settings.hidden, v = settings.vocabulary, length = settings.messageLength
        let parameters = Parameters(count: Speaker.parameterCount(settings))
        let symbolInput = SymbolInput(kind: settings.symbolInput, symbols: v + 1, vocabulary: v, hidden: h, parameters: parameters)
        // The most rows a table (all objects, or a step's scene) can have.
        let objects = encoder.capacity
        let perObject = settings.cell == .lstm && settings.channel == .reinforce && objects <= capacity
        perObjectFirstStep = perObject
        unroll = RecurrentUnroll(kind: settings.cell, input: symbolInput.width, hidden: h, steps: length, capacity: capacity,
                                 parameters: parameters, arena: arena,
                                 stepCapacities: perObject ? (0..<length).map { $0 == 0 ? objects : capacity } : nil)
        let output = Linear(input: h, output: v, parameters: parameters)
        module = Module(parameters: parameters, settings: settings.optimizer, initializer: random)
        message = Message(length: length, vocabulary: v, capacity: capacity,
                          differentiable: settings.channel == .gumbel, arena: arena)
        logits = (0..<length).map { _ in arena.matrix(rows: capacity, columns: v) }
        logProbabilities = (0..<length).map { _ in arena.matrix(rows: capacity, columns: v) }
        soft = settings.channel == .gumbel ? (0..<length).map { _ in arena.matrix(rows: capacity, columns: v) } : []
        logitGradient = arena.matrix(rows: capacity, columns: v)
        let inputTable = InputTable(symbols: v + 1, gateWidth: unroll.gateWidth, arena: arena)
        let cell = SpeakerCell(encoder: encoder, unroll: unroll, output: output, symbolInput: symbolInput, inputTable: inputTable)
        if perObject {
            let factored = shortcuts.factorsEncoder ? encoder.factoredTableProduct(columns: unroll.gateWidth, arena: arena) : nil
            self.factorsEncoder = factored != nil
            pass = ObjectPass(cell: cell, product: factored ?? PlainTableProduct(encoder: encoder), arena: arena)
        } else {
            self.factorsEncoder = false
            let start = arena.indices(capacity)
            for i in 0..<capacity { start[i] = v }
            let game = GamePass(cell: cell, start: start, arena: arena)
            pass = settings.channel == .gumbel && !shortcuts.foldsRelaxedInputs ? RelaxedGamePass(game: game, arena: arena) : game
        }
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
        pass.begin(targets: targets)
        let gumbel = settings.channel == .gumbel
        for t in 0..<settings.messageLength {
            let z = logits[t].rows(0..<rows)
            pass.forward(step: t, message: message, targets: targets, logits: z)
            let symbols = message.symbols[t].prefix(rows)
            Categorical.sample(
                logits: z, logProbabilities: logProbabilities[t].rows(0..<rows), actions: symbols,
                chosenLogProbabilities: chosenLogProbabilities[t], entropies: entropies[t],
                random: &random, greedy: greedy || gumbel)
            if gumbel {
                GumbelSoftmax.forward(
                    logits: z, temperature: temperature, straightThrough: true, noise: !greedy,
                    random: &random, soft: soft[t].rows(0..<rows), output: message.oneHot[t].rows(0..<rows),
                    actions: symbols)
            }
            markEndings(step: t)
        }
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
            pass.backward(step: t, message: message, targets: targets, logitGradient: dz, symbolGradient: nil)
        }
        pass.finishBackward(targets: targets)
    }

    /// Gumbel backward from the gradients listeners left in `message.gradients`.
    public func backwardGumbel() {
        let v = settings.vocabulary
        unroll.beginBackward()
        for t in stride(from: settings.messageLength - 1, through: 0, by: -1) {
            // The pass of step t + 1 has added its input's share.
            let d = message.gradients[t].rows(0..<rows)
            for b in 0..<rows where alive[t][b] == 0 {
                let row = d.row(b)
                for j in 0..<v { row[j] = 0 }
            }
            let dz = logitGradient.rows(0..<rows)
            GumbelSoftmax.backward(soft: soft[t].rows(0..<rows), temperature: temperature,
                                   outputGradient: d, logitGradient: dz)
            pass.backward(step: t, message: message, targets: targets, logitGradient: dz,
                          symbolGradient: t > 0 ? message.gradients[t - 1].rows(0..<rows) : nil)
        }
        pass.finishBackward(targets: targets)
        message.zeroGradients()
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
