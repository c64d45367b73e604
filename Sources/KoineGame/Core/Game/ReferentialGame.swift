import KoineTensor

/// A referential game as populations, the trainer, evaluation, checkpoints
/// and cross-rank games see it: objects named by ids `0..<objectCount`, games
/// drawn over them (a target among `candidates`), an encoder that turns
/// objects into what agents read, and the figures that measure a language.
/// The attribute game of Li & Bowling is one, the image game of Havrylov &
/// Titov another; Lewis's reconstruction game, whose listener names the
/// target's attributes instead of choosing it, plays games of the target alone.
public protocol ReferentialGame: AnyObject {
    /// Objects agents can be shown.
    var objectCount: Int { get }
    /// Objects per game: the target and its distractors (the target alone
    /// when the listener does not choose).
    var candidates: Int { get }

    /// How this game's listeners decide (the head each is built with): pick
    /// the target among the game's candidates (the default).
    var listenerHead: ListenerHeadFactory { get }

    /// The game's scenes when its objects do not all fit in an encoder's
    /// table (the image game's data set); nil when the tables cover every
    /// object (the attribute game), so games name objects by id.
    var scenes: SceneSource? { get }

    /// Fills `batch` with training games (over the scene, when there is one).
    func sample(into batch: GameBatch, random: inout Random)

    /// A fresh encoder of this game's objects into `hidden` features.
    func makeEncoder(hidden: Int, optimizer: OptimizerSettings, random: Random) -> ObjectEncoder

    /// Greedy play of every speaker with every listener, and the figures of
    /// the speakers' languages; `encoders` are the agents' (each once).
    func evaluate(speakers: [Speaker], listeners: [Listener], encoders: [ObjectEncoder], batch: Int) -> GameEvaluation

    /// The speaker's greedy message for each object people are shown in
    /// `lexicon.tsv` (every object of the attribute game; the held-out
    /// images of the image game), in the order `describe(object:)` numbers them.
    func lexicon(of speaker: Speaker) -> Lexicon

    /// What the lexicon's object `object` is, for people: e.g. its attribute values.
    func describe(object: Int) -> String

    /// The column name of those descriptions.
    var descriptionColumn: String { get }

    /// Cross-play: the greedy accuracy of each of `listeners` with each of
    /// `lexicons` (any speaker's, another rank's or another run's, as
    /// `lexicon(of:)` gives them) on the evaluation games, a row per lexicon;
    /// nil when the game's lexicons cannot stand for their speakers (the
    /// image game's cover its held-out images only).
    func crossPlay(lexicons: [Lexicon], listeners: [Listener], batch: Int) -> [[Double]]?

    /// Whether a lexicon stands for its speaker in this game's evaluation
    /// (every object it covers has one message), so `play` and `crossPlay`
    /// can play it.
    var playsLexicons: Bool { get }

    /// Objects a lexicon covers (`lexicon(of:)`'s messages): every object of
    /// the attribute game, the held-out images of the image game.
    var lexiconObjects: Int { get }

    /// The evaluation games `listener` plays with `lexicon`'s messages
    /// (`crossPlay`'s, one pair); nil when the game's lexicons cannot stand
    /// for their speakers.
    func play(lexicon: Lexicon, listener: Listener, batch: Int) -> PlayedGames?

    /// Object `object`'s attribute values, when the game's objects have them.
    func attributes(of object: Int) -> [Int]?

    /// Object `object`'s class, when the game's objects have one (the image
    /// game's data sets label every picture).
    func classLabel(of object: Int) -> Int?

    /// `samples` messages drawn from `speaker`'s policy for each object a
    /// lexicon covers, in the lexicon's order: what `lexicon(of:)` says
    /// greedily, sampled, for the speaker's consistency.
    func sampledMessages(of speaker: Speaker, samples: Int, random: inout Random) -> [[[Int]]]
}

extension ReferentialGame {
    public var listenerHead: ListenerHeadFactory { CandidateChoice(candidates: candidates) }
    public var scenes: SceneSource? { nil }
    public var playsLexicons: Bool { false }
    public var lexiconObjects: Int { objectCount }
    public func play(lexicon: Lexicon, listener: Listener, batch: Int) -> PlayedGames? { nil }
    public func attributes(of object: Int) -> [Int]? { nil }
    public func classLabel(of object: Int) -> Int? { nil }

    /// A game without scenes: the speaker's encoder table holds every object.
    public func sampledMessages(of speaker: Speaker, samples: Int, random: inout Random) -> [[[Int]]] {
        speaker.encoder.forward()
        let arena = Arena()
        defer { withExtendedLifetime(arena) {} }
        return Evaluation.sampledMessages(of: speaker, objects: Array(0..<lexiconObjects), samples: samples,
                                          scratch: arena.indices(speaker.capacity), random: &random)
    }

    public func crossPlay(lexicons: [Lexicon], listeners: [Listener], batch: Int) -> [[Double]]? {
        guard playsLexicons else { return nil }
        return lexicons.map { lexicon in
            listeners.map { play(lexicon: lexicon, listener: $0, batch: batch)?.accuracy ?? .nan }
        }
    }
}

/// The scenes of a game with more objects than a step can encode: each step,
/// each rank plays its games over a scene of objects that every encoder
/// encodes once (`ObjectEncoder.select`) and games name by position.
public protocol SceneSource: AnyObject {
    /// Objects in one rank's scene.
    var sceneSize: Int { get }

    /// Writes rank `rank`'s scene of step `step` into `scene` (`sceneSize`
    /// ids). It depends on the run's seed, the rank and the step alone, so a
    /// rank that plays another's games can encode that rank's scene: the
    /// objects' ids travel, never their pixels.
    func drawScene(step: Int, rank: Int, into scene: Indices)

    /// Appends to `encoder`'s selected scene the rows speakers read in place of
    /// the scene's own (see `ObjectEncoder.appendSenderView`) and returns the
    /// first such row; 0 when speakers read the scene as it is. The
    /// alteration depends on the run's seed, `step` and `rank` alone.
    func addSenderView(to encoder: ObjectEncoder, step: Int, rank: Int) -> Int
}

/// One evaluation game as played: who spoke to whom, what the target was
/// (its id and, for people, what it is: attribute values, an image's class),
/// the message, the listener's choice and the reward.
public struct Interaction {
    public var speaker: Int
    public var listener: Int
    public var target: Int
    public var targetDescription: String
    public var message: [Int]
    public var choice: Int
    public var reward: Int

    public init(speaker: Int, listener: Int, target: Int, targetDescription: String, message: [Int], choice: Int, reward: Int) {
        self.speaker = speaker
        self.listener = listener
        self.target = target
        self.targetDescription = targetDescription
        self.message = message
        self.choice = choice
        self.reward = reward
    }
}

/// A game's evaluation: named figures, in the order reports show them,
/// accuracy first, and the speakers' lexicons.
public struct GameEvaluation {
    public var figures: [(name: String, value: Double)]
    public var lexicons: [Lexicon]
    /// Figures whose minimum and maximum over ranks are reported beside their mean.
    public var spreadFigures: [String]
    /// The games played, in play order (for `eval.interactions`).
    public var interactions: [Interaction]
    /// When the evaluation already played each speaker's lexicon with each
    /// listener (`ReferentialGame.play`): their accuracies, a row per speaker,
    /// so cross-play need not play this rank's pairs again.
    public var lexiconAccuracy: [[Double]]?

    public init(figures: [(name: String, value: Double)], lexicons: [Lexicon], spreadFigures: [String],
                interactions: [Interaction] = [], lexiconAccuracy: [[Double]]? = nil) {
        self.figures = figures
        self.lexicons = lexicons
        self.spreadFigures = spreadFigures
        self.interactions = interactions
        self.lexiconAccuracy = lexiconAccuracy
    }

    public subscript(name: String) -> Double? {
        figures.first { $0.name == name }?.value
    }
}
