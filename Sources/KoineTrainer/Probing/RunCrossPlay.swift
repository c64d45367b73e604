import Foundation
import KoineGame
import KoineTensor

/// `koine crossplay A B`: whether independently trained populations
/// understand each other. Every speaker of run A (its `lexicon.tsv`) is played
/// by every listener of run B (its newest checkpoint, rank by rank) on B's
/// evaluation games, zero-shot; with `teach`, fresh listeners of B's
/// architecture also learn each of A's languages for that many steps.
public struct RunCrossPlay {
    /// A's speakers by (rank, index), B's listeners likewise.
    public let speakers: [(rank: Int, index: Int)]
    public let listeners: [(rank: Int, index: Int)]
    /// Greedy accuracy, a row per A speaker, a column per B listener.
    public let matrix: [[Double]]
    /// Per A speaker, when taught: B's fresh listeners' curves.
    public let taught: [EaseOfTeaching]?

    /// The game keys two runs must share to play each other's games.
    static let gameKeys = ["game.kind", "game.attributes", "game.holdout", "game.candidates", "game.vocab",
                           "game.message_length", "game.variable_length"]
    static let imageKeys = ["game.dataset", "game.dataset_path", "game.shapes.train", "game.shapes.test", "eval.images",
                            "train.batch"]

    public init(speakersOf first: String, listenersOf second: String, teach: Int? = nil,
                progress: (String) -> Void = { _ in }) throws {
        let lexiconFile = URL(fileURLWithPath: first).appendingPathComponent("lexicon.tsv").path
        guard FileManager.default.fileExists(atPath: lexiconFile) else {
            throw ConfigurationError("\(first): no lexicon.tsv (not a finished koine run)")
        }
        let firstConfiguration = try Configuration.load(file: URL(fileURLWithPath: first).appendingPathComponent("config.yaml").path)
        let opening = try SavedPopulation(run: second, rank: 0)
        let configuration = opening.population.configuration
        // The image game's lexicons cover its held-out scenes, drawn from the data set, eval.images and the scene size.
        let keys = Self.gameKeys + (configuration.game.kind == .images ? Self.imageKeys : [])
        for difference in firstConfiguration.differences(from: configuration) where keys.contains(difference.key) {
            throw ConfigurationError("\(first) and \(second) play different games: \(difference.key) is \(difference.mine) in the first, \(difference.theirs) in the second")
        }
        let game = opening.population.game
        guard game.playsLexicons else {
            throw ConfigurationError("\(second): this game's lexicons do not stand for its speakers, so runs cannot cross-play")
        }
        let settings = configuration.agentSettings
        let read = try LexiconFile.readEvery(lexiconFile, objects: game.lexiconObjects, settings: settings)
        // A's speakers are those A's run had: speakers its configuration gives
        // each rank, on the ranks its summary counts (a lexicon of thousands of
        // forged speakers was played, each against every listener of B).
        let speakersPerRank = firstConfiguration.population.speakers
        let ranks = FileManager.default.fileExists(atPath: URL(fileURLWithPath: first).appendingPathComponent("summary.json").path)
            ? try FinishedRun(directory: first).worldSize : nil
        for (speaker, _) in read where !(0..<speakersPerRank).contains(speaker.index) || !(0..<(ranks ?? Int.max)).contains(speaker.rank) {
            throw ConfigurationError("\(lexiconFile): speaker \(speaker.index) of rank \(speaker.rank): \(first) has speakers 0 to \(speakersPerRank - 1) (population.speakers)"
                                     + (ranks.map { " on ranks 0 to \($0 - 1) (summary.json's world_size)" } ?? " on each rank"))
        }
        speakers = read.map(\.speaker)
        let lexicons = read.map(\.lexicon)
        var columns: [[Double]] = Array(repeating: [], count: lexicons.count)
        var listeners: [(Int, Int)] = []
        for rank in 0..<opening.worldSize {
            progress("listeners of rank \(rank + 1)/\(opening.worldSize)")
            let saved = rank == 0 ? opening : try SavedPopulation(run: second, rank: rank)
            let played = saved.population.game.crossPlay(lexicons: lexicons, listeners: saved.population.listeners,
                                                         batch: configuration.train.batch) ?? []
            for (row, accuracies) in played.enumerated() { columns[row] += accuracies }
            listeners += saved.population.listeners.indices.map { (rank, $0) }
        }
        self.listeners = listeners
        matrix = columns
        if let steps = teach {
            taught = lexicons.enumerated().map { index, lexicon in
                progress("teaching speaker \(index + 1)/\(lexicons.count) to fresh listeners")
                return EaseOfTeaching.measure(lexicon: lexicon, game: game, settings: settings, rule: configuration.eval.teachingRule,
                                              listeners: configuration.eval.easeListeners, steps: steps, batch: configuration.train.batch,
                                              random: Random(seed: UInt64(configuration.seed)).split(42, UInt64(index)))
            }
        } else {
            taught = nil
        }
    }

    /// The mean over every pair.
    public var meanAccuracy: Double {
        let values = matrix.joined()
        return values.isEmpty ? .nan : values.reduce(0, +) / Double(values.count)
    }
}
