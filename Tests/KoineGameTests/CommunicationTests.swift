import Foundation
import KoineTensor
import XCTest
@testable import KoineGame

/// Positive signalling and listening (Lowe et al. 2019) on cases worked by
/// hand, and with real agents where the answer is known without training.
final class CommunicationTests: XCTestCase {
    /// A listener whose choice does not depend on the message: every row the
    /// same distribution, so no message moves it.
    func testAListenerThatIgnoresItsMessageHasNoCausalInfluence() {
        let same = [0.1, 0.6, 0.3]
        XCTAssertEqual(Communication.causalInfluence([same, same, same]), 0, accuracy: 1e-12)
    }

    /// K distinct messages and a listener that always picks the message's
    /// candidate: the choice carries the whole message, log₂ K bits.
    func testABijectiveLexiconWithAPerfectListenerHasLogKBits() {
        for k in [2, 4, 5, 8] {
            let rows = (0..<k).map { i in (0..<k).map { $0 == i ? 1.0 : 0.0 } }
            XCTAssertEqual(Communication.causalInfluence(rows), log2(Double(k)), accuracy: 1e-12, "K = \(k)")
        }
        // Two candidates share a message: the listener cannot tell them apart
        // (rows 0 and 1 equal, each ½ on both), so 1.5 bits of a possible 2.
        let shared = [[0.5, 0.5, 0, 0], [0.5, 0.5, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]]
        XCTAssertEqual(Communication.causalInfluence(shared), 1.5, accuracy: 1e-12)
        // By hand: rows (¾, ¼) and (¼, ¾), marginal (½, ½):
        // KL = ¾ log₂ 1.5 + ¼ log₂ 0.5 for each row.
        let soft = [[0.75, 0.25], [0.25, 0.75]]
        XCTAssertEqual(Communication.causalInfluence(soft), 0.75 * log2(1.5) + 0.25 * log2(0.5), accuracy: 1e-12)
    }

    /// A constant speaker: every sample the same message (consistency 1),
    /// and every candidate's message the same, so no causal influence.
    func testAConstantSpeakerIsConsistentAndHasNoInfluence() {
        let constant = [[[3, 1]], [[3, 1], [3, 1]], [[3, 1], [3, 1], [3, 1]]]
        XCTAssertEqual(Communication.consistency(samples: constant), 1)
        let spread = [[[0, 0], [0, 1], [0, 0], [1, 1]]]   // the modal message 2 times in 4
        XCTAssertEqual(Communication.consistency(samples: spread), 0.5)
        // Whatever the listener makes of the one message, it makes it of every candidate's.
        let row = [0.7, 0.2, 0.1]
        XCTAssertEqual(Communication.causalInfluence([row, row, row]), 0)
    }

    /// Context independence: 1 when each attribute value has a symbol of its
    /// own; lower when a symbol stands for a value of each attribute.
    func testContextIndependenceByHand() throws {
        let space = try ObjectSpace(attributes: [3, 3], holdout: 0, random: Random(seed: 1))
        let disjoint = HandLexicons.compositional(space, shapeOffset: 3)
        XCTAssertEqual(Communication.contextIndependence(lexicon: disjoint, space: space), 1, accuracy: 1e-12)
        // Symbols 0–2 for both attributes: symbol v means value v of either
        // attribute. Symbol v appears in 5 of the 9 messages (3 with colour v,
        // 3 with shape v, 1 with both), so p(value | symbol) = 3/5 and
        // p(symbol | value) = 1: 0.6 for every value.
        let overlapping = HandLexicons.compositional(space)
        XCTAssertEqual(Communication.contextIndependence(lexicon: overlapping, space: space), 0.6, accuracy: 1e-12)
        // One message for everything: the symbol goes with every value, p(v | s) = 1/3.
        let constant = Lexicon(messages: Array(repeating: [0, 1], count: space.count))
        XCTAssertEqual(Communication.contextIndependence(lexicon: constant, space: space), 1.0 / 3, accuracy: 1e-12)
    }

    /// An untrained listener over the 3 × 3 objects, 3 candidates a game, and
    /// what `Evaluation.communication` needs to play them.
    func listenerAndGames() throws -> (space: ObjectSpace, listener: Listener, sampler: GameSampler, scratch: InterventionScratch) {
        let settings = AgentSettings(vocabulary: 4, messageLength: 2, hidden: 8)
        let space = try ObjectSpace(attributes: [3, 3], holdout: 0, random: Random(seed: 1))
        let encoder = AttributeEncoder(space: space, hidden: 8, optimizer: settings.optimizer, random: Random(seed: 2))
        encoder.forward()
        let listener = Listener(settings: settings, encoder: encoder, capacity: 12, candidates: 3, random: Random(seed: 3))
        let sampler = GameSampler(targets: space.trainingObjects, distractors: space.trainingObjects, candidates: 3)
        return (space, listener, sampler, InterventionScratch(capacity: 12, candidates: 3, settings: settings))
    }

    /// A real listener whose parameters are all zero scores every candidate
    /// alike whatever it reads: causal influence 0 over the evaluation games.
    func testAZeroListenerOverRealGamesHasNoInfluence() throws {
        let (space, listener, sampler, scratch) = try listenerAndGames()
        let parameters = listener.module.parameters
        for i in 0..<parameters.count { parameters.values[i] = 0 }
        var random = Random(seed: 4)
        let played = Evaluation.communication(listener: listener, lexicon: HandLexicons.compositional(space),
                                              targets: space.trainingObjects, repeats: 3, sampler: sampler,
                                              scratch: scratch, random: &random)
        XCTAssertEqual(played.causalInfluence, 0, accuracy: 1e-9)
    }

    /// The games `communication` plays are `accuracy`'s: the same targets in
    /// the same order, each game's distractors drawn from the generator as
    /// `accuracy` draws them (so both leave it in the same state); the games
    /// as played give the accuracy; and the figures repeat exactly.
    func testInterventionsPlayTheEvaluationGames() throws {
        let (space, listener, sampler, scratch) = try listenerAndGames()
        let lexicon = HandLexicons.compositional(space)
        var first = Random(seed: 4), second = Random(seed: 4), direct = Random(seed: 4)
        let a = Evaluation.communication(listener: listener, lexicon: lexicon, targets: space.trainingObjects, repeats: 2,
                                         sampler: sampler, scratch: scratch, random: &first)
        let b = Evaluation.communication(listener: listener, lexicon: lexicon, targets: space.trainingObjects, repeats: 2,
                                         sampler: sampler, scratch: scratch, random: &second)
        XCTAssertEqual(a.causalInfluence, b.causalInfluence)
        XCTAssertEqual(a.coordination, b.coordination)
        XCTAssertGreaterThan(a.causalInfluence, 0, "an untrained listener's scores still move with its message")
        XCTAssertLessThanOrEqual(a.causalInfluence, log2(3) + 1e-9)
        // accuracy's draws, game by game, in its target order.
        let arena = Arena(), games = GameBatch(size: 1, candidates: 3, arena: arena)
        let order = (0..<2 * space.trainingObjects.count).map { space.trainingObjects[$0 % space.trainingObjects.count] }
        for target in order { sampler.fill(game: 0, target: Int32(target), batch: games, random: &direct) }
        XCTAssertEqual(a.targets, order)
        XCTAssertEqual(first.nextInt(below: 1_000_000), direct.nextInt(below: 1_000_000), "the same draws as accuracy's")
        let won = zip(a.targets, a.chosen).filter { $0 == $1 }.count
        XCTAssertEqual(a.accuracy, Double(won) / Double(order.count), accuracy: 1e-12)
    }

    /// Instantaneous coordination at its maximum: the object chosen is always
    /// the target, so it carries every bit of the message, H(message).
    func testCoordinationOfAPerfectPairIsTheMessagesEntropy() {
        let messages = [[0, 1], [1, 0], [2, 2], [0, 1], [1, 0], [2, 2]]
        let targets = [0, 1, 2, 0, 1, 2]
        XCTAssertEqual(Information.mutualInformation(messages, targets), log2(3), accuracy: 1e-12)
    }
}
