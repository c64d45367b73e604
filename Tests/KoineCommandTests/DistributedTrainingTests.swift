import Foundation
import KoineTestSupport
import XCTest

/// `koine train` under real `mpirun`: a population per rank, the shared
/// encoder kept identical by all-reduce, cross-rank games, determinism, and
/// a failing rank ending the job.
final class DistributedTrainingTests: XCTestCase {
    static let config = """
        seed: 5
        game: {attributes: [4, 4], candidates: 4}
        agents: {hidden: 32}
        population: {listeners: 2, cross_rank: 0.25, reset: {listeners: {mode: staggered, every: 200}}}
        train: {steps: 300, batch: 32, log_every: 100, check_every: 50}
        eval: {every: 150, ease_of_teaching: {every: 0}}
        telemetry: {endpoint: none}
        """

    var directory: URL!

    override func setUpWithError() throws {
        directory = try makeTemporaryDirectory("distributed")
        try DistributedTrainingTests.config.write(to: directory.appendingPathComponent("config.yaml"), atomically: true, encoding: .utf8)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    func mpirun(_ ranks: Int, _ arguments: [String], timeout: TimeInterval = 120) throws -> ProcessResult {
        try runKoineUnderMPI(ranks, arguments, timeout: timeout)
    }

    func train(_ ranks: Int, out: String, extra: [String] = []) throws -> [String: Any] {
        let outDirectory = directory.appendingPathComponent(out)
        let result = try mpirun(ranks, ["train", "--config", directory.appendingPathComponent("config.yaml").path,
                                        "--out", outDirectory.path, "--quiet"] + extra)
        XCTAssertEqual(result.status, 0, "mpirun -np \(ranks) failed:\n\(result.standardError)")
        XCTAssertFalse(result.timedOut)
        let data = try Data(contentsOf: outDirectory.appendingPathComponent("summary.json"))
        return try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    func check(ranks: Int) throws {
        let summary = try train(ranks, out: "run-\(ranks)")
        XCTAssertEqual(summary["world_size"] as? Int, ranks)
        XCTAssertEqual(summary["steps"] as? Int, 300)
        // 8 of every 32 games cross ranks, for each of the 2 listeners.
        XCTAssertEqual(summary["cross_rank_games"] as? Int, 8 * 2 * 300 * ranks)
        XCTAssertEqual(summary["cross_rank_replies"] as? Int, 8 * 300 * ranks, "rewards must come back to the speakers")
        XCTAssertNotNil(summary["shared_encoder_checksum"] as? String)
        // Staggered resets before steps 100 and 200 (one listener each), on every rank.
        XCTAssertEqual(summary["resets"] as? Int, 2 * ranks)
    }

    /// The trainer compares the encoder's checksum across ranks every 50 steps
    /// and at the end, and stops the job on a mismatch; success means equal.
    func testTwoRanksFinishWithIdenticalEncodersAndCrossRankGames() throws {
        try check(ranks: 2)
    }

    func testFourOversubscribedRanksFinish() throws {
        try check(ranks: 4)
    }

    /// Cross-play across ranks: every speaker's lexicon played by every
    /// listener of every rank, a 2 × 4 matrix (1 speaker and 2 listeners a
    /// rank); the pairs of one rank average to the evaluation's accuracy,
    /// which plays the same games live.
    func testCrossPlaySpansRanks() throws {
        let summary = try train(2, out: "crossplay")
        let lines = try String(contentsOf: directory.appendingPathComponent("crossplay/metrics.jsonl"), encoding: .utf8)
            .split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        let evaluation = try XCTUnwrap(lines.last { $0["kind"] as? String == "eval" })
        let matrix = try XCTUnwrap(evaluation["crossplay"] as? [[Double]])
        XCTAssertEqual(matrix.count, 2)
        XCTAssertEqual(matrix.map(\.count), [4, 4])
        XCTAssertTrue(matrix.joined().allSatisfy { (0...1).contains($0) })
        let sameRank = (matrix[0][0] + matrix[0][1] + matrix[1][2] + matrix[1][3]) / 4
        let otherRanks = (matrix[0][2] + matrix[0][3] + matrix[1][0] + matrix[1][1]) / 4
        XCTAssertEqual(try XCTUnwrap(evaluation["crossplay_same_rank"] as? Double), sameRank, accuracy: 1e-12)
        XCTAssertEqual(try XCTUnwrap(evaluation["crossplay_other_ranks"] as? Double), otherRanks, accuracy: 1e-12)
        XCTAssertEqual(try XCTUnwrap(evaluation["accuracy"] as? Double), sameRank, accuracy: 1e-9,
                       "the live evaluation plays the same games with the same greedy messages")
        XCTAssertEqual(try XCTUnwrap(summary["crossplay_other_ranks"] as? Double), otherRanks, accuracy: 1e-12)
    }

    func testSameSeedSameWorldSizeGivesIdenticalFigures() throws {
        let first = try train(2, out: "first"), second = try train(2, out: "second")
        let timing: Set<String> = ["games_per_second", "steps_per_second", "wall_seconds", "allreduce_seconds"]
        for (key, value) in first where !timing.contains(key) {
            XCTAssertEqual("\(value)", "\(second[key] ?? "missing")", "summary field \(key) differs between identical runs")
        }
    }

    func testAFailingRankEndsTheJobWithItsError() throws {
        let started = Date()
        let result = try mpirun(2, ["train", "--config", directory.appendingPathComponent("config.yaml").path,
                                    "--out", directory.appendingPathComponent("failing").path, "--quiet",
                                    "--fail-rank", "1", "--fail-step", "40"], timeout: 60)
        XCTAssertFalse(result.timedOut, "the job hung after a rank failed")
        XCTAssertNotEqual(result.status, 0)
        XCTAssertLessThan(Date().timeIntervalSince(started), 20)
        XCTAssertTrue(result.standardError.contains("rank 1 of 2") && result.standardError.contains("injected failure"),
                      result.standardError)
    }

    func testLaunchRunsTwoRanksEndToEnd() throws {
        let out = directory.appendingPathComponent("launched")
        let result = try runKoine(["launch", "--np", "2", "--config", directory.appendingPathComponent("config.yaml").path,
                                   "--out", out.path, "--telemetry", "none", "--", "--quiet"], timeout: 120)
        XCTAssertEqual(result.status, 0, result.standardError)
        let data = try Data(contentsOf: out.appendingPathComponent("summary.json"))
        let summary = try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
        XCTAssertEqual(summary["world_size"] as? Int, 2)
    }

    /// Two ranks confined to one core, as hosts sharing a machine's cores
    /// each pinned to "their" core 0: the trainer finds them, unpins them,
    /// and says so in one line.
    func testRanksPinnedToOneCoreAreUnpinnedWithAWarning() throws {
        guard ProcessInfo.processInfo.activeProcessorCount > 1 else { throw XCTSkip("one core: nothing to unpin onto") }
        let out = directory.appendingPathComponent("pinned").path
        let result = try runProcess("/usr/bin/env", ["taskset", "-c", "0", "mpirun", "-np", "2", "--bind-to", "none",
                                                     koineExecutable.path, "train", "--config",
                                                     directory.appendingPathComponent("config.yaml").path, "--out", out, "--quiet"],
                                    environment: mpiEnvironment, timeout: 120)
        XCTAssertEqual(result.status, 0, result.standardError)
        let warnings = result.standardError.split(separator: "\n").filter { $0.contains("pinned to the same cores") }
        XCTAssertEqual(warnings.count, 1, result.standardError)
        XCTAssertTrue(warnings.first?.contains("rank 0 on ") == true && warnings.first?.contains("rank 1 on ") == true,
                      result.standardError)
        // Where a rank runs never changes what it computes.
        _ = try train(2, out: "unpinned")
        XCTAssertEqual(try RunFiles.figures(out)["parameters_checksum"],
                       try RunFiles.figures(directory.appendingPathComponent("unpinned").path)["parameters_checksum"])
    }

    /// A rank that stops answering without dying (SIGSTOP: as a host whose
    /// link is cut looks to its peers) ends the job once the peer timeout
    /// passes, with one line naming the rank and host awaited: of two ranks,
    /// the other; of three, the one that does not answer when asked.
    /// Without a shared encoder or cross-rank games (a PBT run's members), the
    /// step's collective is the stop flags' all-reduce, and the line names it
    /// (it named "the shared encoder's all-reduce", which such a run lacks).
    func testAStalledRankEndsTheJobNamingIt() throws {
        let apart = ["--set", "agents.encoder=private", "--set", "population.cross_rank=0"]
        for (ranks, settings) in [(2, []), (3, []), (2, apart)] {
            let out = directory.appendingPathComponent("stalled-\(ranks)-\(settings.count)").path
            let running = try RunningProcess(try XCTUnwrap(mpirunPath), [
                "-np", String(ranks), "--oversubscribe", "--bind-to", "none", koineExecutable.path, "train", "--config",
                directory.appendingPathComponent("config.yaml").path, "--out", out, "--quiet",
                "--set", "train.steps=100000000", "--peer-timeout", "3"] + settings, environment: mpiEnvironment)
            // Once steps run (the first step line is written): the timeout is armed with the step loop.
            running.waitWhileRunning(until: { ((try? Data(contentsOf: URL(fileURLWithPath: out + "/metrics.jsonl")))?.count ?? 0) > 0 })
            let rank = try running.pid(ofRank: 1)
            let stalled = Date()
            kill(rank, SIGSTOP)
            XCTAssertTrue(running.waitForExit(timeout: 40), "\(ranks) ranks: the job was still running 40 s after rank 1 stalled")
            let seconds = Date().timeIntervalSince(stalled)
            XCTAssertGreaterThanOrEqual(seconds, 2.5, "ended before the timeout")
            XCTAssertLessThan(seconds, 25)
            XCTAssertNotEqual(running.status, 0)
            let lines = running.output.split(separator: "\n").filter { $0.hasPrefix("koine: rank 0 of \(ranks) on ") }
            XCTAssertEqual(lines.count, 1, running.output)
            XCTAssertTrue(lines.first?.contains("no answer from rank 1 on ") == true, running.output)
            XCTAssertFalse(lines.first?.contains("rank 2 on") == true, running.output)
            XCTAssertTrue(lines.first?.contains("for 3 s in ") == true, running.output)
            if !settings.isEmpty {
                // Mostly the stop flags' all-reduce; at a step of check_every or eval.every, that step's own.
                XCTAssertFalse(lines.first?.contains("shared encoder") == true, running.output)
            }
        }
    }

    /// SIGKILL of one rank mid-run ends the whole job within 10 s; its newest
    /// complete checkpoint resumes, through `koine launch`, to exactly the
    /// uninterrupted run; resuming with another world size is refused.
    func testAKilledRankEndsTheJobAndItsCheckpointResumesExactly() throws {
        let steps = ["--set", "train.steps=3000", "--set", "train.checkpoint.every=100", "--set", "eval.every=300"]
        _ = try train(2, out: "reference", extra: steps)
        let reference = directory.appendingPathComponent("reference").path
        let victim = directory.appendingPathComponent("victim").path
        let running = try RunningProcess(try XCTUnwrap(mpirunPath), [
            "-np", "2", koineExecutable.path, "train", "--config", directory.appendingPathComponent("config.yaml").path,
            "--out", victim, "--quiet"] + steps, environment: mpiEnvironment)
        running.waitWhileRunning(until: { FileManager.default.fileExists(atPath: victim + "/checkpoints/step-00000100/COMPLETE") })
        let rank = try running.pid(ofRank: 1)
        let killed = Date()
        kill(rank, SIGKILL)
        XCTAssertTrue(running.waitForExit(timeout: 10), "the job was still running 10 s after rank 1 was killed")
        XCTAssertLessThan(Date().timeIntervalSince(killed), 10)
        XCTAssertNotEqual(running.status, 0)
        XCTAssertFalse(FileManager.default.fileExists(atPath: victim + "/summary.json"), "the run finished before the kill")

        let alone = try runKoine(["train", "--resume", victim, "--quiet"], timeout: 60)
        XCTAssertEqual(alone.status, 2, alone.standardError)
        XCTAssertTrue(alone.standardError.contains("written by 2 rank(s) but this job has 1"), alone.standardError)

        let resumed = try runKoine(["launch", "--np", "2", "--resume", victim, "--telemetry", "none", "--", "--quiet"], timeout: 120)
        XCTAssertEqual(resumed.status, 0, resumed.standardOutput + resumed.standardError)
        XCTAssertEqual(try RunFiles.figures(victim), try RunFiles.figures(reference))
        XCTAssertEqual(try RunFiles.deterministicMetrics(victim), try RunFiles.deterministicMetrics(reference))
    }
}
