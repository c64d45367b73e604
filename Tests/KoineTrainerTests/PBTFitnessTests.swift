import XCTest
@testable import KoineTrainer

/// The fitness a member is ranked by: a figure the run measures, named when
/// the trainer is built; and the rounds' own work (the check, the lexicons,
/// the state checksums) leaves training as it was.
final class PBTFitnessTests: XCTestCase {
    static let base = """
        seed: 4
        game: {attributes: [4, 4], candidates: 4}
        agents: {hidden: 16, encoder: private}
        population: {listeners: 2}
        train: {steps: 200, batch: 16, log_every: 0, checkpoint: {every: 0}}
        eval: {every: 50, ease_of_teaching: {every: 100, listeners: 2, steps: 20}}
        telemetry: {endpoint: none}
        """
    static let pbt = "pbt: {every: 100, initial: configured, learning_rate: {minimum: 0.0001, maximum: 0.01}}"

    func configuration(_ pbt: String?, _ overrides: [String] = []) throws -> Configuration {
        try Configuration.parse(Self.base + "\n" + (pbt ?? ""), source: "t", overrides: overrides)
    }

    func testAFigureTheRunNeverMeasuresIsRefusedWhenTheTrainerIsBuilt() throws {
        for (fitness, expected) in [("banana", ["pbt.fitness", "'banana'", "accuracy", "topsim_li_bowling"]),
                                    ("ease_of_teaching_banana", ["ease_of_teaching_banana", "ease_of_teaching_area_200"])] {
            let configuration = try self.configuration(Self.pbt, ["pbt.fitness=\(fitness)"])
            XCTAssertThrowsError(try Trainer(configuration: configuration)) { error in
                let message = (error as? ConfigurationError)?.message ?? "not a ConfigurationError: \(error)"
                XCTAssertFalse(message.contains("\n"), message)
                for fragment in expected { XCTAssertTrue(message.contains(fragment), "\(message) does not mention \(fragment)") }
            }
        }
    }

    /// One member keeps its agents at every round: with the configured
    /// hyperparameters it trains bit for bit as the run without PBT, whether
    /// ranked by an evaluation figure or an ease-of-teaching one.
    func testAOneMemberRunTrainsExactlyAsTheRunWithoutPBT() throws {
        let without = try Trainer(configuration: try configuration(nil)).train()
        for fitness in ["topsim_li_bowling", "ease_of_teaching_area_200"] {
            let trainer = try Trainer(configuration: try configuration(Self.pbt, ["pbt.fitness=\(fitness)"]))
            let with = try trainer.train()
            XCTAssertEqual(with.parametersChecksum, without.parametersChecksum, fitness)
            XCTAssertEqual(with.accuracy, without.accuracy, fitness)
            XCTAssertEqual(trainer.member?.hyperparameters, [0.001])
        }
    }
}
