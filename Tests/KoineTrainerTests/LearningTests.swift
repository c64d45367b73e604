import KoineGame
import KoineTensor
import XCTest
@testable import KoineTrainer

/// Agents must actually learn: with a fixed seed, a small attribute game
/// reaches high accuracy within a stated budget of steps.
final class LearningTests: XCTestCase {
    static let smallGame = """
        seed: 3
        game: {attributes: [4, 4], candidates: 4, vocab: 8, message_length: 2}
        agents: {hidden: 48}
        train: {steps: 4000, batch: 64, optimizer: {lr: 0.003}}
        eval: {every: 0, ease_of_teaching: {every: 0}}
        telemetry: {endpoint: none}
        """

    func accuracy(after steps: Int, overrides: [String]) throws -> (training: Double, greedy: Double) {
        let configuration = try Configuration.parse(LearningTests.smallGame, source: "test", overrides: overrides)
        let population = try Population(configuration: configuration, random: Random(seed: UInt64(configuration.seed)))
        var window = StepFigures()
        for step in 0..<steps {
            let figures = try population.trainStep(step)
            if step >= steps - 200 { window.add(figures) }
        }
        let evaluation = PopulationEvaluation.measure(population, distance: .cosine)
        return (window.accuracy, evaluation.accuracy)
    }

    /// Budget: 10,000 steps of 64 games. Chance is 25%.
    func testReinforceLearnsTheAttributeGame() throws {
        let result = try accuracy(after: 10000, overrides: ["train.steps=10000"])
        XCTAssertGreaterThanOrEqual(result.greedy, 0.95, "greedy accuracy \(result.greedy), training \(result.training)")
    }

    /// Budget: 3,000 steps of 64 games.
    func testGumbelSoftmaxLearnsTheAttributeGame() throws {
        let result = try accuracy(after: 3000, overrides: ["agents.channel=gumbel", "train.steps=3000"])
        XCTAssertGreaterThanOrEqual(result.greedy, 0.95, "greedy accuracy \(result.greedy), training \(result.training)")
    }

    func testGRUCellLearnsToo() throws {
        let result = try accuracy(after: 1500, overrides: ["agents.channel=gumbel", "agents.cell=gru", "train.steps=1500"])
        XCTAssertGreaterThanOrEqual(result.greedy, 0.95, "greedy accuracy \(result.greedy), training \(result.training)")
    }
}
