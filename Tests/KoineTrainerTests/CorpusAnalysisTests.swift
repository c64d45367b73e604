import XCTest
@testable import KoineTrainer

/// ELCC's corpus analyses (under ELCC's names) and Koine's, on corpora worked by hand.
final class CorpusAnalysisTests: XCTestCase {
    /// Tokens 0, 1, 0, 1, 2, 2: three equally likely (log2 3 bits); pairs (0,1) twice
    /// and (2,2) once; two distinct utterances, two tokens each.
    func testFiguresOfAFixedLengthCorpus() {
        let analysis = CorpusAnalysis(episodes: [[[0, 1]], [[0, 1]], [[2, 2]]], vocabulary: 4, endOfMessage: nil)
        let figures = analysis.json
        let log3 = log2(3.0), pairs = -(2.0 / 3 * log2(2.0 / 3) + 1.0 / 3 * log2(1.0 / 3))
        XCTAssertEqual(figures["Token Count"], .int(6))
        XCTAssertEqual(figures["Line Count"], .int(3))
        XCTAssertEqual(figures["Unique Tokens"], .int(3))
        XCTAssertEqual(figures["Unique Lines"], .int(2))
        XCTAssertEqual(figures["Tokens per Line"]?.number ?? .nan, 2, accuracy: 1e-12)
        XCTAssertEqual(figures["Tokens per Line SD"]?.number ?? .nan, 0, accuracy: 1e-12)
        XCTAssertEqual(figures["1-gram Entropy"]?.number ?? .nan, log3, accuracy: 1e-12)
        XCTAssertEqual(figures["1-gram Normalized Entropy"]?.number ?? .nan, 1, accuracy: 1e-12, "over log2 of the tokens used")
        XCTAssertEqual(figures["2-gram Entropy"]?.number ?? .nan, pairs, accuracy: 1e-12)
        XCTAssertEqual(figures["2-gram Conditional Entropy"]?.number ?? .nan, pairs - log3, accuracy: 1e-12)
        XCTAssertEqual(figures["Entropy per Line"]?.number ?? .nan, 2 * log3, accuracy: 1e-12)
        XCTAssertEqual(figures["EoS Token Present"], .bool(false))
        XCTAssertEqual(figures["EoS Padding"], .bool(false))
        let koine = analysis.koineJSON
        XCTAssertEqual(koine["episodes"], .int(3))
        XCTAssertEqual(koine["utterance_entropy"]?.number ?? .nan, pairs, accuracy: 1e-12)
        XCTAssertEqual(koine["token_entropy_over_vocabulary"]?.number ?? .nan, log3 / 2, accuracy: 1e-12)
    }

    /// Variable length, end symbol 0: lengths 2, 3 and 1 (mean 2, population sd √(2/3));
    /// the end symbol present; padding only once an utterance goes on past it with more.
    func testEndSymbolsAndLengths() {
        let short = CorpusAnalysis(episodes: [[[3, 0]], [[1, 2, 3]], [[0]]], vocabulary: 4, endOfMessage: 0)
        let figures = short.json
        XCTAssertEqual(figures["Tokens per Line SD"]?.number ?? .nan, (2.0 / 3).squareRoot(), accuracy: 1e-12)
        XCTAssertEqual(figures["EoS Token Present"], .bool(true))
        XCTAssertEqual(figures["EoS Padding"], .bool(false))
        let padded = CorpusAnalysis(episodes: [[[1, 0, 0]]], vocabulary: 4, endOfMessage: 0)
        XCTAssertEqual(padded.json["EoS Padding"], .bool(true))
        let one = CorpusAnalysis(episodes: [[[2, 2]]], vocabulary: 4, endOfMessage: 0)
        XCTAssertEqual(one.json["1-gram Normalized Entropy"], .double(0), "one token used: 0, not 0/0")
        XCTAssertEqual(one.json["EoS Token Present"], .bool(false))
    }
}
