import KoineGame
import KoineTensor

/// The small agents the gradient checks differentiate: a speaker and a
/// listener sharing an attribute encoder over 3 × 3 objects (hidden 6; 6
/// one-hot features and a bias, fewer than the objects), and a
/// batch of `games` games with 3 candidates each. The arena owns the batch.
struct AgentFixture {
    let space: ObjectSpace
    let encoder: ObjectEncoder
    let speaker: Speaker
    let listener: Listener
    let batch: GameBatch
    let arena: Arena

    init(settings: AgentSettings, games: Int, shortcuts: AgentShortcuts = AgentShortcuts()) throws {
        space = try ObjectSpace(attributes: [3, 3], holdout: 0, random: Random(seed: 1))
        encoder = AttributeEncoder(space: space, hidden: settings.hidden, optimizer: settings.optimizer, random: Random(seed: 2))
        speaker = Speaker(settings: settings, encoder: encoder, capacity: games, random: Random(seed: 3), shortcuts: shortcuts)
        listener = Listener(settings: settings, encoder: encoder, capacity: games, candidates: 3, random: Random(seed: 4),
                            shortcuts: shortcuts)
        arena = Arena()
        batch = GameBatch(size: games, candidates: 3, arena: arena)
        var random = Random(seed: 5)
        GameSampler(targets: space.trainingObjects, distractors: space.trainingObjects, candidates: 3).sample(into: batch, random: &random)
    }
}
