import KoineTensor

/// Greedy play of trained agents, the pieces every game's evaluation uses.
public enum Evaluation {
    /// The speaker's greedy message for each of `objects` objects, computed in
    /// chunks of its batch capacity (`scratch` holds at least that many ids).
    public static func lexicon(of speaker: Speaker, objects: Int, scratch: Indices) -> Lexicon {
        var messages = [[Int]](repeating: [], count: objects)
        var random = Random(seed: 0)  // unused by greedy decoding
        var start = 0
        while start < objects {
            let rows = min(speaker.capacity, objects - start)
            let targets = scratch.prefix(rows)
            for b in 0..<rows { targets[b] = start + b }
            speaker.speak(targets: targets, random: &random, greedy: true)
            for b in 0..<rows { messages[start + b] = speaker.message.symbols(of: b) }
            start += rows
        }
        return Lexicon(messages: messages, endOfMessage: speaker.settings.variableLength ? Int(speaker.settings.endOfMessage) : nil)
    }

    /// Greedy accuracy of a speaker–listener pair over games whose targets
    /// are `targets`, each `repeats` times, with distractors drawn by
    /// `sampler` from `random`.
    public static func accuracy(
        speaker: Speaker, listener: Listener, targets: [Int], repeats: Int = 1, sampler: GameSampler, batch: GameBatch,
        random: inout Random
    ) -> Double {
        guard !targets.isEmpty else { return .nan }
        var wins = 0.0
        var start = 0
        let total = targets.count * repeats
        let capacity = min(batch.size, speaker.capacity, listener.capacity)
        while start < total {
            let rows = min(capacity, total - start)
            let games = batch.prefix(rows)
            for b in 0..<rows {
                sampler.fill(game: b, target: Int32(targets[(start + b) % targets.count]), batch: games, random: &random)
            }
            speaker.speak(targets: games.targets, random: &random, greedy: true)
            listener.listen(to: speaker.message, batch: games, random: &random, greedy: true)
            for b in 0..<rows { wins += Double(listener.rewards[b]) }
            start += rows
        }
        return wins / Double(total)
    }
}
