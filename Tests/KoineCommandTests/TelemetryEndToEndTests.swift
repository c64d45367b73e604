import Foundation
import KoineTestSupport
import XCTest

/// Polls `condition` until it holds or `timeout` passes.
private func waitUntil(timeout: TimeInterval, _ condition: () -> Bool) -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    while !condition() {
        if Date() > deadline { return false }
        usleep(20_000)
    }
    return true
}

/// A 2-rank training run with the collector `koine launch` starts: every
/// event of both ranks is in the database, with no gaps and a run_finished
/// from each rank; and a run with no collector at all finishes normally.
final class TelemetryEndToEndTests: XCTestCase {
    static let config = """
        seed: 9
        game: {attributes: [4, 4], candidates: 4}
        agents: {hidden: 32}
        population: {listeners: 2, reset: {listeners: {mode: staggered, every: 100}}}
        train: {steps: 400, batch: 32}
        eval: {every: 100, ease_of_teaching: {every: 0}}
        telemetry: {every: 1}
        """

    /// `koine report --json` of one run in `database`.
    func reported(_ run: String, database: URL) throws -> [String: Any] {
        let report = try runKoine(["report", "--db", database.path, "--run", run, "--json"])
        XCTAssertEqual(report.status, 0, report.standardError)
        let parsed = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(report.standardOutput.utf8)) as? [String: Any])
        return try XCTUnwrap((parsed["runs"] as? [[String: Any]])?.first)
    }

    func testTwoRanksWithTheirCollectorLoseNothing() throws {
        let directory = try makeTemporaryDirectory("telemetry-e2e")
        defer { try? FileManager.default.removeItem(at: directory) }
        let config = directory.appendingPathComponent("config.yaml")
        try TelemetryEndToEndTests.config.write(to: config, atomically: true, encoding: .utf8)
        let runs = directory.appendingPathComponent("runs")
        let launched = try runKoine(["launch", "--np", "2", "--config", config.path,
                                     "--out", runs.appendingPathComponent("e2e").path,
                                     "--telemetry", "tcp://127.0.0.1:\(freePort())", "--", "--quiet"], timeout: 180)
        XCTAssertEqual(launched.status, 0, launched.standardError)
        XCTAssertFalse(launched.standardError.contains("not being received"), launched.standardError)
        let run = try reported("e2e", database: runs.appendingPathComponent("telemetry.sqlite"))
        XCTAssertEqual(run["finished_ranks"] as? Int, 2)
        XCTAssertEqual(run["missing"] as? Int, 0)
        XCTAssertEqual(run["dropped"] as? Int, 0)
        let ranks = try XCTUnwrap(run["ranks"] as? [[String: Any]])
        XCTAssertEqual(ranks.count, 2)
        for rank in ranks {
            // Every step event (every: 1) plus run_started, evals, resets, allreduce and run_finished.
            let events = rank["events"] as? Int ?? 0
            XCTAssertGreaterThan(events, 400)
            XCTAssertEqual(events, (rank["max_seq"] as? Int ?? -1) + 1, "seq has gaps on rank \(rank["rank"] ?? "?")")
            XCTAssertEqual(rank["finished"] as? Bool, true)
            XCTAssertEqual((rank["gaps"] as? [Any])?.count, 0)
        }
    }

    /// A run of 200 steps extended to 400 with `koine launch --resume`: each
    /// rank's seq runs on from the first part with no gap, and the run ends
    /// finished on both ranks.
    func testAnExtendedRunContinuesEachRanksSequence() throws {
        let directory = try makeTemporaryDirectory("telemetry-resume")
        defer { try? FileManager.default.removeItem(at: directory) }
        let config = directory.appendingPathComponent("config.yaml")
        try TelemetryEndToEndTests.config.write(to: config, atomically: true, encoding: .utf8)
        let run = directory.appendingPathComponent("runs/extended").path
        let endpoint = "tcp://127.0.0.1:\(freePort())"
        let first = try runKoine(["launch", "--np", "2", "--config", config.path, "--set", "train.steps=200", "--out", run,
                                  "--telemetry", endpoint, "--", "--quiet"], timeout: 180)
        XCTAssertEqual(first.status, 0, first.standardError)
        let second = try runKoine(["launch", "--np", "2", "--resume", run, "--set", "train.steps=400",
                                   "--telemetry", endpoint, "--", "--quiet"], timeout: 180)
        XCTAssertEqual(second.status, 0, second.standardError)
        let summary = try reported("extended", database: directory.appendingPathComponent("runs/telemetry.sqlite"))
        XCTAssertEqual(summary["finished_ranks"] as? Int, 2)
        XCTAssertEqual(summary["missing"] as? Int, 0)
        for rank in try XCTUnwrap(summary["ranks"] as? [[String: Any]]) {
            let events = rank["events"] as? Int ?? 0
            // 400 step and 400 allreduce events (every: 1), 7 resets, evals at
            // 100…400, and run_started and run_finished from each part: one
            // event missing would mean the two parts' seqs collided.
            XCTAssertEqual(events, 800 + 7 + 4 + 2 + 2, "every event of both parts")
            XCTAssertEqual(events, (rank["max_seq"] as? Int ?? -1) + 1, "seq has gaps on rank \(rank["rank"] ?? "?")")
        }
    }

    /// CURVE under plain `mpirun -np 2`: a collector started with `koine keys`' secret key,
    /// both ranks given its public key in the environment, and a forger without it. Every
    /// genuine event is stored; the forger's connections are refused and counted.
    func testCurveTelemetryUnderMPIRun() throws {
        let directory = try makeTemporaryDirectory("telemetry-curve")
        defer { try? FileManager.default.removeItem(at: directory) }
        let prefix = directory.appendingPathComponent("collector").path
        let keys = try runKoine(["keys", "--out", prefix], timeout: 30)
        XCTAssertEqual(keys.status, 0, keys.standardError)
        let serverKey = try String(contentsOfFile: prefix + ".public", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let database = directory.appendingPathComponent("telemetry.sqlite").path
        let endpoint = "tcp://127.0.0.1:\(freePort())"
        let collector = try RunningProcess(koineExecutable.path, ["collect", "--bind", endpoint, "--db", database,
                                                                  "--secret-key", prefix + ".secret", "--quiet"])
        defer { if collector.process.isRunning { kill(collector.process.processIdentifier, SIGKILL) } }
        // The collector binds right after creating its database.
        XCTAssertTrue(waitUntil(timeout: 30) { FileManager.default.fileExists(atPath: database) })
        usleep(300_000)
        // A forger who knows the run id but not the key (koine train without the key).
        let config = directory.appendingPathComponent("config.yaml")
        try TelemetryEndToEndTests.config.write(to: config, atomically: true, encoding: .utf8)
        let forger = try RunningProcess(koineExecutable.path, ["train", "--config", config.path, "--set", "train.steps=200",
                                                               "--out", directory.appendingPathComponent("forged/curve").path,
                                                               "--telemetry", endpoint, "--quiet"])
        var environment = mpiEnvironment
        environment["KOINE_TELEMETRY_SERVER_KEY"] = serverKey
        let trained = try runProcess("/usr/bin/env", ["mpirun", "-np", "2", "-x", "KOINE_TELEMETRY_SERVER_KEY", koineExecutable.path,
                                                      "train", "--config", config.path, "--out",
                                                      directory.appendingPathComponent("runs/curve").path,
                                                      "--telemetry", endpoint, "--quiet"],
                                     environment: environment, timeout: 180)
        XCTAssertEqual(trained.status, 0, trained.standardError)
        XCTAssertFalse(trained.standardError.contains("not being received"), trained.standardError)
        XCTAssertTrue(forger.waitForExit(timeout: 60))
        XCTAssertEqual(forger.status, 0, forger.output)
        kill(collector.process.processIdentifier, SIGTERM)
        XCTAssertTrue(collector.waitForExit(timeout: 30))
        let report = try runKoine(["report", "--db", database, "--json"])
        let parsed = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(report.standardOutput.utf8)) as? [String: Any])
        let runs = try XCTUnwrap(parsed["runs"] as? [[String: Any]])
        XCTAssertEqual(runs.count, 1, "only the run with the key is stored")
        let run = try XCTUnwrap(runs.first)
        XCTAssertEqual(run["finished_ranks"] as? Int, 2)
        XCTAssertEqual(run["missing"] as? Int, 0)
        for rank in try XCTUnwrap(run["ranks"] as? [[String: Any]]) {
            XCTAssertGreaterThan(rank["events"] as? Int ?? 0, 400)
        }
        let reasons = (parsed["collector"] as? [String: Any])?["bad_frames_by_reason"] as? [String: Any]
        XCTAssertGreaterThanOrEqual(reasons?["unauthenticated"] as? Int ?? 0, 1, report.standardOutput)
    }

    func testTrainingWithoutACollectorFinishesAndSaysSoOnce() throws {
        let directory = try makeTemporaryDirectory("telemetry-none")
        defer { try? FileManager.default.removeItem(at: directory) }
        let config = directory.appendingPathComponent("config.yaml")
        try TelemetryEndToEndTests.config.replacingOccurrences(of: "steps: 400", with: "steps: 3000")
            .write(to: config, atomically: true, encoding: .utf8)
        let started = Date()
        let result = try runKoine(["train", "--config", config.path, "--out", directory.appendingPathComponent("run").path,
                                   "--telemetry", "tcp://127.0.0.1:\(freePort())", "--quiet"], timeout: 120)
        XCTAssertEqual(result.status, 0, result.standardError)
        XCTAssertLessThan(Date().timeIntervalSince(started), 60)
        XCTAssertEqual(result.standardError.components(separatedBy: "not being received").count - 1, 1, result.standardError)
    }
}
