import Foundation
import KoineGame
import KoineTensor

/// `koine probe RUN`: interventions on a trained speaker's messages, played
/// by a trained listener on the evaluation games (the image game's held-out
/// scenes), so a user sees causally what the messages carry: scrambled
/// across objects, one position replaced by random symbols, two positions
/// swapped, every symbol zero. Each reports accuracy, causal influence, the
/// speaker's consistency under the same change, and per trait (an attribute,
/// an image's class) how often the object chosen has the target's value.
public struct Probe {
    public struct Intervention {
        public let name: String
        public let accuracy: Double
        public let causalInfluence: Double
        public let consistency: Double
        /// Per trait of `Probe.traits`: games whose chosen object has the target's value.
        public let sharedWithTarget: [Double]
    }

    public let speaker: Int
    public let listener: Int
    public let step: Int
    /// What a chosen object can share with the target in this game.
    public let traits: TargetTraits
    public let interventions: [Intervention]

    /// Samples per object for the speaker's consistency.
    static let samples = 20

    public init(run directory: String, rank: Int = 0, speaker s: Int = 0, listener l: Int = 0, seed: UInt64 = 1) throws {
        let saved = try SavedPopulation(run: directory, rank: rank)
        let population = saved.population, game = population.game
        // Probing plays changed lexicons and compares what was chosen with the target.
        guard game.playsLexicons, let traits = TargetTraits(game: game) else {
            throw ConfigurationError("\(directory): this game's lexicons do not stand for its speakers, or its objects have neither attributes nor classes, so it cannot be probed")
        }
        guard population.speakers.indices.contains(s) else {
            throw ConfigurationError("--speaker \(s): rank \(rank) has speakers 0 to \(population.speakers.count - 1)")
        }
        guard population.listeners.indices.contains(l) else {
            throw ConfigurationError("--listener \(l): rank \(rank) has listeners 0 to \(population.listeners.count - 1)")
        }
        speaker = s
        listener = l
        step = saved.step
        self.traits = traits
        let lexicon = population.lexicon(of: s)
        let objects = game.lexiconObjects, settings = population.settings
        // The speaker's own sampled messages, each intervention applied to them too.
        var sampling = Random(seed: seed).split(1)
        let drawn = game.sampledMessages(of: population.speakers[s], samples: Self.samples, random: &sampling)
        // Scrambled: object o says what object π(o) said (π drawn once).
        var shuffle = Random(seed: seed).split(2)
        var permutation = Array(0..<objects)
        for i in stride(from: objects - 1, to: 0, by: -1) { permutation.swapAt(i, shuffle.nextInt(below: i + 1)) }
        var changes = [Change(name: "none"), Change(name: "scrambled across objects", source: { permutation[$0] })]
        for position in 0..<settings.messageLength {
            changes.append(Change(name: "position \(position) random", transform: { message, random in
                var changed = message
                changed[position] = random.nextInt(below: settings.vocabulary)
                return changed
            }))
        }
        for position in 0..<max(settings.messageLength - 1, 0) {
            changes.append(Change(name: "positions \(position) and \(position + 1) swapped", transform: { message, _ in
                var changed = message
                changed.swapAt(position, position + 1)
                return changed
            }))
        }
        changes.append(Change(name: "every symbol zero", transform: { message, _ in message.map { _ in 0 } }))
        let listenerAgent = population.listeners[l]
        interventions = try changes.enumerated().map { index, change in
            // The greedy lexicon and the sampled messages, changed alike.
            var random = Random(seed: seed).split(3, UInt64(index))
            let messages = (0..<objects).map { change.transform(lexicon.messages[change.source($0)], &random) }
            let samples = (0..<objects).map { object in drawn[change.source(object)].map { change.transform($0, &random) } }
            let changed = Lexicon(messages: messages, endOfMessage: lexicon.endOfMessage)
            guard let played = game.play(lexicon: changed, listener: listenerAgent, batch: population.configuration.train.batch) else {
                throw ConfigurationError("\(directory): the game did not play the lexicon")
            }
            return Intervention(name: change.name, accuracy: played.accuracy, causalInfluence: played.causalInfluence,
                                consistency: Communication.consistency(samples: samples),
                                sharedWithTarget: traits.shares(played))
        }
    }

    /// One intervention: object o's message becomes `transform` of the
    /// message of object `source(o)`.
    struct Change {
        let name: String
        var source: (Int) -> Int = { $0 }
        var transform: ([Int], inout Random) -> [Int] = { message, _ in message }
    }
}
