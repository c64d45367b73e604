import KoineTensor

/// The listener: a recurrent cell reads the message, and the game's head
/// (`ListenerHead`) decides from its last state: in a referential game a
/// linear layer turns it into a query and each candidate is scored by the
/// dot product of the query with the candidate's encoding (CandidateHead).
public final class Listener {
    public let settings: AgentSettings
    public let module: Module
    public let encoder: ObjectEncoder
    public let capacity: Int
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
    /// What the listener decides from the message, as its game makes
    /// listeners decide (`ReferentialGame.listenerHead`).
    public let head: ListenerHead
    /// Whether the last `listen` folded the query into the table, or factored it.
    public var foldedQuery: Bool { head.queryPass == .folded }
    public var factoredQuery: Bool { head.queryPass == .factored }
    /// Rows the last `listen` ran its recurrent pass over: distinct messages, or games.
    public var readRows: Int { unroll.rows(settings.messageLength - 1) }

    /// Rows the last `listen` ran step `step` over (distinct prefixes, messages, or games).
    public func readRows(step: Int) -> Int { unroll.rows(step) }
    /// What each game's listener decided (the candidate it picked), and its reward.
    public var choices: Indices { head.outcomes.decisions }
    public var rewards: UnsafeMutablePointer<Float> { head.outcomes.rewards }
    public var chosenLogProbabilities: UnsafeMutablePointer<Float> { head.outcomes.chosenLogProbabilities }
    public var entropies: UnsafeMutablePointer<Float> { head.outcomes.entropies }
    /// Games of the last `listen`.
    public private(set) var rows = 0
    var batch: GameBatch?
    var message: Message?
    /// Whether `messageStateGradient` holds a gradient the next backward adds
    /// (set by the task that wrote it, `RotationTask`).
    public internal(set) var stateGradientPending = false

    public static func parameterCount(_ settings: AgentSettings, head: ListenerHeadFactory) -> Int {
        SymbolInput.parameterCount(kind: settings.symbolInput, symbols: settings.vocabulary, hidden: settings.hidden)
            + RecurrentUnroll.parameterCount(kind: settings.cell, input: settings.symbolInputWidth, hidden: settings.hidden)
            + head.parameterCount(settings)
    }

    /// A listener of a referential game with `candidates` objects per game.
    public convenience init(settings: AgentSettings, encoder: ObjectEncoder, capacity: Int, candidates: Int, random: Random,
                            shortcuts: AgentShortcuts = AgentShortcuts(), workspace: Workspace? = nil) {
        self.init(settings: settings, encoder: encoder, capacity: capacity, head: CandidateChoice(candidates: candidates),
                  random: random, shortcuts: shortcuts, workspace: workspace)
    }

    public init(settings: AgentSettings, encoder: ObjectEncoder, capacity: Int, head kind: ListenerHeadFactory, random: Random,
                shortcuts: AgentShortcuts = AgentShortcuts(), workspace: Workspace? = nil) {
        // With a workspace, every buffer below, the gradient first, is shared
        // with the other listeners on it (see Workspace): each turn must be whole.
        let arena = workspace.map { Arena(workspace: $0) } ?? Arena()
        self.arena = arena
        self.settings = settings
        self.encoder = encoder
        self.capacity = capacity
        let h = settings.hidden, length = settings.messageLength
        let count = Listener.parameterCount(settings, head: kind)
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
        head = kind.makeHead(settings: settings, encoder: encoder, capacity: capacity, parameters: parameters, arena: arena,
                             shortcuts: shortcuts)
        module = Module(parameters: parameters, settings: settings.optimizer, initializer: random)
        messageStateGradient = arena.matrix(rows: capacity, columns: h)
        let table = TableReader(unroll: unroll, symbolInput: symbolInput,
                                inputTable: InputTable(symbols: settings.vocabulary, gateWidth: unroll.gateWidth, arena: arena),
                                groups: groups, sharing: sharing)
        reader = settings.channel == .gumbel && !shortcuts.foldsRelaxedInputs ? PerGameReader(table: table, capacity: capacity, arena: arena)
            : table
    }

    /// Reads `message` and decides each game of `batch` (picks a candidate):
    /// sampled from the head's policy for REINFORCE training, its most likely
    /// decision otherwise. Leaves each game's reward in `rewards` (1 or 0 for
    /// a candidate).
    public func listen(to message: Message, batch: GameBatch, random: inout Random, greedy: Bool) {
        rows = batch.size
        precondition(rows == message.rows && rows <= capacity)
        self.batch = batch
        self.message = message
        reader.forward(message, rows: rows)
        head.forward(unroll.hiddenState(settings.messageLength - 1), rows: reader.stateRows(message, rows: rows), batch: batch,
                     sampled: !greedy && settings.channel == .reinforce, random: &random)
    }

    /// REINFORCE backward: loss = −(advantage·log p(decision) + β·H), times
    /// `scale`; returns the loss's mean over the games.
    @discardableResult
    public func backwardReinforce(advantages: UnsafePointer<Float>, entropyWeight beta: Float, scale: Float) -> Float {
        let loss = head.reinforceGradient(advantages: advantages, entropyWeight: beta, scale: scale)
        backwardFromHead(true)
        return loss
    }

    /// Supervised backward (the Gumbel channel's, and a predicting head's
    /// under every channel): cross-entropy of the target (its position among
    /// the candidates; its attribute values), times `scale`; a relaxed
    /// message's gradient is added into `message.gradients` for the speaker.
    /// Returns the mean cross-entropy.
    @discardableResult
    public func backwardCrossEntropy(scale: Float) -> Float {
        backwardLoss(.crossEntropy, scale: scale)
    }

    /// Supervised backward for the Gumbel channel with Havrylov & Titov's
    /// hinge loss, Σ over distractors k of max(0, 1 − s_target + s_k), times
    /// `scale`; the message gradient is added into `message.gradients` for the
    /// speaker. Returns the loss's mean over the games.
    @discardableResult
    public func backwardHinge(scale: Float) -> Float {
        backwardLoss(.hinge, scale: scale)
    }

    private func backwardLoss(_ loss: ListenerLossKind, scale: Float) -> Float {
        guard let batch else { return 0 }
        let mean = head.lossGradient(loss, batch: batch, scale: scale)
        backwardFromHead(true)
        return mean
    }

    /// The head's outputs of the last `listen`, a row per game: the
    /// candidates' scores (`games × candidates`), or the attribute values' logits.
    public var lastScores: Matrix { head.outputs.rows(0..<rows) }

    /// The recurrent state after the last `listen`'s messages, a row per read
    /// row (per game for relaxed messages): what the query is made from.
    public var messageState: Matrix { unroll.hiddenState(settings.messageLength - 1).rows(0..<readRows) }

    /// Backward of another task's loss alone, from `messageStateGradient`:
    /// no game loss; a relaxed message's gradient goes to the speaker as usual.
    public func backwardFromState() {
        backwardFromHead(false)
    }

    /// Backward from the output gradient the head holds (when `throughHead`),
    /// plus any pending `messageStateGradient`.
    private func backwardFromHead(_ throughHead: Bool) {
        guard let batch, let message else { return }
        let last = settings.messageLength - 1
        unroll.beginBackward()
        if throughHead {
            // Into the hidden gradient beginBackward cleared.
            head.backward(unroll.hiddenState(last), rows: reader.stateRows(message, rows: rows), batch: batch,
                          stateGradient: unroll.hiddenGradient(last))
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
    public func accuracy() -> Float { head.accuracy() }

    public func meanEntropy() -> Float { meanOverGames(entropies, rows) }
}
