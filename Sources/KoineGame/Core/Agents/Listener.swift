import KoineTensor

/// The listener: a recurrent cell reads the message, a linear layer turns
/// its last state into a query, and each candidate is scored by the dot
/// product of the query with the candidate's encoding.
public final class Listener {
    public let settings: AgentSettings
    public let module: Module
    public let encoder: ObjectEncoder
    public let capacity: Int
    public let candidates: Int
    /// Running mean of this listener's rewards (REINFORCE baseline).
    public var baseline: Float = 0

    let unroll: RecurrentUnroll
    let arena: Arena
    /// How the cell reads messages: through the input table, games that heard
    /// the same discrete message (or prefix) sharing rows (TableReader); with
    /// the shortcut `foldsRelaxedInputs` off, relaxed messages through
    /// per-game products instead (PerGameReader); `sharesMessages` off, every
    /// game is its own row.
    let reader: MessageReader
    /// ∂L/∂`messageState` from another task that reads it (Mihai & Hare's
    /// rotation head on the receiver); the next backward adds it and clears it.
    public let messageStateGradient: Matrix
    let scores: Matrix
    let logProbabilities: Matrix
    let scoreGradient: Matrix
    /// How the query meets the candidates: with the shortcut `foldsQuery`
    /// folded into the object table when it has fewer rows than the pass has
    /// queries (FoldedScoring), with `factorsEncoder` too folded further into
    /// the encoder's own structure when it has one
    /// (`ObjectEncoder.factoredScoring`); else plain (PlainScoring).
    let scoring: QueryScoring
    /// Whether the last `listen` folded the query into the table, or factored it.
    public var foldedQuery: Bool { scoring.lastPass == .folded }
    public var factoredQuery: Bool { scoring.lastPass == .factored }
    /// Rows the last `listen` ran its recurrent pass over: distinct messages, or games.
    public var readRows: Int { unroll.rows(settings.messageLength - 1) }

    /// Rows the last `listen` ran step `step` over (distinct prefixes, messages, or games).
    public func readRows(step: Int) -> Int { unroll.rows(step) }
    /// The candidate each game's listener picked, and whether it was the target.
    public let choices: Indices
    public let rewards: UnsafeMutablePointer<Float>
    public let chosenLogProbabilities: UnsafeMutablePointer<Float>
    public let entropies: UnsafeMutablePointer<Float>
    let logProbabilityGradient: UnsafeMutablePointer<Float>
    let entropyGradient: UnsafeMutablePointer<Float>
    /// Games of the last `listen`.
    public private(set) var rows = 0
    var batch: GameBatch?
    var message: Message?
    /// Whether `messageStateGradient` holds a gradient the next backward adds
    /// (set by the task that wrote it, `RotationTask`).
    public internal(set) var stateGradientPending = false

    public static func parameterCount(_ settings: AgentSettings) -> Int {
        SymbolInput.parameterCount(kind: settings.symbolInput, symbols: settings.vocabulary, hidden: settings.hidden)
            + RecurrentUnroll.parameterCount(kind: settings.cell, input: settings.symbolInputWidth, hidden: settings.hidden)
            + Linear.parameterCount(input: settings.hidden, output: settings.hidden)
    }

    public init(settings: AgentSettings, encoder: ObjectEncoder, capacity: Int, candidates: Int, random: Random,
                shortcuts: AgentShortcuts = AgentShortcuts(), workspace: Workspace? = nil) {
        // With a workspace, every buffer below, the gradient first, is shared
        // with the other listeners on it (see Workspace): each turn must be whole.
        let arena = workspace.map { Arena(workspace: $0) } ?? Arena()
        self.arena = arena
        self.settings = settings
        self.encoder = encoder
        self.capacity = capacity
        self.candidates = candidates
        let h = settings.hidden, length = settings.messageLength
        let count = Listener.parameterCount(settings)
        let parameters = workspace == nil ? Parameters(count: count) : Parameters(count: count, gradients: arena.floats(count))
        let symbolInput = SymbolInput(kind: settings.symbolInput, symbols: settings.vocabulary, vocabulary: settings.vocabulary,
                                      hidden: h, parameters: parameters)
        let groups = MessageGroups(vocabulary: settings.vocabulary, length: length, capacity: capacity, arena: arena)
        // By prefix for an LSTM (whose steps can continue distinct earlier
        // states), by whole message for a GRU; never for relaxed messages,
        // which carry a gradient per game.
        let sharing: MessageGroups.Sharing =
            !shortcuts.sharesMessages || settings.channel == .gumbel ? .none : settings.cell == .lstm ? .prefixes : .messages
        // Over distinct prefixes, step t runs at most vocabulary^(t+1) rows.
        unroll = RecurrentUnroll(kind: settings.cell, input: symbolInput.width, hidden: h, steps: length, capacity: capacity,
                                 parameters: parameters, arena: arena,
                                 stepCapacities: sharing == .prefixes ? (0..<length).map(groups.stepCapacity) : nil)
        let query = Linear(input: h, output: h, parameters: parameters)
        module = Module(parameters: parameters, settings: settings.optimizer, initializer: random)
        let plain = PlainScoring(query: query, encoder: encoder, rows: capacity, arena: arena)
        let factored = shortcuts.foldsQuery && shortcuts.factorsEncoder
            ? encoder.factoredScoring(query: query, plain: plain, rows: capacity, arena: arena) : nil
        scoring = factored ?? (shortcuts.foldsQuery ? FoldedScoring(query: query, encoder: encoder, plain: plain, arena: arena) : plain)
        messageStateGradient = arena.matrix(rows: capacity, columns: h)
        scores = arena.matrix(rows: capacity, columns: candidates)
        logProbabilities = arena.matrix(rows: capacity, columns: candidates)
        scoreGradient = arena.matrix(rows: capacity, columns: candidates)
        let table = TableReader(unroll: unroll, symbolInput: symbolInput,
                                inputTable: InputTable(symbols: settings.vocabulary, gateWidth: unroll.gateWidth, arena: arena),
                                groups: groups, sharing: sharing)
        reader = settings.channel == .gumbel && !shortcuts.foldsRelaxedInputs ? PerGameReader(table: table, capacity: capacity, arena: arena)
            : table
        choices = arena.indices(capacity)
        rewards = arena.floats(capacity)
        chosenLogProbabilities = arena.floats(capacity)
        entropies = arena.floats(capacity)
        logProbabilityGradient = arena.floats(capacity)
        entropyGradient = arena.floats(capacity)
    }

    /// Reads `message` and picks a candidate in each game of `batch`: sampled
    /// from softmax(scores) for REINFORCE training, the best score otherwise.
    /// Leaves 1 or 0 per game in `rewards`.
    public func listen(to message: Message, batch: GameBatch, random: inout Random, greedy: Bool) {
        rows = batch.size
        precondition(rows == message.rows && rows <= capacity)
        self.batch = batch
        self.message = message
        reader.forward(message, rows: rows)
        let s = scores.rows(0..<rows)
        scoring.forward(unroll.hiddenState(settings.messageLength - 1), rows: reader.stateRows(message, rows: rows),
                        candidates: batch.candidates, scores: s)
        let sampled = !greedy && settings.channel == .reinforce
        Categorical.sample(
            logits: s, logProbabilities: logProbabilities.rows(0..<rows), actions: choices.prefix(rows),
            chosenLogProbabilities: chosenLogProbabilities, entropies: entropies, random: &random, greedy: !sampled)
        for b in 0..<rows { rewards[b] = choices.base[b] == batch.targetPositions.base[b] ? 1 : 0 }
    }

    /// REINFORCE backward: loss = −(advantage·log p(choice) + β·H), times
    /// `scale`; returns the loss's mean over the games.
    @discardableResult
    public func backwardReinforce(advantages: UnsafePointer<Float>, entropyWeight beta: Float, scale: Float) -> Float {
        var total: Float = 0
        for b in 0..<rows {
            logProbabilityGradient[b] = -advantages[b] * scale
            entropyGradient[b] = -beta * scale
            total -= advantages[b] * chosenLogProbabilities[b] + beta * entropies[b]
        }
        let ds = scoreGradient.rows(0..<rows)
        Categorical.backward(
            logProbabilities: logProbabilities.rows(0..<rows), actions: choices.prefix(rows), entropies: entropies,
            logProbabilityGradient: logProbabilityGradient, entropyGradient: entropyGradient, logitGradient: ds)
        backwardFromScores(ds)
        return total / Float(max(rows, 1))
    }

    /// Supervised backward for the Gumbel channel: cross-entropy of the
    /// target's position, times `scale`; the message gradient is added into
    /// `message.gradients` for the speaker. Returns the mean cross-entropy.
    @discardableResult
    public func backwardCrossEntropy(scale: Float) -> Float {
        guard let batch else { return 0 }
        let s = scores.rows(0..<rows), p = logProbabilities.rows(0..<rows)
        let loss = CrossEntropy.forward(logits: s, targets: batch.targetPositions, probabilities: p)
        let ds = scoreGradient.rows(0..<rows)
        CrossEntropy.backward(probabilities: p, targets: batch.targetPositions, logitGradient: ds, scale: scale)
        backwardFromScores(ds)
        return loss
    }

    /// Supervised backward for the Gumbel channel with Havrylov & Titov's
    /// hinge loss, Σ over distractors k of max(0, 1 − s_target + s_k), times
    /// `scale`; the message gradient is added into `message.gradients` for the
    /// speaker. Returns the loss's mean over the games.
    @discardableResult
    public func backwardHinge(scale: Float) -> Float {
        guard let batch else { return 0 }
        let s = scores.rows(0..<rows), ds = scoreGradient.rows(0..<rows)
        let loss = HingeLoss.forward(scores: s, targets: batch.targetPositions)
        HingeLoss.backward(scores: s, targets: batch.targetPositions, scoreGradient: ds, scale: scale)
        backwardFromScores(ds)
        return loss
    }

    /// The scores of the last `listen`, `games × candidates`.
    public var lastScores: Matrix { scores.rows(0..<rows) }

    /// The recurrent state after the last `listen`'s messages, a row per read
    /// row (per game for relaxed messages): what the query is made from.
    public var messageState: Matrix { unroll.hiddenState(settings.messageLength - 1).rows(0..<readRows) }

    /// Backward of another task's loss alone, from `messageStateGradient`:
    /// no game loss; a relaxed message's gradient goes to the speaker as usual.
    public func backwardFromState() {
        backwardFromScores(nil)
    }

    /// Backward from the game's score gradient `ds` (nil: none), plus any
    /// pending `messageStateGradient`.
    private func backwardFromScores(_ ds: Matrix?) {
        guard let batch, let message else { return }
        let last = settings.messageLength - 1
        unroll.beginBackward()
        if let ds {
            // Into the hidden gradient beginBackward cleared.
            scoring.backward(unroll.hiddenState(last), rows: reader.stateRows(message, rows: rows), candidates: batch.candidates,
                             scoreGradient: ds, stateGradient: unroll.hiddenGradient(last))
        }
        if stateGradientPending {
            let pending = messageStateGradient.rows(0..<readRows), gradient = unroll.hiddenGradient(last)
            for r in 0..<readRows { Kernels.axpy(1, pending.row(r), gradient.row(r), count: settings.hidden) }
            pending.zero()
            stateGradientPending = false
        }
        reader.backward(message, rows: rows)
    }

    /// Fraction of the last batch's games won.
    public func accuracy() -> Float {
        var total: Float = 0
        for b in 0..<rows { total += rewards[b] }
        return rows > 0 ? total / Float(rows) : 0
    }

    public func meanEntropy() -> Float {
        var total: Float = 0
        for b in 0..<rows { total += entropies[b] }
        return rows > 0 ? total / Float(rows) : 0
    }
}
