import Foundation
import KoineGame
import KoineTensor
import XCTest
@testable import KoineTrainer

/// The same configuration and seed give the same figures; another seed does not.
final class DeterminismTests: XCTestCase {
    static let tiny = """
        seed: 7
        game: {attributes: [4, 4], candidates: 3, vocab: 4, message_length: 2}
        agents: {hidden: 8}
        population:
          speakers: 2
          listeners: 3
          reset: {listeners: {mode: staggered, every: 12}}
        train: {steps: 30, batch: 8, log_every: 10}
        eval: {every: 10, ease_of_teaching: {every: 15, listeners: 2, steps: 5}}
        telemetry: {endpoint: none}
        """

    /// summary.json's fields as a dictionary of their JSON texts, timing fields removed.
    func figures(_ overrides: [String]) throws -> [String: String] {
        let configuration = try Configuration.parse(Self.tiny, source: "tiny", overrides: overrides)
        let trainer = try Trainer(configuration: configuration)
        let summary = try trainer.train()
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(summary.json.utf8)) as? [String: Any])
        var out: [String: String] = [:]
        for (key, value) in object where !Summary.timingFields.contains(key) {
            out[key] = "\(value)"
        }
        return out
    }

    func assertDeterministic(_ overrides: [String], file: StaticString = #filePath, line: UInt = #line) throws {
        let a = try figures(overrides), b = try figures(overrides)
        XCTAssertEqual(a, b, "\(overrides)", file: file, line: line)
        for key in ["steps", "games", "accuracy", "topsim", "entropy", "resets", "parameters_checksum", "shared_encoder_checksum"] {
            XCTAssertNotNil(a[key], "\(key) in \(overrides)", file: file, line: line)
        }
        let other = try figures(overrides + ["seed=8"])
        XCTAssertNotEqual(a["parameters_checksum"], other["parameters_checksum"], "another seed, other parameters", file: file, line: line)
    }

    func testSameSeedSameSummary() throws {
        try assertDeterministic([])
        let a = try figures([])
        XCTAssertEqual(a["steps"], "30")
        XCTAssertEqual(a["games"], "\(30 * 2 * 3 * 8)", "2 speakers × 3 listeners × 8 games × 30 steps")
        XCTAssertEqual(a["resets"], "7", "staggered every 4 steps: before steps 4, 8, ..., 28")
        XCTAssertNotNil(a["ease_of_teaching"])
    }

    func testSameSeedSameSummaryForOtherSettings() throws {
        try assertDeterministic(["agents.channel=gumbel", "agents.cell=gru", "population.pairing=uniform"])
        try assertDeterministic(["agents.encoder=private", "population.pairing=round_robin", "game.holdout=3",
                                 "population.reset.speakers={mode: simultaneous, every: 10}"])
    }

    func testTrainerRecordsEveryReset() throws {
        let configuration = try Configuration.parse(Self.tiny, source: "tiny")
        let trainer = try Trainer(configuration: configuration)
        try trainer.train()
        XCTAssertEqual(trainer.resets.map(\.step), [4, 8, 12, 16, 20, 24, 28])
        XCTAssertEqual(trainer.resets.map(\.agent), [0, 1, 2, 0, 1, 2, 0])
    }
}
