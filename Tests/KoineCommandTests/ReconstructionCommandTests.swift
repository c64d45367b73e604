import Foundation
import KoineTestSupport
import XCTest

/// The reconstruction game through the binary: configs/reconstruction.yaml
/// learns at reduced length and `koine probe` reads it per attribute; two
/// ranks under `mpirun` play cross-rank games; a key it has no use for ends
/// `koine train` with status 2, one line and no run directory.
final class ReconstructionCommandTests: XCTestCase {
    var directory: URL!

    override func setUpWithError() throws {
        directory = try makeTemporaryDirectory("reconstruction")
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    static let shipped = packageDirectory.appendingPathComponent("configs/reconstruction.yaml").path

    func summary(of run: URL) throws -> [String: Any] {
        let data = try Data(contentsOf: run.appendingPathComponent("summary.json"))
        return try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    /// 6,000 of the shipped 20,000 steps: seeds 1–3 measured greedy accuracy
    /// 0.88–1.0 there (chance 1/32), every one 1.0 by the end.
    func testTheShippedConfigurationLearnsAndIsProbedPerAttribute() throws {
        let run = directory.appendingPathComponent("run")
        let result = try runKoine(["train", "--config", Self.shipped, "--out", run.path, "--telemetry", "none", "--quiet",
                                   "--set", "train.steps=6000", "--set", "eval.ease_of_teaching.every=6000",
                                   "--set", "eval.ease_of_teaching.listeners=2", "--set", "eval.ease_of_teaching.steps=50"],
                                  timeout: 300)
        XCTAssertEqual(result.status, 0, result.standardError)
        let figures = try summary(of: run)
        XCTAssertGreaterThanOrEqual(figures["accuracy"] as? Double ?? 0, 0.75, "configs/reconstruction.yaml should learn")
        for name in ["attribute_accuracy", "topsim", "posdis", "causal_influence", "ease_of_teaching", "crossplay_same_rank"] {
            XCTAssertNotNil(figures[name] as? Double, name)
        }
        let probe = try runKoine(["probe", run.path], timeout: 120)
        XCTAssertEqual(probe.status, 0, probe.standardError)
        XCTAssertTrue(probe.standardOutput.contains("attribute 1"), probe.standardOutput)
    }

    /// A quarter of each speaker's games go to the other rank's listeners,
    /// which name the targets' attributes; their rewards come back.
    func testTwoRanksPlayCrossRankGames() throws {
        let run = directory.appendingPathComponent("ranks")
        let result = try runProcess("/usr/bin/env", ["mpirun", "-np", "2", koineExecutable.path, "train", "--config", Self.shipped,
                                                     "--out", run.path, "--telemetry", "none", "--quiet",
                                                     "--set", "train.steps=300", "--set", "train.batch=32",
                                                     "--set", "population.cross_rank=0.25", "--set", "train.check_every=50",
                                                     "--set", "eval.every=150", "--set", "eval.ease_of_teaching.every=0"],
                                    environment: mpiEnvironment, timeout: 120)
        XCTAssertEqual(result.status, 0, result.standardError)
        let figures = try summary(of: run)
        XCTAssertEqual(figures["world_size"] as? Int, 2)
        XCTAssertEqual(figures["cross_rank_games"] as? Int, 8 * 300 * 2)
        XCTAssertEqual(figures["cross_rank_replies"] as? Int, 8 * 300 * 2)
        XCTAssertNotNil(figures["crossplay_other_ranks"] as? Double)
    }

    func testAKeyTheGameHasNoUseForExitsTwoWithOneLine() throws {
        let out = directory.appendingPathComponent("never").path
        for (override, key) in [("game.candidates=4", "game.candidates"), ("agents.listener_loss=hinge", "agents.listener_loss")] {
            let result = try runKoine(["train", "--config", Self.shipped, "--out", out, "--telemetry", "none", "--set", override],
                                      timeout: 60)
            XCTAssertEqual(result.status, 2, result.standardError)
            let lines = result.standardError.split(separator: "\n").filter { !$0.isEmpty }
            XCTAssertEqual(lines.count, 1, result.standardError)
            XCTAssertTrue(result.standardError.contains(key), result.standardError)
            XCTAssertFalse(FileManager.default.fileExists(atPath: out), "\(override) created \(out)")
        }
    }
}
