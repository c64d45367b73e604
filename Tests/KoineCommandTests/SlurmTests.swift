import Foundation
import KoineTestSupport
import XCTest

/// Koine under a real Slurm (Debian's slurm-wlm, started on this machine by
/// scripts/slurm-local in a temporary directory): a `koine sweep --slurm` job
/// array gives the runs the same sweep gives here, `sbatch cluster/slurm.sh`
/// with 2 ranks ends as `mpirun -np 2` does, and a job or array task that is
/// requeued mid-run (as pre-emption does), or whose batch shell alone gets
/// SIGTERM (as `--signal=B:TERM@T` before the time limit), checkpoints at
/// once, resumes its run directory and ends with the uninterrupted run's
/// parameters.
final class SlurmTests: XCTestCase {
    /// The local cluster's directory (slurm.conf, daemons' files), while it runs.
    nonisolated(unsafe) static var cluster: URL?
    /// Why these tests are skipped, when Slurm cannot be had here.
    nonisolated(unsafe) static var unavailable: String?
    /// The uninterrupted 2-rank run every 2-rank job is compared with, made once.
    nonisolated(unsafe) static var twoRankReference: String?

    static let script = packageDirectory.appendingPathComponent("scripts/slurm-local").path
    static let config = packageDirectory.appendingPathComponent("configs/quick.yaml").path
    static let batchScript = packageDirectory.appendingPathComponent("cluster/slurm.sh").path
    /// Steps of the 2-rank runs: long enough to be requeued in the middle (about 8 s on a
    /// quiet 2-core machine), short enough for the suite.
    static let steps = 6000

    override class func setUp() {
        super.setUp()
        let directory: URL
        do {
            directory = try makeTemporaryDirectory("slurm")
        } catch {
            unavailable = "no temporary directory: \(error)"
            return
        }
        if getuid() != 0, (try? runProcess("/usr/bin/env", ["sudo", "-n", "true"], timeout: 30))?.status != 0 {
            unavailable = "Slurm's daemons need root here: not root, and no password-less sudo"
            return
        }
        guard let started = try? runProcess(script, ["start", directory.path], timeout: 600) else {
            unavailable = "scripts/slurm-local could not be run"
            return
        }
        cluster = directory
        if started.status != 0 {
            let reason = started.standardError.trimmingCharacters(in: .whitespacesAndNewlines)
            if reason.contains("could not install") || reason.contains("no sudo") {
                unavailable = reason
            } else {
                unavailable = "FAILED: scripts/slurm-local start \(directory.path): \(reason)"
            }
        }
    }

    override class func tearDown() {
        if let cluster {
            let stopped = try? runProcess(script, ["stop", cluster.path], timeout: 120)
            if stopped?.status == 0 { try? FileManager.default.removeItem(at: cluster) }
        }
        cluster = nil
        if let reference = twoRankReference { try? FileManager.default.removeItem(atPath: reference) }
        twoRankReference = nil
        super.tearDown()
    }

    var work: URL!

    override func setUpWithError() throws {
        if let reason = Self.unavailable {
            if reason.hasPrefix("FAILED") { XCTFail(reason) }
            throw XCTSkip("no local Slurm: \(reason)")
        }
        work = try makeTemporaryDirectory("slurm-work")
    }

    override func tearDownWithError() throws {
        if let work { try? FileManager.default.removeItem(at: work) }
    }

    func path(_ name: String) -> String { work.appendingPathComponent(name).path }

    /// What the Slurm clients and the jobs they submit need: the local cluster's
    /// slurm.conf, Open MPI's root allowances, the koine under test.
    var environment: [String: String] {
        var environment = mpiEnvironment
        environment["SLURM_CONF"] = Self.cluster!.appendingPathComponent("slurm.conf").path
        environment["KOINE"] = koineExecutable.path
        return environment
    }

    @discardableResult
    func slurm(_ tool: String, _ arguments: [String], extra: [String: String] = [:]) throws -> ProcessResult {
        let result = try runProcess("/usr/bin/env", [tool] + arguments, environment: environment.merging(extra) { $1 },
                                    directory: work, timeout: 60)
        XCTAssertEqual(result.status, 0, "\(tool) \(arguments.joined(separator: " ")): \(result.standardError)")
        return result
    }

    /// Submits from the work directory; the job id.
    func sbatch(_ arguments: [String], extra: [String: String] = [:]) throws -> String {
        let result = try slurm("sbatch", ["--parsable"] + arguments, extra: extra)
        let id = String(result.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines).prefix { $0 != ";" })
        XCTAssertFalse(id.isEmpty, result.standardOutput)
        return id
    }

    /// The states of a job (of each task of an array), from squeue while it is queued.
    func queued(_ job: String) throws -> [String] {
        let result = try runProcess("/usr/bin/env", ["squeue", "-h", "-j", job, "-o", "%T"], environment: environment, timeout: 60)
        return result.standardOutput.split(separator: "\n").map(String.init)
    }

    /// Waits until no task of the job is queued, running or completing; then the final
    /// states and exit codes Slurm reports (`scontrol show job`, kept MinJobAge seconds).
    func waitForJob(_ job: String, timeout: TimeInterval = 300) throws -> [String] {
        let deadline = Date().addingTimeInterval(timeout)
        while try !queued(job).isEmpty {
            guard Date() < deadline else {
                try? slurm("scancel", [job])
                XCTFail("job \(job) still queued after \(Int(timeout)) s")
                return []
            }
            usleep(300_000)
        }
        let shown = try slurm("scontrol", ["show", "job", job]).standardOutput
        return shown.components(separatedBy: .whitespacesAndNewlines).filter { $0.hasPrefix("JobState=") || $0.hasPrefix("ExitCode=") }
    }

    /// Waits until `condition` holds (polled), or fails.
    func waitUntil(_ what: String, timeout: TimeInterval, _ condition: () throws -> Bool) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while try !condition() {
            guard Date() < deadline else { throw TimedOut(what: what) }
            usleep(200_000)
        }
    }

    struct TimedOut: Error { var what: String }

    /// The newest `step` line of a run's metrics.jsonl (0 before the first).
    func loggedStep(_ run: String) -> Int {
        guard let text = try? String(contentsOfFile: run + "/metrics.jsonl", encoding: .utf8) else { return 0 }
        var newest = 0
        for line in text.split(separator: "\n") where line.hasPrefix("{\"kind\":\"step\"") {
            if let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
               let step = object["step"] as? Int { newest = max(newest, step) }
        }
        return newest
    }

    /// Requeues a running job, as pre-emption with PreemptMode=REQUEUE does: SIGCONT and
    /// SIGTERM to every process of the job, SIGKILL after KillWait. The job starts again
    /// by itself after AuthInfo's cred_expire (10 s in scripts/slurm-local's slurm.conf):
    /// forced to start sooner (scontrol update StartTime=now), Slurm kills it at once
    /// ("Job credential revoked").
    func requeue(_ job: String) throws {
        try slurm("scontrol", ["requeue", job])
    }

    func log(_ file: String) -> String { (try? String(contentsOfFile: file, encoding: .utf8)) ?? "(no \(file))" }

    /// `mpirun -np 2 koine train` of quick.yaml at `steps` steps, outside Slurm.
    func reference() throws -> String {
        if let reference = Self.twoRankReference { return reference }
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("slurm-reference-\(UUID().uuidString.prefix(8))").path
        var options = ["-np", "2"]
        if ProcessInfo.processInfo.activeProcessorCount < 2 { options.append("--oversubscribe") }
        let result = try runProcess("/usr/bin/env", ["mpirun"] + options + ["-x", "OPENBLAS_NUM_THREADS", koineExecutable.path, "train",
                                    "--config", Self.config, "--set", "train.steps=\(Self.steps)", "--out", out, "--quiet",
                                    "--telemetry", "none"], environment: mpiEnvironment, timeout: 300)
        XCTAssertEqual(result.status, 0, result.standardError)
        Self.twoRankReference = out
        return out
    }

    /// The figures of summary.json but its timings: parameters_checksum, accuracy, topsim...
    func assertSameRun(_ run: String, _ reference: String, _ context: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let figures = try RunFiles.figures(run), expected = try RunFiles.figures(reference)
        XCTAssertNotNil(expected["parameters_checksum"], file: file, line: line)
        XCTAssertEqual(figures, expected, context, file: file, line: line)
    }

    func testSweepAsAJobArrayEqualsTheSweepHere() throws {
        let sweep = ["sweep", "--config", Self.config, "--seeds", "1-4", "--set", "train.steps=1000"]
        let written = try runKoine(sweep + ["--out", path("array"), "--slurm", "--np", "1"], timeout: 60)
        XCTAssertEqual(written.status, 0, written.standardError)
        let job = try sbatch([path("array/slurm.sh")])
        let states = try waitForJob(job)
        XCTAssertEqual(states.filter { $0 == "JobState=COMPLETED" }.count, 4, "\(states)")
        XCTAssertEqual(states.filter { $0 == "ExitCode=0:0" }.count, 4, "\(states)")

        let here = try runKoine(sweep + ["--out", path("here"), "--jobs", "2"], timeout: 300)
        XCTAssertEqual(here.status, 0, here.standardOutput + here.standardError)
        for seed in 1...4 {
            let task = path("array/logs/slurm-\(job)_\(seed - 1).out")
            try assertSameRun(path("array/quick,seed=\(seed)"), path("here/quick,seed=\(seed)"), "seed \(seed): \(log(task))")
            // One CPU each, sharing the node's cores unconfined (task/none): not all bound to core 0.
            if ProcessInfo.processInfo.activeProcessorCount > 1 {
                XCTAssertTrue(log(task).contains("bound to none"), log(task))
            }
        }
    }

    func testTwoRanksUnderSbatchEqualMpirun() throws {
        let job = try sbatch(["-n", "2", "--ntasks-per-node=2", Self.batchScript, Self.config,
                              "--set", "train.steps=\(Self.steps)", "--telemetry", "none"],
                             extra: ["OMPI_MCA_hwloc_base_report_bindings": "1"])
        let states = try waitForJob(job)
        let output = log(path("slurm-\(job).out"))
        XCTAssertEqual(states, ["JobState=COMPLETED", "ExitCode=0:0"], output)
        XCTAssertTrue(output.contains("slurm.sh: 2 ranks on"), output)
        try assertSameRun(path("runs/\(job)"), try reference(), output)
        XCTAssertEqual(try RunFiles.summary(path("runs/\(job)"))["world_size"] as? Int, 2)
        // Bound to two different cores when the job has the machine's cores (2 here), else not bound.
        // "[vm:123] MCW rank 0 bound to socket 0[core 0[hwt 0]]: [B/.]"
        let bindings = output.split(separator: "\n").filter { $0.contains("MCW rank") }.map { String($0.split(separator: ":").last ?? "") }
        if ProcessInfo.processInfo.activeProcessorCount <= 2 {
            XCTAssertTrue(output.contains("bound to core"), output)
            XCTAssertEqual(bindings.count, 2, output)
            XCTAssertEqual(Set(bindings).count, 2, "two ranks bound to one core: \(output)")
        } else {
            XCTAssertTrue(output.contains("bound to none"), output)
        }
    }

    /// The step a stopped run's rank 0 reported ("koine: stopped by SIGTERM after step N; ...",
    /// or SIGUSR1, as mpirun passes a signal on) and the one the restart resumed from
    /// ("koine: resuming DIR from step N").
    func stopAndResumeSteps(_ output: String) -> (stopped: Int?, resumed: Int?) {
        func number(after markers: [String]) -> Int? {
            var rest = Substring(output)
            for marker in markers {
                guard let range = rest.range(of: marker) else { return nil }
                rest = rest[range.upperBound...]
            }
            return Int(rest.prefix { $0.isNumber })
        }
        return (number(after: ["koine: stopped by SIG", " after step "]), number(after: ["koine: resuming ", " from step "]))
    }

    /// Checks a job that was stopped once mid-run by SIGTERM: it wrote a checkpoint at the
    /// step it stopped after (no periodic checkpoint falls before the end: every 10,000
    /// steps), resumed from it, and ended as the uninterrupted run.
    func assertStoppedAndResumed(_ run: String, _ output: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let (stopped, resumed) = stopAndResumeSteps(output)
        // Rank 0's line reaches the output through mpirun, which may be gone first (signalled
        // by Slurm too); the step resumed from is the restart's own line.
        if let stopped { XCTAssertEqual(stopped, resumed, output, file: file, line: line) }
        let step = try XCTUnwrap(resumed, output, file: file, line: line)
        XCTAssertGreaterThan(step, 0, output, file: file, line: line)
        XCTAssertLessThan(step, Self.steps, output, file: file, line: line)
        try assertSameRun(run, try reference(), output, file: file, line: line)
    }

    /// Submits `cluster/slurm.sh` with 2 ranks, lets it pass step 1000, applies `stop` to
    /// the job, waits for the job to end, and checks it completed after resuming its run.
    func stoppedMidRun(_ stop: (String) throws -> Void) throws -> (job: String, output: String) {
        _ = try reference()
        let job = try sbatch(["-n", "2", Self.batchScript, Self.config, "--set", "train.steps=\(Self.steps)", "--telemetry", "none"])
        let run = path("runs/\(job)")
        try waitUntil("job \(job) past step 1000", timeout: 240) { loggedStep(run) >= 1000 }
        try stop(job)
        let states = try waitForJob(job)
        let output = log(path("slurm-\(job).out"))
        XCTAssertEqual(states, ["JobState=COMPLETED", "ExitCode=0:0"], output)
        XCTAssertTrue(output.contains("slurm.sh: restart 1 of job \(job): resuming runs/\(job)"), output)
        try assertStoppedAndResumed(run, output)
        return (job, output)
    }

    func testRequeuedJobCheckpointsResumesItsRunAndEndsAsIfUninterrupted() throws {
        let (_, output) = try stoppedMidRun { try requeue($0) }
        XCTAssertTrue(output.contains("DUE TO JOB REQUEUE"), output)
    }

    /// SIGTERM to the batch shell alone, as `--signal=B:TERM@T` sends it T seconds before the
    /// time limit: the shell passes it on, the ranks checkpoint, and the job requeues itself.
    func testSignalToTheBatchShellCheckpointsAndRequeuesTheJob() throws {
        let (job, output) = try stoppedMidRun { _ = try slurm("scancel", ["--batch", "--signal=TERM", $0]) }
        XCTAssertTrue(output.contains("slurm.sh: stopped by SIGTERM at a checkpoint; requeueing job \(job)"), output)
    }

    func testRequeuedArrayTaskCheckpointsAndResumesItsRun() throws {
        _ = try reference()
        let written = try runKoine(["sweep", "--config", Self.config, "--set", "train.steps=\(Self.steps)",
                                    "--out", path("array"), "--slurm", "--np", "2"], timeout: 60)
        XCTAssertEqual(written.status, 0, written.standardError)
        let array = try sbatch([path("array/slurm.sh")])
        let run = path("array/quick,seed=1")
        try waitUntil("array task \(array)_0 past step 1000", timeout: 240) { loggedStep(run) >= 1000 }
        try requeue(array + "_0")
        let states = try waitForJob(array)
        let output = log(path("array/logs/slurm-\(array)_0.out"))
        XCTAssertEqual(states, ["JobState=COMPLETED", "ExitCode=0:0"], output)
        XCTAssertTrue(output.contains("train --resume \(run)"), output)
        XCTAssertTrue(output.contains("restart 1"), output)
        try assertStoppedAndResumed(run, output)
    }
}
