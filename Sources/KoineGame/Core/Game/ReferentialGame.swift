import KoineTensor

/// A referential game as populations, the trainer, evaluation, checkpoints
/// and cross-rank games see it: objects named by ids `0..<objectCount`, games
/// drawn over them (a target among `candidates`), an encoder that turns
/// objects into what agents read, and the figures that measure a language.
/// The attribute game of Li & Bowling is one; the image game will be another.
public protocol ReferentialGame: AnyObject {
    /// Objects agents can be shown.
    var objectCount: Int { get }
    /// Objects per game: the target and its distractors.
    var candidates: Int { get }

    /// Fills `batch` with training games.
    func sample(into batch: GameBatch, random: inout Random)

    /// A fresh encoder of this game's objects into `hidden` features.
    func makeEncoder(hidden: Int, optimizer: OptimizerSettings, random: Random) -> ObjectEncoder

    /// Greedy play of every speaker with every listener, and the figures of
    /// the speakers' languages. The agents' encoders must be current.
    func evaluate(speakers: [Speaker], listeners: [Listener], batch: Int) -> GameEvaluation

    /// What an object is, for people (`lexicon.tsv`): e.g. its attribute values.
    func describe(object: Int) -> String

    /// The column name of those descriptions.
    var descriptionColumn: String { get }
}

/// A game's evaluation: named figures, in the order reports show them,
/// accuracy first, and the speakers' lexicons.
public struct GameEvaluation {
    public var figures: [(name: String, value: Double)]
    public var lexicons: [Lexicon]
    /// Figures whose minimum and maximum over ranks are reported beside their mean.
    public var spreadFigures: [String]

    public init(figures: [(name: String, value: Double)], lexicons: [Lexicon], spreadFigures: [String]) {
        self.figures = figures
        self.lexicons = lexicons
        self.spreadFigures = spreadFigures
    }

    public subscript(name: String) -> Double? {
        figures.first { $0.name == name }?.value
    }
}
