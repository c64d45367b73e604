import Foundation
import KoineGame
import KoineTelemetry

/// The figures ELCC gives every corpus (Boldt & Mortensen 2024: its size,
/// entropy and average message length), over a corpus of episodes, each a
/// list of utterances of integer tokens. Entropies are in bits; they count
/// tokens and whole utterances as they stand, an end symbol included, so
/// that anyone can recompute them from corpus.jsonl alone.
public struct CorpusAnalysis {
    public let episodes: Int
    public let utterances: Int
    public let tokens: Int
    public let uniqueTokens: Int
    public let uniqueUtterances: Int
    /// The average message length, in tokens, and its standard deviation over utterances.
    public let tokensPerUtterance: Double
    public let tokensPerUtteranceDeviation: Double
    /// Of the token distribution (unigrams), and that over log2 of the vocabulary's size.
    public let tokenEntropy: Double
    public let normalizedTokenEntropy: Double
    /// Of the distribution of whole utterances.
    public let utteranceEntropy: Double

    public init(episodes corpus: [[[Int]]], vocabulary: Int) {
        var tokenCounts: [Int: Int] = [:], utteranceCounts: [[Int]: Int] = [:]
        var lengths: [Int] = []
        for utterance in corpus.joined() {
            lengths.append(utterance.count)
            utteranceCounts[utterance, default: 0] += 1
            for token in utterance { tokenCounts[token, default: 0] += 1 }
        }
        episodes = corpus.count
        utterances = lengths.count
        tokens = lengths.reduce(0, +)
        uniqueTokens = tokenCounts.count
        uniqueUtterances = utteranceCounts.count
        let mean = lengths.isEmpty ? 0 : Double(tokens) / Double(lengths.count)
        tokensPerUtterance = mean
        tokensPerUtteranceDeviation = lengths.isEmpty ? 0
            : (lengths.map { (Double($0) - mean) * (Double($0) - mean) }.reduce(0, +) / Double(lengths.count)).squareRoot()
        tokenEntropy = Information.entropy(counts: Array(tokenCounts.values))
        normalizedTokenEntropy = vocabulary > 1 ? tokenEntropy / log2(Double(vocabulary)) : 0
        utteranceEntropy = Information.entropy(counts: Array(utteranceCounts.values))
    }

    /// The figures by their names in the corpus metadata.
    public var json: JSONValue {
        .object([
            ("episodes", .int(episodes)), ("utterances", .int(utterances)), ("tokens", .int(tokens)),
            ("unique_tokens", .int(uniqueTokens)), ("unique_utterances", .int(uniqueUtterances)),
            ("tokens_per_utterance", .double(tokensPerUtterance)),
            ("tokens_per_utterance_sd", .double(tokensPerUtteranceDeviation)),
            ("token_entropy", .double(tokenEntropy)), ("token_entropy_normalized", .double(normalizedTokenEntropy)),
            ("utterance_entropy", .double(utteranceEntropy)),
        ])
    }
}
