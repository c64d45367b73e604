import Foundation
import KoineGame
import KoineTensor

/// `koine probe RUN`: interventions on a trained speaker's messages, played
/// by a trained listener on the evaluation games, so a user sees causally what
/// the messages carry: scrambled across objects, one position replaced by
/// random symbols, two positions swapped, every symbol zero. Each reports
/// accuracy, causal influence, the speaker's consistency under the same
/// change, and per attribute how often the object chosen has the target's value.
public struct Probe {
    public struct Intervention {
        public let name: String
        public let accuracy: Double
        public let causalInfluence: Double
        public let consistency: Double
        /// Per attribute: games whose chosen object has the target's value.
        public let attributeAccuracy: [Double]
    }

    public let speaker: Int
    public let listener: Int
    public let step: Int
    public let interventions: [Intervention]

    /// Samples per object for the speaker's consistency.
    static let samples = 20

    public init(run directory: String, rank: Int = 0, speaker s: Int = 0, listener l: Int = 0, seed: UInt64 = 1) throws {
        let saved = try SavedPopulation(run: directory, rank: rank)
        let population = saved.population, game = population.game
        // Probing samples the speaker on every object and reads their attributes: the attribute game's.
        guard game.playsLexicons, game.attributes(of: 0) != nil else {
            throw ConfigurationError("\(directory): probing plays lexicons over attribute objects, which the image game has not (game.kind: attributes or reconstruction)")
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
        let lexicon = population.lexicon(of: s)
        let objects = game.objectCount, settings = population.settings
        // The speaker's own sampled messages, each intervention applied to them too.
        let arena = Arena()
        var sampling = Random(seed: seed).split(1)
        let speakerAgent = population.speakers[s]
        let drawn = Evaluation.sampledMessages(of: speakerAgent, objects: Array(0..<objects), samples: Self.samples,
                                               scratch: arena.indices(speakerAgent.capacity), random: &sampling)
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
                                attributeAccuracy: Self.attributeAccuracy(played, game: game))
        }
    }

    /// One intervention: object o's message becomes `transform` of the
    /// message of object `source(o)`.
    struct Change {
        let name: String
        var source: (Int) -> Int = { $0 }
        var transform: ([Int], inout Random) -> [Int] = { message, _ in message }
    }

    /// Per attribute, the share of games whose chosen object has the target's value.
    static func attributeAccuracy(_ played: PlayedGames, game: ReferentialGame) -> [Double] {
        guard let first = played.targets.first, let width = game.attributes(of: first)?.count else { return [] }
        var matches = [Double](repeating: 0, count: width)
        for (target, chosen) in zip(played.targets, played.chosen) {
            guard let a = game.attributes(of: target), let b = game.attributes(of: chosen) else { continue }
            for i in 0..<width where a[i] == b[i] { matches[i] += 1 }
        }
        return matches.map { $0 / Double(max(played.targets.count, 1)) }
    }
}
