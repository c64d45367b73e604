import KoineTensor

/// What a listener does with a message once its cell has read it: the game's
/// decision, made from the cell's last state. In a referential game it picks
/// a candidate (`CandidateHead`); in the reconstruction game it names the
/// target's attribute values (Games/Reconstruction). The head owns its
/// layers (claimed in the listener's parameters), its outputs, the reward
/// each game earns its speaker, and the way back to the state; the listener
/// owns the reading, the message's gradient and the order of the passes.
public protocol ListenerHead: AnyObject {
    /// Whether the decision is drawn from a softmax policy, which REINFORCE
    /// trains by its score function (a candidate). False for a head that
    /// predicts: it decides deterministically and learns by its loss under
    /// every channel, as EGG's deterministic receivers do; the channel never
    /// asks it for `reinforceGradient`.
    var decidesBySampling: Bool { get }
    /// What the last forward decided in each game, and what it earned.
    var outcomes: HeadOutcomes { get }
    /// The last forward's outputs, a row per game: the candidates' scores,
    /// or every attribute value's logit.
    var outputs: Matrix { get }
    /// The pass of the query layer in the last forward; nil for a head without one.
    var queryPass: QueryScoringPass? { get }

    /// Decides every game of `batch` from `states` (the cell's last state
    /// rows; game b reads row `rows[b]`, or row b when `rows` is nil):
    /// sampled from the policy when `sampled` and the head samples, the most
    /// likely decision otherwise.
    func forward(_ states: Matrix, rows: Indices?, batch: GameBatch, sampled: Bool, random: inout Random)

    /// REINFORCE's gradient of the last forward's outputs, for
    /// −(advantage·log p(decision) + β·H) times `scale`; returns the loss's
    /// mean over the games. Only for heads that decide by sampling.
    func reinforceGradient(advantages: UnsafePointer<Float>, entropyWeight: Float, scale: Float) -> Float

    /// The gradient of the outputs for the supervised loss `loss` of the
    /// last forward's games, times `scale`; returns its mean over the games.
    func lossGradient(_ loss: ListenerLossKind, batch: GameBatch, scale: Float) -> Float

    /// Backward from the output gradient the last `reinforceGradient` or
    /// `lossGradient` left: adds ∂L/∂states into `stateGradient` and into the
    /// head's parameters' gradients (and the encoder's table, when the head
    /// reads it). Same `states`, `rows` and `batch` as the forward.
    func backward(_ states: Matrix, rows: Indices?, batch: GameBatch, stateGradient: Matrix)

    /// Fraction of the last forward's games won (for a prediction, every part right).
    func accuracy() -> Float
}

/// What a head leaves per game of its last forward, in buffers for
/// `capacity` games.
public struct HeadOutcomes {
    /// Ids decided per game: 1 (the chosen candidate's position) or one per
    /// attribute (its value).
    public let width: Int
    /// The decisions, `width` per game, game-major.
    public let decisions: Indices
    /// Each game's reward for its speaker: 1 or 0 for a candidate, minus the
    /// loss for a prediction.
    public let rewards: UnsafeMutablePointer<Float>
    /// Each game's log-probability of its decision, and its policy's entropy.
    public let chosenLogProbabilities: UnsafeMutablePointer<Float>
    public let entropies: UnsafeMutablePointer<Float>

    public init(capacity: Int, width: Int, arena: Arena) {
        self.width = width
        decisions = arena.indices(capacity * width)
        rewards = arena.floats(capacity)
        chosenLogProbabilities = arena.floats(capacity)
        entropies = arena.floats(capacity)
    }
}

/// How a game's listeners are built to decide: the head each listener gets
/// (`ReferentialGame.listenerHead`).
public protocol ListenerHeadFactory {
    /// Parameters the head's layers claim, after the listener's reader.
    func parameterCount(_ settings: AgentSettings) -> Int

    /// A head for a listener of `settings` that plays up to `capacity` games
    /// a batch: its layers claimed from `parameters` (before they are
    /// initialised), its buffers from `arena`.
    func makeHead(settings: AgentSettings, encoder: ObjectEncoder, capacity: Int, parameters: Parameters, arena: Arena,
                  shortcuts: AgentShortcuts) -> ListenerHead
}

/// The mean of `values` over the first `games` games of a batch (0 for
/// none): a head's accuracy, a listener's mean entropy.
func meanOverGames(_ values: UnsafePointer<Float>, _ games: Int) -> Float {
    var total: Float = 0
    for b in 0..<games { total += values[b] }
    return games > 0 ? total / Float(games) : 0
}
