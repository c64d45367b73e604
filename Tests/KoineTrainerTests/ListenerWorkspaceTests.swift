import KoineGame
import KoineTensor
import XCTest
@testable import KoineTrainer

/// Listeners that take whole turns (one speaker, no games from other ranks)
/// share one workspace: their buffers and gradients are one set, and the
/// training is bit for bit the one with a set per listener.
final class ListenerWorkspaceTests: XCTestCase {
    func configuration(speakers: Int) throws -> Configuration {
        try Configuration.parse("""
            seed: 3
            game: {attributes: [4, 4], candidates: 3, vocab: 4, message_length: 2}
            agents: {hidden: 8, symbol_input: one_hot, encoder: private, baseline: none}
            population: {speakers: \(speakers), listeners: 4, reset: {listeners: {mode: staggered, every: 8}}}
            train: {steps: 40, batch: 12}
            eval: {every: 0, ease_of_teaching: {every: 0}}
            telemetry: {endpoint: none}
            """, source: "test")
    }

    func gradientBuffers(_ population: Population) -> Set<UnsafeMutablePointer<Float>> {
        Set(population.listeners.map { $0.module.parameters.gradients })
    }

    func testListenersTakingTurnsShareAWorkspaceAndTrainAsWithoutIt() throws {
        let configuration = try configuration(speakers: 1)
        let shared = try Population(configuration: configuration, random: Random(seed: 7))
        let separate = try Population(configuration: configuration, random: Random(seed: 7), sharesListenerWorkspace: false)
        XCTAssertEqual(gradientBuffers(shared).count, 1, "one gradient buffer for the four listeners")
        XCTAssertEqual(gradientBuffers(separate).count, 4)
        for step in 0..<40 {
            _ = try shared.trainStep(step)
            _ = try separate.trainStep(step)
        }
        for (a, b) in zip(shared.listeners, separate.listeners) {
            XCTAssertEqual(Array(a.module.parameters.valueBuffer), Array(b.module.parameters.valueBuffer))
        }
        XCTAssertEqual(shared.parametersChecksum(), separate.parametersChecksum())
        XCTAssertTrue(Array(UnsafeBufferPointer(start: shared.listeners[0].module.parameters.gradients,
                                                count: shared.listeners[0].module.parameters.count)).allSatisfy { $0 == 0 },
                      "the shared gradient is clear between turns")
    }

    func testListenersOfTwoSpeakersKeepTheirOwnBuffers() throws {
        // Each listener plays both speakers before it updates: its gradient must survive the others' turns.
        let population = try Population(configuration: configuration(speakers: 2), random: Random(seed: 7))
        XCTAssertEqual(gradientBuffers(population).count, 4)
    }
}
