import Foundation
import KoineTensor

/// Whether messages are *used*, not only informative (Lowe et al. 2019, "On
/// the pitfalls of measuring emergent communication"): positive signalling
/// (the speaker's message depends on what it sees, reliably) and positive
/// listening (the listener's choice depends on the message). All in bits.
public enum Communication {
    /// Causal influence of communication for one game: the listener's
    /// choice distribution given each candidate's message (row k: the
    /// message the speaker sends when candidate k is the target), each
    /// candidate equally likely the target. The mean over k of
    /// KL(π(·|m_k) ‖ π̄), π̄ the mean of the rows: the mutual information
    /// between the message and the choice under intervention. 0 when the
    /// listener ignores its message; log₂ K for K distinct messages and a
    /// listener that always picks the message's candidate.
    public static func causalInfluence(_ probabilities: [[Double]]) -> Double {
        guard let width = probabilities.first?.count, !probabilities.isEmpty else { return 0 }
        var marginal = [Double](repeating: 0, count: width)
        for row in probabilities { for a in 0..<width { marginal[a] += row[a] / Double(probabilities.count) } }
        var total = 0.0
        for row in probabilities {
            for a in 0..<width where row[a] > 0 && marginal[a] > 0 { total += row[a] * log2(row[a] / marginal[a]) }
        }
        return max(0, total / Double(probabilities.count))
    }

    /// The listener's choice distribution from one row of its scores: their softmax.
    public static func choices(scores row: UnsafeMutablePointer<Float>, count: Int) -> [Double] {
        let top = (0..<count).map { Double(row[$0]) }.max() ?? 0
        let weights = (0..<count).map { exp(Double(row[$0]) - top) }
        let sum = weights.reduce(0, +)
        return weights.map { $0 / sum }
    }

    /// Speaker consistency: for each object, how often the speaker's most
    /// frequent message for it comes up among `samples[object]` (messages
    /// drawn from its policy), averaged over objects. 1 when every object
    /// always gets one message (a constant speaker too); 1/n at worst.
    public static func consistency(samples: [[[Int]]]) -> Double {
        let measured = samples.filter { !$0.isEmpty }
        guard !measured.isEmpty else { return .nan }
        var total = 0.0
        for messages in measured {
            var counts: [[Int]: Int] = [:]
            for message in messages { counts[message, default: 0] += 1 }
            total += Double(counts.values.max() ?? 0) / Double(messages.count)
        }
        return total / Double(measured.count)
    }

    /// Context independence (Bogin et al. 2018) of a lexicon over an
    /// attribute space: for each attribute value v, the symbol s that most
    /// often means it (largest p(v | s)), and p(s | v) · p(v | s); the mean
    /// over values. 1 when each value has a symbol of its own that appears
    /// exactly with it; near 0 when symbols do not follow values.
    public static func contextIndependence(lexicon: Lexicon, space: ObjectSpace) -> Double {
        let objects = space.trainingObjects.isEmpty ? Array(0..<space.count) : space.trainingObjects
        // Symbols each object's message contains, once each.
        let symbolSets = objects.map { Set(lexicon.trimmed($0)) }
        var symbolCounts: [Int: Int] = [:]
        for symbols in symbolSets { for s in symbols { symbolCounts[s, default: 0] += 1 } }
        var total = 0.0, values = 0
        for attribute in 0..<space.attributes.count {
            for value in 0..<space.attributes[attribute] {
                let having = objects.indices.filter { space.value(of: objects[$0], attribute: attribute) == value }
                guard !having.isEmpty else { continue }
                values += 1
                var together: [Int: Int] = [:]
                for index in having { for s in symbolSets[index] { together[s, default: 0] += 1 } }
                // The symbol most specific to the value (ties: the smaller symbol).
                let best = together.keys.sorted().max { a, b in
                    Double(together[a]!) / Double(symbolCounts[a]!) < Double(together[b]!) / Double(symbolCounts[b]!)
                }
                guard let symbol = best else { continue }
                let valueGivenSymbol = Double(together[symbol]!) / Double(symbolCounts[symbol]!)
                let symbolGivenValue = Double(together[symbol]!) / Double(having.count)
                total += valueGivenSymbol * symbolGivenValue
            }
        }
        return values > 0 ? total / Double(values) : .nan
    }
}

/// Buffers for showing a listener every candidate's message in turn.
public final class InterventionScratch {
    let arena = Arena()
    let batch: GameBatch
    var message: Message
    /// The object whose message each row carries.
    let senders: Indices
    let choices: Indices

    public init(capacity: Int, candidates: Int, settings: AgentSettings) {
        batch = GameBatch(size: capacity, candidates: candidates, arena: arena)
        message = Message(length: settings.messageLength, vocabulary: settings.vocabulary, capacity: capacity,
                          differentiable: settings.channel == .gumbel, arena: arena)
        senders = arena.indices(capacity)
        choices = arena.indices(capacity)
    }
}

/// Games a greedy listener played with a lexicon's messages, and what its
/// choices say about their use.
public struct PlayedGames {
    /// Causal influence and instantaneous coordination, in bits.
    public var causalInfluence: Double
    public var coordination: Double
    public var accuracy: Double
    /// Each game's target and the object chosen.
    public var targets: [Int]
    public var chosen: [Int]
}

extension Evaluation {
    /// What the greedy `listener` does with `lexicon`'s messages over the same
    /// games `accuracy` plays (same targets, repeats, sampler and `random`):
    /// the causal influence of the messages on its choices (each game's
    /// candidates' messages shown in turn, averaged over games) and the
    /// instantaneous coordination, the mutual information between the
    /// target's message and the object chosen (both in bits), and the
    /// accuracy of the games as played.
    public static func communication(
        listener: Listener, lexicon: Lexicon, targets: [Int], repeats: Int = 1, sampler: GameSampler,
        scratch: InterventionScratch, random: inout Random
    ) -> PlayedGames {
        guard !targets.isEmpty else { return PlayedGames(causalInfluence: .nan, coordination: .nan, accuracy: .nan, targets: [], chosen: []) }
        let candidates = scratch.batch.candidateCount
        let perCall = max(1, min(scratch.batch.size, listener.capacity) / candidates)
        let games = GameBatch(size: perCall, candidates: candidates, arena: scratch.arena)
        var influence = 0.0, wins = 0.0
        var sent: [[Int]] = [], chosen: [Int] = [], played: [Int] = []
        let total = targets.count * repeats
        var start = 0
        var unused = Random(seed: 0)  // greedy play draws nothing
        while start < total {
            let count = min(perCall, total - start)
            for g in 0..<count {
                sampler.fill(game: g, target: Int32(targets[(start + g) % targets.count]), batch: games, random: &random)
            }
            // Row g·K + k: game g's candidates, with candidate k's message.
            let rows = count * candidates
            let shown = scratch.batch.prefix(rows)
            for g in 0..<count {
                for k in 0..<candidates {
                    let row = g * candidates + k
                    for j in 0..<candidates { shown.candidates[row * candidates + j] = games.candidates[g * candidates + j] }
                    shown.targetPositions[row] = k
                    shown.targets[row] = games.candidates[g * candidates + k]
                    scratch.senders[row] = games.candidates[g * candidates + k]
                }
            }
            scratch.message.rows = rows
            EaseOfTeaching.write(lexicon: lexicon, targets: scratch.senders.prefix(rows), into: scratch.message)
            listener.listen(to: scratch.message, batch: shown, random: &unused, greedy: true)
            let scores = listener.lastScores
            for g in 0..<count {
                let distributions = (0..<candidates).map {
                    Communication.choices(scores: scores.row(g * candidates + $0), count: candidates)
                }
                influence += Communication.causalInfluence(distributions)
                // The game as played: the target's own message.
                let position = games.targetPositions[g], row = g * candidates + position
                sent.append(lexicon.trimmed(games.targets[g]))
                played.append(games.targets[g])
                chosen.append(games.candidates[g * candidates + Int(listener.choices.base[row])])
                wins += Double(listener.rewards[row])
            }
            start += count
        }
        return PlayedGames(causalInfluence: influence / Double(total), coordination: Information.mutualInformation(sent, chosen),
                           accuracy: wins / Double(total), targets: played, chosen: chosen)
    }

    /// Speaker consistency from its sampled policy: `samples` messages per
    /// object of `objects`, drawn from `random`.
    public static func consistency(of speaker: Speaker, objects: [Int], samples: Int, scratch: Indices,
                                   random: inout Random) -> Double {
        Communication.consistency(samples: sampledMessages(of: speaker, objects: objects, samples: samples, scratch: scratch,
                                                           random: &random))
    }

    /// `samples` messages drawn from the speaker's policy for each of
    /// `objects`, in the order of `objects`; `scratch` holds the speaker's capacity of ids.
    public static func sampledMessages(of speaker: Speaker, objects: [Int], samples: Int, scratch: Indices,
                                       random: inout Random) -> [[[Int]]] {
        var drawn = [[[Int]]](repeating: [], count: objects.count)
        let total = objects.count * samples
        var start = 0
        while start < total {
            let rows = min(speaker.capacity, total - start)
            let targets = scratch.prefix(rows)
            for b in 0..<rows { targets[b] = objects[(start + b) % objects.count] }
            speaker.speak(targets: targets, random: &random, greedy: false)
            for b in 0..<rows { drawn[(start + b) % objects.count].append(speaker.message.symbols(of: b)) }
            start += rows
        }
        return drawn
    }
}
