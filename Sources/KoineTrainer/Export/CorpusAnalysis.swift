import Foundation
import KoineGame
import KoineTelemetry

/// The figures ELCC gives every corpus, under the names ELCC's own analysis
/// code gives them (its metric registry, `elcc.util.analysis.metric`, as
/// XferBench writes it out; docs/elcc.md gives the sources), with Koine's own
/// beside them. A "line" is one utterance. Entropies are in bits and count
/// tokens and utterances as they stand, an end symbol included, so that
/// anyone can recompute them from corpus.jsonl alone.
public struct CorpusAnalysis {
    public let episodes: Int
    /// Utterances ("Line Count") and their tokens ("Token Count").
    public let utterances: Int
    public let tokens: Int
    public let uniqueTokens: Int
    public let uniqueUtterances: Int
    /// The average message length, in tokens, and its (population) standard deviation.
    public let tokensPerUtterance: Double
    public let tokensPerUtteranceDeviation: Double
    /// Of the token distribution (unigrams), over log2 of the tokens used
    /// (ELCC's normalisation; 0 when one token is used) and over log2 of the
    /// vocabulary (Koine's).
    public let tokenEntropy: Double
    public let normalizedTokenEntropy: Double
    public let tokenEntropyOverVocabulary: Double
    /// Of the pairs of consecutive tokens within an utterance, and that less
    /// the unigram entropy (ELCC's "conditional" bigram entropy).
    public let bigramEntropy: Double
    public let conditionalBigramEntropy: Double
    /// Of the distribution of whole utterances.
    public let utteranceEntropy: Double
    /// Whether some utterance holds the channel's end symbol, and whether any
    /// continues past it with more of them (Koine's messages never do).
    public let endSymbolPresent: Bool
    public let endSymbolPadding: Bool

    public init(episodes corpus: [[[Int]]], vocabulary: Int, endOfMessage: Int?) {
        var tokenCounts: [Int: Int] = [:], utteranceCounts: [[Int]: Int] = [:], bigramCounts: [[Int]: Int] = [:]
        var lengths: [Int] = [], present = false, padding = false
        for utterance in corpus.joined() {
            lengths.append(utterance.count)
            utteranceCounts[utterance, default: 0] += 1
            for token in utterance { tokenCounts[token, default: 0] += 1 }
            for (first, second) in zip(utterance, utterance.dropFirst()) { bigramCounts[[first, second], default: 0] += 1 }
            if let end = endOfMessage, let at = utterance.firstIndex(of: end) {
                present = true
                padding = padding || (at < utterance.count - 1 && utterance[(at + 1)...].allSatisfy { $0 == end })
            }
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
        normalizedTokenEntropy = uniqueTokens > 1 ? tokenEntropy / log2(Double(uniqueTokens)) : 0
        tokenEntropyOverVocabulary = vocabulary > 1 ? tokenEntropy / log2(Double(vocabulary)) : 0
        bigramEntropy = Information.entropy(counts: Array(bigramCounts.values))
        conditionalBigramEntropy = bigramEntropy - tokenEntropy
        utteranceEntropy = Information.entropy(counts: Array(utteranceCounts.values))
        endSymbolPresent = present
        endSymbolPadding = padding
    }

    /// ELCC's analyses by ELCC's names.
    public var json: JSONValue {
        .object([
            ("Token Count", .int(tokens)), ("Line Count", .int(utterances)),
            ("Tokens per Line", .double(tokensPerUtterance)), ("Tokens per Line SD", .double(tokensPerUtteranceDeviation)),
            ("Unique Tokens", .int(uniqueTokens)), ("Unique Lines", .int(uniqueUtterances)),
            ("1-gram Entropy", .double(tokenEntropy)), ("1-gram Normalized Entropy", .double(normalizedTokenEntropy)),
            ("2-gram Entropy", .double(bigramEntropy)), ("2-gram Conditional Entropy", .double(conditionalBigramEntropy)),
            ("Entropy per Line", .double(tokenEntropy * tokensPerUtterance)),
            ("EoS Token Present", .bool(endSymbolPresent)), ("EoS Padding", .bool(endSymbolPadding)),
        ])
    }

    /// Koine's figures that ELCC's analyses lack.
    public var koineJSON: JSONValue {
        .object([
            ("episodes", .int(episodes)), ("utterance_entropy", .double(utteranceEntropy)),
            ("token_entropy_over_vocabulary", .double(tokenEntropyOverVocabulary)),
        ])
    }
}
