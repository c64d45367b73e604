import Foundation
import KoineTensor
import XCTest
@testable import KoineGame

/// The non-neural experiment of Li & Bowling (2019), with Koine's neural
/// listener: a compositional language is taught to fresh listeners faster
/// than the same messages given to the objects in a shuffled order.
///
/// Budget: attributes [4, 4], vocabulary 4, length 2, hidden 32, 4 candidates,
/// batch 32, Adam 0.002, 3 listeners × 300 steps per language and channel: about
/// 12 s in a debug build. Observed areas (seeds 21, 22): REINFORCE 0.86 vs 0.76,
/// Gumbel 0.95 vs 0.89; the test asks for a gap of 0.03.
final class EaseOfTeachingTests: XCTestCase {
    func settings(_ channel: ChannelKind) -> AgentSettings {
        AgentSettings(vocabulary: 4, messageLength: 2, hidden: 32, channel: channel, entropy: 0.1,
                      optimizer: OptimizerSettings(kind: .adam, learningRate: 0.002))
    }

    func measure(_ lexicon: Lexicon, _ game: AttributeGame, _ channel: ChannelKind) -> EaseOfTeaching {
        EaseOfTeaching.measure(lexicon: lexicon, game: game, settings: settings(channel), listeners: 3, steps: 300,
                               batch: 32, random: Random(seed: 21))
    }

    func testCompositionalLanguageIsEasierToTeach() throws {
        let game = try AttributeGame(attributes: [4, 4], holdout: 0, candidates: 4, distance: .cosine, random: Random(seed: 1))
        let space = game.space
        let compositional = HandLexicons.compositional(space)
        let permuted = HandLexicons.permuted(compositional, seed: 3)
        XCTAssertLessThan(TopographicSimilarity.measure(lexicon: permuted, space: space, distance: .cosine), 0.5)
        for channel in ChannelKind.allCases {
            let started = Date()
            let easy = measure(compositional, game, channel)
            let hard = measure(permuted, game, channel)
            let seconds = Date().timeIntervalSince(started)
            XCTAssertEqual(easy.curve.count, 300)
            XCTAssertTrue(easy.curve.allSatisfy { (0...1).contains($0) })
            XCTAssertGreaterThan(easy.area, hard.area + 0.03,
                                 "\(channel): compositional area \(easy.area), permuted \(hard.area) (\(seconds) s)")
            // Both languages are learnable at all: the end of the curve is above chance (25%).
            let tail = Array(easy.curve.suffix(50))
            XCTAssertGreaterThan(tail.reduce(0, +) / Double(tail.count), 0.4, "\(channel)")
            print("ease of teaching, \(channel): compositional \(easy.area), permuted \(hard.area), \(seconds) s")
        }
    }

    func testSameSeedSameCurveAndSummaries() throws {
        let game = try AttributeGame(attributes: [3, 3], holdout: 0, candidates: 3, distance: .cosine, random: Random(seed: 1))
        let lexicon = HandLexicons.compositional(game.space)
        let small = AgentSettings(vocabulary: 3, messageLength: 2, hidden: 8)
        let a = EaseOfTeaching.measure(lexicon: lexicon, game: game, settings: small, listeners: 2, steps: 20,
                                       batch: 8, random: Random(seed: 5))
        let b = EaseOfTeaching.measure(lexicon: lexicon, game: game, settings: small, listeners: 2, steps: 20,
                                       batch: 8, random: Random(seed: 5))
        XCTAssertEqual(a.curve, b.curve)
        XCTAssertEqual(a.area, a.curve.reduce(0, +) / 20, accuracy: 1e-12)

        let curve = EaseOfTeaching(curve: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
        XCTAssertEqual(curve.summarized(points: 5), [0.5, 2.5, 4.5, 6.5, 8.5])
        XCTAssertEqual(curve.summarized(points: 20), curve.curve)
        XCTAssertEqual(EaseOfTeaching(curve: []).area, 0)
    }
}
