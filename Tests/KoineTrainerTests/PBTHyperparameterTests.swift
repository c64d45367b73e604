import KoineGame
import KoineTensor
import XCTest
@testable import KoineTrainer

/// The hyperparameters population-based training changes, set on a running
/// population between steps: a population whose values were changed trains
/// bit for bit as one built with those values.
final class PBTHyperparameterTests: XCTestCase {
    static let base = """
        seed: 3
        game: {attributes: [4, 4], candidates: 4}
        agents: {hidden: 16, encoder: private}
        population: {listeners: 2, reset: {listeners: {mode: staggered, every: 40}}}
        train: {batch: 16}
        eval: {every: 100}
        pbt: {every: 100, initial: configured, learning_rate: {minimum: 0.0001, maximum: 0.01},
              entropy: {minimum: 0, maximum: 0.5}, reset_period: {minimum: 2, maximum: 1000}}
        """

    func population(_ overrides: [String] = []) throws -> Population {
        let configuration = try Configuration.parse(Self.base, source: "t", overrides: overrides)
        return try Population(configuration: configuration, random: Random(seed: UInt64(configuration.seed)))
    }

    func train(_ population: Population, steps: Range<Int>) throws -> [ResetEvent] {
        var resets: [ResetEvent] = []
        for step in steps { resets += try population.trainStep(step).resets }
        return resets
    }

    func testChangedHyperparametersTrainAsConfiguredOnes() throws {
        let changed = try population(), configured = try population([
            "train.optimizer.lr=0.003", "agents.entropy=0.05", "population.reset.listeners.every=24",
        ])
        let explored = changed.configuration.exploredHyperparameters
        XCTAssertEqual(explored.map(\.name), [.learningRate, .entropy, .resetPeriod])
        XCTAssertEqual(changed.hyperparameters(explored), [Double(Float(0.001)), Double(Float(0.1)), 40])
        changed.apply([0.003, 0.05, 24], of: explored)
        XCTAssertEqual(changed.hyperparameters(explored), [Double(Float(0.003)), Double(Float(0.05)), 24])
        for (_, module) in changed.modules { XCTAssertEqual(module.optimizer.learningRate, 0.003) }
        let resets = try train(changed, steps: 0..<60)
        XCTAssertEqual(resets, try train(configured, steps: 0..<60))
        // Staggered over 2 listeners every 24 steps: one every 12.
        XCTAssertEqual(resets.map(\.step), [12, 24, 36, 48])
        XCTAssertEqual(changed.parametersChecksum(), configured.parametersChecksum())
    }

    /// Gumbel-Softmax's temperature, every speaker's, the same way.
    func testAChangedTemperatureTrainsAsAConfiguredOne() throws {
        let gumbel = ["agents.channel=gumbel", "pbt.entropy.maximum=0", "pbt.temperature.minimum=0.5", "pbt.temperature.maximum=4"]
        let changed = try population(gumbel), configured = try population(gumbel + ["agents.temperature=2.5"])
        let explored = changed.configuration.exploredHyperparameters
        XCTAssertEqual(explored.map(\.name), [.learningRate, .temperature, .resetPeriod])
        changed.apply([0.001, 2.5, 40], of: explored)
        XCTAssertEqual(changed.speakers.map(\.temperature), [2.5])
        _ = try train(changed, steps: 0..<30)
        _ = try train(configured, steps: 0..<30)
        XCTAssertEqual(changed.parametersChecksum(), configured.parametersChecksum())
    }

    /// Changed mid-run, a value applies from the next step on, and only there.
    func testAChangeTakesEffectFromTheNextStep() throws {
        let early = try population(), late = try population()
        let explored = early.configuration.exploredHyperparameters
        _ = try train(early, steps: 0..<30)
        _ = try train(late, steps: 0..<30)
        XCTAssertEqual(early.parametersChecksum(), late.parametersChecksum())
        late.apply([0.002, 0.1, 40], of: explored)
        _ = try train(early, steps: 30..<31)
        _ = try train(late, steps: 30..<31)
        XCTAssertNotEqual(early.parametersChecksum(), late.parametersChecksum())
    }
}
