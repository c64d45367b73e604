import KoineCluster
import KoineGame
import KoineTelemetry

/// Who understands whom: every speaker's greedy lexicon, from every rank,
/// played by every listener of every rank on the evaluation games. Rows are
/// speakers and columns listeners, both in rank order. A collective.
public struct CrossPlay {
    public let matrix: [[Double]]
    public let speakerRanks: [Int]
    public let listenerRanks: [Int]

    /// A listener understands a speaker when its greedy accuracy with it is at least this.
    public static let understood = 0.9

    /// Nil when the game's lexicons cannot stand for their speakers.
    static func measure(_ population: Population, evaluation: GameEvaluation, communicator: Communicator) throws -> CrossPlay? {
        let lexicons = evaluation.lexicons
        let game = population.game, size = communicator.size, rank = communicator.rank
        let speakers = population.speakers.count, listeners = population.listeners.count
        let objects = game.lexiconObjects, length = population.settings.messageLength
        guard lexicons.count == speakers, game.playsLexicons else { return nil }
        // Every rank's lexicons, symbol + 1 per slot (0: not this rank's).
        var symbols = [Double](repeating: 0, count: size * speakers * objects * length)
        for (s, lexicon) in lexicons.enumerated() {
            for o in 0..<objects {
                for (t, symbol) in lexicon.messages[o].prefix(length).enumerated() {
                    symbols[((rank * speakers + s) * objects + o) * length + t] = Double(symbol + 1)
                }
            }
        }
        try communicator.allreduceSum(&symbols, count: symbols.count)
        let end = lexicons.first?.endOfMessage
        let all = (0..<size * speakers).map { speaker in
            Lexicon(messages: (0..<objects).map { o in
                (0..<length).map { t in Int(symbols[(speaker * objects + o) * length + t]) - 1 }
            }, endOfMessage: end)
        }
        // This rank's listeners' columns; the other ranks' are theirs. The
        // evaluation played this rank's own pairs already, the same way.
        let own = rank * speakers..<(rank + 1) * speakers
        let local: [[Double]]
        if let played = evaluation.lexiconAccuracy {
            let others = all.indices.filter { !own.contains($0) }
            let measured = game.crossPlay(lexicons: others.map { all[$0] }, listeners: population.listeners,
                                          batch: population.configuration.train.batch) ?? []
            var rows = [[Double]](repeating: [], count: all.count)
            for (index, row) in zip(others, measured) { rows[index] = row }
            for (s, row) in played.enumerated() { rows[own.lowerBound + s] = row }
            local = rows
        } else {
            local = game.crossPlay(lexicons: all, listeners: population.listeners, batch: population.configuration.train.batch) ?? []
        }
        var matrix = [Double](repeating: 0, count: size * speakers * size * listeners)
        for (row, accuracies) in local.enumerated() {
            for (l, accuracy) in accuracies.enumerated() { matrix[row * size * listeners + rank * listeners + l] = accuracy }
        }
        try communicator.allreduceSum(&matrix, count: matrix.count)
        return CrossPlay(matrix: (0..<size * speakers).map { Array(matrix[$0 * size * listeners..<($0 + 1) * size * listeners]) },
                         speakerRanks: (0..<size * speakers).map { $0 / speakers },
                         listenerRanks: (0..<size * listeners).map { $0 / listeners })
    }

    /// The summary figures: the mean accuracy of pairs on one rank (they
    /// trained together) and across ranks (they never played; with one rank,
    /// none), and the share of listeners that understand every speaker.
    public var figures: [(name: String, value: Double)] {
        var same: [Double] = [], other: [Double] = []
        for (s, row) in matrix.enumerated() {
            for (l, accuracy) in row.enumerated() {
                if speakerRanks[s] == listenerRanks[l] { same.append(accuracy) } else { other.append(accuracy) }
            }
        }
        func mean(_ values: [Double]) -> Double { values.reduce(0, +) / Double(values.count) }
        let listeners = listenerRanks.count
        let universal = (0..<listeners).filter { l in matrix.allSatisfy { $0[l] >= Self.understood } }.count
        var out: [(String, Double)] = [("crossplay_same_rank", mean(same))]
        if !other.isEmpty { out.append(("crossplay_other_ranks", mean(other))) }
        out.append(("crossplay_listeners_understanding_all", Double(universal) / Double(max(listeners, 1))))
        return out
    }

    /// The matrix as JSON: an array per speaker.
    var json: JSONValue { .array(matrix.map { .array($0.map { .double($0) }) }) }
}
