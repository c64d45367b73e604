import Foundation
import KoineTestSupport
import XCTest

/// SIGTERM — what a scheduler sends before it pre-empts, requeues or times out
/// a job — makes `koine train` write a checkpoint at once and exit with 143;
/// the run resumed from it ends exactly as an uninterrupted one. Alone, under
/// `mpirun` with the signal to one rank only (every rank agrees on the step),
/// and through `koine launch` (mpirun passes the signal on).
final class StopSignalTests: XCTestCase {
    static let config = """
        seed: 4
        game: {attributes: [4, 4], candidates: 4}
        agents: {hidden: 32}
        population: {listeners: 2, cross_rank: 0.25, reset: {listeners: {mode: staggered, every: 300}}}
        train: {steps: 30000, batch: 32, log_every: 100, checkpoint: {every: 500, keep: 2}}
        eval: {every: 1000, ease_of_teaching: {every: 0}}
        telemetry: {endpoint: none}
        """

    var directory: ConfiguredDirectory!
    var config: String { directory.config }

    override func setUpWithError() throws { directory = try ConfiguredDirectory("stop", config: Self.config) }

    override func tearDownWithError() throws { directory?.remove() }

    func path(_ name: String) -> String { directory.path(name) }

    func completeSteps(_ run: String) -> [Int] {
        let folder = run + "/checkpoints"
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        return names.filter { FileManager.default.fileExists(atPath: "\(folder)/\($0)/COMPLETE") }
            .compactMap { Int($0.dropFirst("step-".count)) }.sorted()
    }

    /// Waits for the run's first complete checkpoint, so the signal lands mid-run
    /// (at step 500 of 30,000: the run must not end before the signal arrives,
    /// even on a loaded machine).
    func waitForFirstCheckpoint(_ run: String, _ process: RunningProcess) {
        process.waitWhileRunning(until: { !completeSteps(run).isEmpty })
    }

    /// The step the run says it stopped after, from its message.
    func stoppedStep(_ output: String) -> Int? {
        guard let range = output.range(of: #"after step (\d+);"#, options: .regularExpression) else { return nil }
        return Int(output[range].dropFirst("after step ".count).dropLast())
    }

    func assertSameRun(_ run: String, as reference: String, file: StaticString = #filePath, line: UInt = #line) throws {
        XCTAssertEqual(try RunFiles.figures(run), try RunFiles.figures(reference), "summary of \(run)", file: file, line: line)
        XCTAssertEqual(try RunFiles.deterministicMetrics(run), try RunFiles.deterministicMetrics(reference),
                       "metrics.jsonl of \(run)", file: file, line: line)
    }

    func testOneRankCheckpointsAtOnceOnSIGTERMAndResumesExactly() throws {
        let full = path("full"), stopped = path("stopped")
        let reference = try runKoine(["train", "--config", config, "--out", full, "--quiet"], timeout: 120)
        XCTAssertEqual(reference.status, 0, reference.standardError)

        let running = try RunningProcess(koineExecutable.path, ["train", "--config", config, "--out", stopped, "--quiet"])
        waitForFirstCheckpoint(stopped, running)
        kill(running.process.processIdentifier, SIGTERM)
        XCTAssertTrue(running.waitForExit(timeout: 30), "still running 30 s after SIGTERM")
        XCTAssertEqual(running.status, 143, running.output)
        XCTAssertFalse(FileManager.default.fileExists(atPath: stopped + "/summary.json"), "the run finished before the signal")
        let step = try XCTUnwrap(stoppedStep(running.output), running.output)
        XCTAssertTrue(running.output.contains("koine: stopped by SIGTERM after step \(step); checkpoint "), running.output)
        XCTAssertTrue(running.output.contains("continue with: koine train --resume \(stopped)"), running.output)
        XCTAssertEqual(completeSteps(stopped).last, step, "the newest complete checkpoint is the step it stopped after")

        let resumed = try runKoine(["train", "--resume", stopped, "--quiet"], timeout: 120)
        XCTAssertEqual(resumed.status, 0, resumed.standardError)
        XCTAssertTrue(resumed.standardError.contains("from step \(step)"), resumed.standardError)
        try assertSameRun(stopped, as: full)
    }

    /// Checkpoints off: the run still stops cleanly, and says nothing was saved.
    func testWithoutCheckpointsTheRunStopsAndSaysSo() throws {
        let run = path("unsaved")
        let running = try RunningProcess(koineExecutable.path, [
            "train", "--config", config, "--out", run, "--quiet", "--set", "train.checkpoint.every=0",
            "--set", "train.steps=100000000"])
        running.waitWhileRunning(until: { FileManager.default.fileExists(atPath: run + "/metrics.jsonl") })
        usleep(300_000)
        kill(running.process.processIdentifier, SIGTERM)
        XCTAssertTrue(running.waitForExit(timeout: 30))
        XCTAssertEqual(running.status, 143, running.output)
        XCTAssertTrue(running.output.contains("checkpoints are off (train.checkpoint.every: 0), so nothing was saved"), running.output)
    }

    /// Under `mpirun -np 2` the signal reaches rank 1 alone: both ranks stop
    /// after the same step, each writes its file, and rank 0 marks the
    /// checkpoint complete; resumed under mpirun, the run ends exactly as an
    /// uninterrupted one. Then the same through `koine launch`, sent SIGTERM as
    /// by a user's `kill`: it asks the ranks through mpirun (as SIGUSR1).
    func testRanksAgreeOnTheStepAndTheirCheckpointResumesExactly() throws {
        let mpirun = try XCTUnwrap(mpirunPath, "Open MPI is not installed")
        func mpirunArguments(_ rest: [String]) -> [String] {
            ["-np", "2", "--bind-to", "none", koineExecutable.path] + rest
        }
        let full = path("full-2"), stopped = path("stopped-2"), launched = path("launched-2")
        let reference = try runProcess(mpirun, mpirunArguments(["train", "--config", config, "--out", full, "--quiet"]),
                                       environment: mpiEnvironment, timeout: 180)
        XCTAssertEqual(reference.status, 0, reference.standardError)

        let running = try RunningProcess(mpirun, mpirunArguments(["train", "--config", config, "--out", stopped, "--quiet"]),
                                         environment: mpiEnvironment)
        waitForFirstCheckpoint(stopped, running)
        let rank = try running.pid(ofRank: 1)
        kill(rank, SIGTERM)
        XCTAssertTrue(running.waitForExit(timeout: 60), "still running 60 s after SIGTERM")
        XCTAssertNotEqual(running.status, 0, running.output)
        XCTAssertFalse(FileManager.default.fileExists(atPath: stopped + "/summary.json"), "the run finished before the signal")
        let step = try XCTUnwrap(stoppedStep(running.output), running.output)
        XCTAssertTrue(running.output.contains("stopped because another rank was asked to after step \(step)"), running.output)
        XCTAssertEqual(completeSteps(stopped).last, step)
        for rankFile in ["rank-0.ckpt", "rank-1.ckpt"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: String(format: "%@/checkpoints/step-%08d/%@", stopped, step, rankFile)))
        }
        let resumed = try runProcess(mpirun, mpirunArguments(["train", "--resume", stopped, "--quiet"]),
                                     environment: mpiEnvironment, timeout: 180)
        XCTAssertEqual(resumed.status, 0, resumed.standardError)
        try assertSameRun(stopped, as: full)

        let launch = try RunningProcess(koineExecutable.path, [
            "launch", "--np", "2", "--config", config, "--out", launched, "--telemetry", "none", "--", "--quiet"])
        waitForFirstCheckpoint(launched, launch)
        kill(launch.process.processIdentifier, SIGTERM)
        XCTAssertTrue(launch.waitForExit(timeout: 60), "launch still running 60 s after SIGTERM")
        XCTAssertEqual(launch.status, 128 + SIGTERM, launch.output)
        let launchedStep = try XCTUnwrap(stoppedStep(launch.output), launch.output)
        XCTAssertEqual(completeSteps(launched).last, launchedStep, launch.output)
        let relaunched = try runKoine(["launch", "--np", "2", "--resume", launched, "--telemetry", "none", "--", "--quiet"],
                                      timeout: 180)
        XCTAssertEqual(relaunched.status, 0, relaunched.standardOutput + relaunched.standardError)
        try assertSameRun(launched, as: full)
    }
}
