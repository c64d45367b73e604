import Foundation
import KoineGame
import KoineTensor

/// `koine teach`: fresh listeners learn a language read from a file, as a run
/// measures its own speakers' languages (`eval.ease_of_teaching`), so any
/// lexicon — a run's, a hand-made one, another code's — can be measured alike.
public enum LexiconTeaching {
    /// Teaches the lexicon of `speaker` in `path` with the game, agents and
    /// `eval.ease_of_teaching` settings of `configuration`.
    public static func measure(configuration: Configuration, lexicon path: String, speaker: (rank: Int, index: Int) = (0, 0),
                               listenerTaught: (Int) -> Void = { _ in }) throws -> EaseOfTeaching {
        guard configuration.game.kind != .images else {
            throw ConfigurationError("game.kind: ease of teaching is measured over attribute objects only; expected attributes or reconstruction, got \(configuration.game.kind.rawValue)")
        }
        let random = Random(seed: UInt64(configuration.seed))
        let game = try configuration.makeGame(random: random.split(1))
        let settings = configuration.agentSettings
        let lexicon = try LexiconFile.read(path, speaker: speaker, objects: game.objectCount, settings: settings)
        return EaseOfTeaching.measure(
            lexicon: lexicon, game: game, settings: settings, rule: configuration.eval.teachingRule,
            listeners: configuration.eval.easeListeners, steps: configuration.eval.easeSteps, batch: configuration.train.batch,
            random: random.split(41), listenerTaught: listenerTaught)
    }
}
