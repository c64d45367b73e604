import Foundation
import KoineTestSupport
import XCTest

/// Checkpoints and `--resume` through the built binary, one rank: a killed
/// run and an extended run end exactly where an uninterrupted one does;
/// damaged checkpoints are named and passed over; resuming never mixes
/// configurations; a failed write never leaves a "complete" checkpoint.
final class CheckpointTests: XCTestCase {
    static let config = """
        seed: 9
        game: {attributes: [4, 4], candidates: 4}
        agents: {hidden: 32}
        population: {listeners: 2, reset: {listeners: {mode: staggered, every: 300}}}
        train: {steps: 1000, batch: 32, log_every: 100, checkpoint: {every: 200, keep: 3}}
        eval: {every: 300, ease_of_teaching: {every: 600, listeners: 2, steps: 20}}
        telemetry: {endpoint: none}
        """

    var directory: ConfiguredDirectory!
    var config: String { directory.config }

    override func setUpWithError() throws { directory = try ConfiguredDirectory("checkpoints", config: Self.config) }

    override func tearDownWithError() throws { directory?.remove() }

    func path(_ name: String) -> String { directory.path(name) }

    @discardableResult
    func train(_ out: String, steps: Int, _ extra: [String] = [], expect status: Int32 = 0) throws -> ProcessResult {
        let result = try runKoine(["train", "--config", config, "--out", out, "--quiet", "--set", "train.steps=\(steps)"] + extra,
                                  timeout: 120)
        XCTAssertEqual(result.status, status, result.standardError)
        return result
    }

    @discardableResult
    func resume(_ run: String, _ extra: [String] = [], expect status: Int32 = 0) throws -> ProcessResult {
        let result = try runKoine(["train", "--resume", run, "--quiet"] + extra, timeout: 120)
        XCTAssertEqual(result.status, status, result.standardError)
        return result
    }

    func completeSteps(_ run: String) -> [String] {
        let folder = run + "/checkpoints"
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        return names.filter { FileManager.default.fileExists(atPath: "\(folder)/\($0)/COMPLETE") }.sorted()
    }

    func assertSameRun(_ run: String, as reference: String, file: StaticString = #filePath, line: UInt = #line) throws {
        XCTAssertEqual(try RunFiles.figures(run), try RunFiles.figures(reference), "summary of \(run)", file: file, line: line)
        XCTAssertEqual(try RunFiles.deterministicMetrics(run), try RunFiles.deterministicMetrics(reference),
                       "metrics.jsonl of \(run)", file: file, line: line)
    }

    func testKilledAndExtendedRunsEndExactlyAsAnUninterruptedRun() throws {
        let steps = 6000
        let full = path("full")
        try train(full, steps: steps)

        // Killed with SIGKILL once its first checkpoint is complete, then resumed.
        let killed = path("killed")
        let process = Process()
        process.executableURL = koineExecutable
        process.arguments = ["train", "--config", config, "--out", killed, "--quiet", "--set", "train.steps=\(steps)"]
        process.standardError = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(60)
        while completeSteps(killed).isEmpty && process.isRunning && Date() < deadline { usleep(5_000) }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationReason, .uncaughtSignal, "the run finished before it could be killed")
        XCTAssertFalse(FileManager.default.fileExists(atPath: killed + "/summary.json"))
        let resumed = try resume(killed)
        XCTAssertTrue(resumed.standardError.contains("resuming \(killed) from step "), resumed.standardError)
        try assertSameRun(killed, as: full)

        // Half the steps, then extended to the whole length.
        let extended = path("extended")
        try train(extended, steps: steps / 2)
        XCTAssertEqual(completeSteps(extended), ["step-00002600", "step-00002800", "step-00003000"], "keep: 3")
        try resume(extended, ["--set", "train.steps=\(steps)"])
        try assertSameRun(extended, as: full)
        XCTAssertTrue(try String(contentsOfFile: extended + "/config.yaml", encoding: .utf8).contains("steps: \(steps)"))
    }

    /// Damages the newest checkpoint of a copy of `run` and resumes it.
    func resumeDamaged(_ run: String, _ name: String, damage: (String) throws -> Void) throws -> (String, ProcessResult) {
        let copy = path(name)
        try FileManager.default.copyItem(atPath: run, toPath: copy)
        try damage(copy + "/checkpoints/step-00001000/rank-0.ckpt")
        return (copy, try resume(copy, ["--set", "train.steps=1400"]))
    }

    /// A run's telemetry id is its directory's name and a random 32-bit suffix,
    /// kept in `run-id`: not guessable, and the same after a resume.
    func testTheRunIdHasARandomSuffixThatAResumeKeeps() throws {
        let run = path("identified")
        try train(run, steps: 200)
        let identifier = try String(contentsOfFile: run + "/run-id", encoding: .utf8).trimmingCharacters(in: .newlines)
        XCTAssertTrue(identifier.hasPrefix("identified-"), identifier)
        let suffix = identifier.dropFirst("identified-".count)
        XCTAssertEqual(suffix.count, 8, identifier)
        XCTAssertTrue(suffix.allSatisfy(\.isHexDigit), identifier)
        try resume(run, ["--set", "train.steps=300"])
        XCTAssertEqual(try String(contentsOfFile: run + "/run-id", encoding: .utf8).trimmingCharacters(in: .newlines), identifier)
        let other = path("identified-again")
        try train(other, steps: 200)
        XCTAssertNotEqual(try String(contentsOfFile: other + "/run-id", encoding: .utf8), identifier + "\n")
    }

    func testDamagedCheckpointsAreNamedAndTheNewestIntactOneIsUsed() throws {
        let reference = path("reference"), run = path("run")
        try train(reference, steps: 1400)
        try train(run, steps: 1000)
        let damages: [(String, String, (String) throws -> Void)] = [
            ("flipped", "corrupted (payload checksum mismatch)", { file in
                var bytes = try Data(contentsOf: URL(fileURLWithPath: file))
                bytes[bytes.count / 2] ^= 0x04
                try bytes.write(to: URL(fileURLWithPath: file))
            }),
            ("truncated", "truncated", { file in
                let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: file))
                try handle.truncate(atOffset: 1000)
                try handle.close()
            }),
            ("foreign", "not a Koine checkpoint", { file in
                try "step,accuracy\n1000,0.9\n".write(toFile: file, atomically: true, encoding: .utf8)
            }),
        ]
        for (name, fault, damage) in damages {
            let (copy, result) = try resumeDamaged(run, name, damage: damage)
            XCTAssertTrue(result.standardError.contains("\(name)/checkpoints/step-00001000/rank-0.ckpt: \(fault)"), result.standardError)
            XCTAssertTrue(result.standardError.contains("from step 800"), result.standardError)
            XCTAssertEqual(try RunFiles.figures(copy)["parameters_checksum"], try RunFiles.figures(reference)["parameters_checksum"], name)
        }

        // A checkpoint of another run (other seed) put in place of this one's.
        let other = path("other")
        try train(other, steps: 1000, ["--set", "seed=10", "--set", "agents.hidden=16"])
        let (_, swapped) = try resumeDamaged(run, "swapped") { file in
            try FileManager.default.removeItem(atPath: file)
            try FileManager.default.copyItem(atPath: other + "/checkpoints/step-00001000/rank-0.ckpt", toPath: file)
        }
        XCTAssertTrue(swapped.standardError.contains("written for a different configuration"), swapped.standardError)

        // Every checkpoint damaged: exit 2, one line naming the files, the run untouched.
        let ruined = path("ruined")
        try FileManager.default.copyItem(atPath: run, toPath: ruined)
        for step in completeSteps(ruined) {
            try Data([1, 2, 3]).write(to: URL(fileURLWithPath: "\(ruined)/checkpoints/\(step)/rank-0.ckpt"))
        }
        let metrics = try Data(contentsOf: URL(fileURLWithPath: ruined + "/metrics.jsonl"))
        let result = try resume(ruined, ["--set", "train.steps=1400"], expect: 2)
        XCTAssertEqual(result.standardError.split(separator: "\n").count, 1, result.standardError)
        XCTAssertTrue(result.standardError.contains("no usable checkpoint"), result.standardError)
        XCTAssertTrue(result.standardError.contains("step-00000600/rank-0.ckpt: not a Koine checkpoint"), result.standardError)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: ruined + "/metrics.jsonl")), metrics)
    }

    func testResumingNeverMixesConfigurations() throws {
        let run = path("run")
        try train(run, steps: 1000)
        let metrics = try Data(contentsOf: URL(fileURLWithPath: run + "/metrics.jsonl"))
        let otherConfig = path("other.yaml")
        try Self.config.replacingOccurrences(of: "hidden: 32", with: "hidden: 16")
            .write(toFile: otherConfig, atomically: true, encoding: .utf8)
        let cases: [([String], [String])] = [
            (["--set", "agents.hidden=16"], ["--set agents.hidden=16", "only train.steps"]),
            (["--config", otherConfig, "--set", "train.steps=2000"], ["agents.hidden is 16 here but 32 in the run"]),
            (["--set", "train.steps=500"], ["before the checkpoint at step 1000"]),
            ([], ["already finished at step 1000", "--set train.steps="]),
            (["--out", path("elsewhere")], ["--out and --resume"]),
        ]
        for (extra, fragments) in cases {
            let result = try resume(run, extra, expect: 2)
            XCTAssertEqual(result.standardError.split(separator: "\n").count, 1, "\(extra): \(result.standardError)")
            for fragment in fragments {
                XCTAssertTrue(result.standardError.contains(fragment), "\(extra): \(result.standardError) lacks \(fragment)")
            }
        }
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: run + "/metrics.jsonl")), metrics, "refused resumes change nothing")
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("elsewhere")))

        let missing = try resume(path("nowhere"), expect: 2)
        XCTAssertTrue(missing.standardError.contains("no such run directory"), missing.standardError)
        let unCheckpointed = path("unCheckpointed")
        try train(unCheckpointed, steps: 400, ["--set", "train.checkpoint.every=0"])
        XCTAssertFalse(FileManager.default.fileExists(atPath: unCheckpointed + "/checkpoints"))
        let none = try resume(unCheckpointed, ["--set", "train.steps=800"], expect: 2)
        XCTAssertTrue(none.standardError.contains("no complete checkpoint"), none.standardError)
    }

    /// A write that fails part-way (here a file-size limit standing in for a
    /// full disk) stops the run with the reason, and leaves no complete
    /// marker and no half-written step.
    func testAFailedCheckpointWriteStopsTheRunAndIsNeverComplete() throws {
        let run = path("run")
        let command = "ulimit -f 64; exec '\(koineExecutable.path)' train --config '\(config)' --out '\(run)' --quiet --set agents.hidden=64"
        let result = try runProcess("/bin/sh", ["-c", command], timeout: 120)
        XCTAssertNotEqual(result.status, 0)
        XCTAssertTrue(result.standardError.contains("checkpoint at step 200 failed"), result.standardError)
        XCTAssertTrue(result.standardError.contains("File too large"), result.standardError)
        XCTAssertEqual(completeSteps(run), [])
        XCTAssertEqual((try? FileManager.default.contentsOfDirectory(atPath: run + "/checkpoints")) ?? [], [], "no half-written step is left")
    }

    /// A failed write to metrics.jsonl (a file-size limit standing in for a
    /// full disk) stops the run with one line naming the file, the reason and
    /// the checkpoint to resume from; that checkpoint is intact and resumes.
    func testAFailedMetricsWriteStopsTheRunAndKeepsItsCheckpoints() throws {
        let run = path("run")
        // 64 blocks hold a checkpoint of hidden size 8 but not a line per step.
        let command = "ulimit -f 64; exec '\(koineExecutable.path)' train --config '\(config)' --out '\(run)' --quiet "
            + "--set agents.hidden=8 --set train.log_every=1 --set train.checkpoint.every=50"
        let result = try runProcess("/bin/sh", ["-c", command], timeout: 120)
        XCTAssertEqual(result.status, 1, result.standardError)
        XCTAssertEqual(result.standardError.split(separator: "\n").count, 1, result.standardError)
        XCTAssertTrue(result.standardError.contains("metrics.jsonl: write failed (File too large); training stopped; the newest complete checkpoint is run/checkpoints/step-"),
                      result.standardError)
        let complete = completeSteps(run)
        XCTAssertFalse(complete.isEmpty)
        XCTAssertFalse(result.standardError.contains("Fatal error") || result.standardError.contains("backtrace"), result.standardError)
        try resume(run)
        XCTAssertEqual(try RunFiles.summary(run)["steps"] as? Int, 1000)
    }

    func testCheckpointsThatCannotFitAreRefusedBeforeTraining() throws {
        let run = path("run")
        let result = try runKoine(["train", "--config", config, "--out", run, "--set", "train.steps=1000000000",
                                   "--set", "train.checkpoint.every=1", "--set", "train.checkpoint.keep=100000000"], timeout: 60)
        XCTAssertEqual(result.status, 2, result.standardError)
        XCTAssertTrue(result.standardError.contains("checkpoints need"), result.standardError)
        XCTAssertTrue(result.standardError.contains("train.checkpoint.keep"), result.standardError)
        XCTAssertFalse(FileManager.default.fileExists(atPath: run))
    }
}
