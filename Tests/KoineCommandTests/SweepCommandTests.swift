import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import KoineTestSupport
import XCTest

/// `koine sweep` and `koine compare` through the built binary on a tiny grid
/// (2 configs × 2 seeds, a few hundred steps): the runs, skipping what is
/// done, resuming after kill -9 of a run or of the sweep itself, the Slurm
/// array script, bad input, and compare's outputs.
final class SweepCommandTests: XCTestCase {
    static let reset = """
        seed: 1
        game: {attributes: [4, 4], candidates: 4}
        agents: {hidden: 32}
        population: {listeners: 2, reset: {listeners: {mode: staggered, every: 100}}}
        train: {steps: 300, batch: 32, log_every: 50, checkpoint: {every: 100, keep: 2}}
        eval: {every: 100, ease_of_teaching: {every: 300, listeners: 2, steps: 20}}
        telemetry: {endpoint: none}
        """
    static let noReset = reset.replacingOccurrences(of: "reset: {listeners: {mode: staggered, every: 100}}", with: "reset: {}")

    var directory: URL!
    var configs: [String] = []

    override func setUpWithError() throws {
        directory = try makeTemporaryDirectory("sweep")
        configs = []
        for (name, text) in [("no-reset", Self.noReset), ("reset", Self.reset)] {
            let path = directory.appendingPathComponent("\(name).yaml").path
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            configs.append(path)
        }
    }

    override func tearDownWithError() throws {
        if let directory { try? FileManager.default.removeItem(at: directory) }
    }

    func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    var grid: [String] { configs.flatMap { ["--config", $0] } + ["--seeds", "1-2"] }

    func index(_ sweep: String) throws -> [[String: Any]] {
        let data = try Data(contentsOf: URL(fileURLWithPath: sweep + "/index.json"))
        return try XCTUnwrap((try JSONSerialization.jsonObject(with: data) as? [String: Any])?["runs"] as? [[String: Any]])
    }

    func testSweepRunsEveryRunOnceAndCompareSummarisesIt() throws {
        let sweep = path("study")
        let first = try runKoine(["sweep"] + grid + ["--set", "train.steps=200", "--out", sweep, "--jobs", "2"], timeout: 300)
        XCTAssertEqual(first.status, 0, first.standardOutput + first.standardError)
        let runs = try index(sweep)
        XCTAssertEqual(runs.map { $0["name"] as? String }, [
            "no-reset,seed=1", "no-reset,seed=2", "reset,seed=1", "reset,seed=2",
        ])
        for run in runs {
            XCTAssertEqual(run["status"] as? String, "done")
            XCTAssertNotNil(run["condition"]); XCTAssertNotNil(run["config"]); XCTAssertNotNil(run["directory"])
            XCTAssertEqual((run["overrides"] as? [String])?.first, "train.steps=200")
            XCTAssertEqual((run["overrides"] as? [String])?.last, "seed=\(run["seed"] as? Int ?? -1)")
            let summary = try RunFiles.summary(sweep + "/" + (run["directory"] as? String ?? ""))
            XCTAssertEqual(summary["steps"] as? Int, 200)
        }
        let lines = first.standardOutput.split(separator: "\n")
        XCTAssertEqual(lines.filter { $0.hasPrefix("[") && $0.contains(" done in ") }.count, 4, first.standardOutput)
        XCTAssertTrue(lines.contains { $0.contains("left, about") }, "an ETA once a run has finished: \(first.standardOutput)")
        // Different seeds, different runs.
        XCTAssertNotEqual(try RunFiles.figures(sweep + "/reset,seed=1")["parameters_checksum"],
                          try RunFiles.figures(sweep + "/reset,seed=2")["parameters_checksum"])

        // Again, and with --out alone: nothing to do, nothing touched.
        let written = try FileManager.default.attributesOfItem(atPath: sweep + "/reset,seed=1/summary.json")[.modificationDate] as? Date
        for arguments in [["sweep"] + grid + ["--set", "train.steps=200", "--out", sweep], ["sweep", "--out", sweep]] {
            let again = try runKoine(arguments, timeout: 60)
            XCTAssertEqual(again.status, 0, again.standardError)
            XCTAssertTrue(again.standardOutput.contains("4 runs, 4 finished, 0 to run"), again.standardOutput)
            XCTAssertFalse(again.standardOutput.contains("done in"), again.standardOutput)
        }
        XCTAssertEqual(try FileManager.default.attributesOfItem(atPath: sweep + "/reset,seed=1/summary.json")[.modificationDate] as? Date,
                       written)
        // While another process holds the sweep's lock (as a running sweep does), a second sweep is refused.
        let lock = open(sweep + "/.lock", O_RDWR | O_CLOEXEC)
        XCTAssertEqual(flock(lock, LOCK_EX | LOCK_NB), 0)
        let busy = try runKoine(["sweep", "--out", sweep], timeout: 60)
        close(lock)
        XCTAssertEqual(busy.status, 2, busy.standardOutput + busy.standardError)
        XCTAssertTrue(busy.standardError.contains("is being run by another koine sweep"), busy.standardError)
        // The same sweep with other settings under an existing name is refused.
        let changed = try runKoine(["sweep"] + grid + ["--set", "train.steps=300", "--out", sweep], timeout: 60)
        XCTAssertEqual(changed.status, 2)
        XCTAssertTrue(changed.standardError.contains("exists with other settings"), changed.standardError)

        // compare: the table, JSON, CSV and the curves.
        let table = try runKoine(["compare", sweep, "--plots", path("plots"), "--csv", path("csv")], timeout: 60)
        XCTAssertEqual(table.status, 0, table.standardError)
        XCTAssertTrue(table.standardOutput.contains("no-reset: 2 finished run(s)"), table.standardOutput)
        XCTAssertTrue(table.standardOutput.contains("Welch's t-test, no-reset − reset"), table.standardOutput)
        XCTAssertTrue(table.standardOutput.contains("(n=2)"), table.standardOutput)
        let json = try runKoine(["compare", sweep, "--json", "--no-plots"], timeout: 60)
        XCTAssertEqual(json.status, 0, json.standardError)
        let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(json.standardOutput.utf8)) as? [String: Any])
        let conditions = try XCTUnwrap(object["conditions"] as? [[String: Any]])
        XCTAssertEqual(conditions.map { $0["name"] as? String }, ["no-reset", "reset"])
        let figures = try XCTUnwrap(conditions[1]["figures"] as? [[String: Any]])
        let topsim = try XCTUnwrap(figures.first { $0["name"] as? String == "topsim" })
        XCTAssertEqual((topsim["final"] as? [String: Any])?["n"] as? Int, 2)
        let reference = try (1...2).map { try XCTUnwrap(RunFiles.summary(sweep + "/reset,seed=\($0)")["topsim"] as? Double) }
        XCTAssertEqual((topsim["final"] as? [String: Any])?["mean"] as? Double ?? .nan, (reference[0] + reference[1]) / 2, accuracy: 1e-12)
        XCTAssertTrue(try String(contentsOfFile: path("csv") + "/conditions.csv", encoding: .utf8).hasPrefix("condition,figure,statistic,n,"))
        XCTAssertTrue(try String(contentsOfFile: path("csv") + "/tests.csv", encoding: .utf8).contains("no-reset,reset,topsim,final,2,2,"))
        let plots = try FileManager.default.contentsOfDirectory(atPath: path("plots")).filter { $0.hasSuffix(".svg") }
        for name in ["topsim.svg", "accuracy.svg", "training_accuracy.svg", "ease_of_teaching.svg", "ease_of_teaching_area.svg"] {
            XCTAssertTrue(plots.contains(name), "\(name) in \(plots)")
        }
        for name in plots {
            XCTAssertNoThrow(try XMLDocument(contentsOf: URL(fileURLWithPath: path("plots") + "/" + name)), name)
        }

        // Run directories of a sweep keep their sweep's conditions.
        let bare = try runKoine(["compare", sweep + "/reset,seed=1", sweep + "/reset,seed=2", "--no-plots"], timeout: 60)
        XCTAssertEqual(bare.status, 0, bare.standardError)
        XCTAssertTrue(bare.standardOutput.hasPrefix("reset: 2 finished run(s)"), bare.standardOutput)
    }

    /// The sweep's `koine train` children, by the marker their environment inherits.
    func trainers(of sweep: RunningProcess) -> [pid_t] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { entry in
            guard let pid = pid_t(entry), pid != sweep.process.processIdentifier,
                  let environment = FileManager.default.contents(atPath: "/proc/\(entry)/environ"),
                  let command = FileManager.default.contents(atPath: "/proc/\(entry)/cmdline"),
                  String(decoding: environment, as: UTF8.self).contains("KOINE_TEST_MARKER=\(sweep.marker)"),
                  command.split(separator: 0).contains(where: { String(decoding: $0, as: UTF8.self) == "train" })
            else { return nil }
            return pid
        }
    }

    func waitForCheckpoint(_ run: String, _ sweep: RunningProcess) -> Bool {
        let deadline = Date().addingTimeInterval(120)
        while Date() < deadline && sweep.process.isRunning {
            let steps = (try? FileManager.default.contentsOfDirectory(atPath: run + "/checkpoints")) ?? []
            if steps.contains(where: { FileManager.default.fileExists(atPath: "\(run)/checkpoints/\($0)/COMPLETE") }) { return true }
            usleep(5_000)
        }
        return false
    }

    /// A study spread over machines: a sweep's archive (scripts/archive-sweep),
    /// copied back as the sweep directory elsewhere, counts its runs as
    /// finished; the same command trains only the runs the archive lacks.
    func testASweepContinuesFromItsArchive() throws {
        let sweep = path("first-machine"), archive = path("archive"), restored = path("second-machine")
        let arguments = ["sweep"] + grid + ["--set", "train.steps=100", "--jobs", "2"]
        let first = try runKoine(arguments + ["--out", sweep], timeout: 300)
        XCTAssertEqual(first.status, 0, first.standardError)
        // One run did not finish before the session ended.
        try FileManager.default.removeItem(atPath: sweep + "/reset,seed=2/summary.json")
        let archived = try runProcess("/usr/bin/env", ["python3", packageDirectory.appendingPathComponent("scripts/archive-sweep").path,
                                                       sweep, archive], timeout: 60)
        XCTAssertEqual(archived.status, 0, archived.standardError)
        try FileManager.default.copyItem(atPath: archive, toPath: restored)
        let second = try runKoine(arguments + ["--out", restored], timeout: 300)
        XCTAssertEqual(second.status, 0, second.standardError)
        XCTAssertTrue((second.standardOutput + second.standardError).contains("1 trained, 3 already finished"),
                      second.standardOutput + second.standardError)
        XCTAssertEqual(try index(restored).map { $0["status"] as? String }, ["done", "done", "done", "done"])
    }

    /// A PBT sweep's archive keeps its lineage: every `pbt` line of
    /// metrics.jsonl and the members' lexicons at each round (pbt/), which
    /// the report reads; the per-step lines stay behind.
    func testAPBTSweepsArchiveKeepsItsLineage() throws {
        let sweep = path("pbt"), archive = path("pbt-archive")
        let config = packageDirectory.appendingPathComponent("configs/pbt-quick.yaml").path
        let swept = try runKoine(["sweep", "--config", config, "--seeds", "1", "--np", "2", "--set", "train.steps=4000",
                                  "--set", "pbt.every=2000", "--out", sweep], timeout: 300)
        XCTAssertEqual(swept.status, 0, swept.standardOutput + swept.standardError)
        let archived = try runProcess("/usr/bin/env", ["python3", packageDirectory.appendingPathComponent("scripts/archive-sweep").path,
                                                       sweep, archive], timeout: 60)
        XCTAssertEqual(archived.status, 0, archived.standardError)
        let run = "/pbt-quick,seed=1"
        func lines(_ directory: String, kind: String) throws -> [String] {
            try String(contentsOfFile: directory + run + "/metrics.jsonl", encoding: .utf8)
                .split(separator: "\n").map(String.init).filter { $0.contains("\"kind\":\"\(kind)\"") }
        }
        let lineage = try lines(sweep, kind: "pbt")
        XCTAssertEqual(lineage.count, 2 * 2, "two members, two rounds")
        XCTAssertEqual(try lines(archive, kind: "pbt"), lineage)
        XCTAssertEqual(try lines(archive, kind: "step"), [])
        let rounds = try FileManager.default.contentsOfDirectory(atPath: sweep + run + "/pbt").sorted()
        XCTAssertEqual(rounds.count, 2)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: archive + run + "/pbt").sorted(), rounds)
        for round in rounds {
            XCTAssertEqual(FileManager.default.contents(atPath: archive + run + "/pbt/" + round),
                           FileManager.default.contents(atPath: sweep + run + "/pbt/" + round))
        }
        // koine compare --pbt reads the archive: one run, two rounds, its copies counted from the lineage.
        let copies = lineage.filter { $0.contains("\"action\":\"copy\"") }.count
        let plots = path("pbt-plots")
        let summary = try runKoine(["compare", archive, "--pbt", "--plots", plots], timeout: 60)
        XCTAssertEqual(summary.status, 0, summary.standardError)
        // Two members: after a copy both hold one member's state (one founder left), else both their own.
        let founders = copies > 0 ? "1 of 2" : "2 of 2"
        XCTAssertTrue(summary.standardOutput.contains("| pbt-quick | 1 | 2 | \(copies) | \(founders) | "), summary.standardOutput)
        // The archive without its pbt lines, or --pbt with --json: one line, exit 2.
        let plainArchive = path("pbt-archive-without-rounds")
        try FileManager.default.copyItem(atPath: archive, toPath: plainArchive)
        let metrics = plainArchive + run + "/metrics.jsonl"
        try (try String(contentsOfFile: metrics, encoding: .utf8)).split(separator: "\n")
            .filter { !$0.contains("\"kind\":\"pbt\"") }.map { $0 + "\n" }.joined()
            .write(toFile: metrics, atomically: true, encoding: .utf8)
        let plain = try runKoine(["compare", plainArchive, "--pbt", "--no-plots"], timeout: 60)
        XCTAssertEqual(plain.status, 2, plain.standardOutput + plain.standardError)
        XCTAssertEqual(plain.standardOutput, "", "refused before the table")
        XCTAssertEqual(plain.standardError.split(separator: "\n").count, 1, plain.standardError)
        XCTAssertTrue(plain.standardError.contains("has population-based training rounds"), plain.standardError)
        let withJSON = try runKoine(["compare", archive, "--pbt", "--json"], timeout: 60)
        XCTAssertEqual(withJSON.status, 2, withJSON.standardOutput + withJSON.standardError)
        XCTAssertTrue(withJSON.standardError.contains("--pbt prints a table"), withJSON.standardError)
        // A schedule chart per hyperparameter, a line per member: well-formed SVG.
        for name in ["learning_rate", "entropy", "reset_period"] {
            let chart = try XMLDocument(contentsOf: URL(fileURLWithPath: plots + "/schedule-pbt-quick-\(name).svg"))
            XCTAssertEqual(try chart.nodes(forXPath: "//*[local-name()='polyline']").count, 2, name)
        }
    }

    /// With --np 2 each run is `koine launch --np 2` (two ranks under mpirun):
    /// the same run as launched by hand, bit for bit, and the sweep keeps its
    /// ranks per run (another --np on a rerun is one line, exit 2). A run
    /// stopped part-way resumes on two ranks.
    func testRunsOfSeveralRanksGoThroughLaunch() throws {
        let sweep = path("two-ranks")
        let arguments = ["sweep", "--config", configs[1], "--seeds", "1-2", "--set", "train.steps=300", "--np", "2", "--jobs", "2"]
        let first = try runKoine(arguments + ["--out", sweep], timeout: 300)
        XCTAssertEqual(first.status, 0, first.standardOutput + first.standardError)
        let log = try String(contentsOfFile: sweep + "/logs/reset,seed=1.log", encoding: .utf8)
        XCTAssertTrue(log.hasPrefix("$ koine launch --np 2 --no-collector --bind-to none --config"), log)
        try assertSameAsLaunchedByHand(sweep + "/reset,seed=1", steps: 300, reference: path("by-hand"))

        let other = try runKoine(["sweep", "--out", sweep, "--np", "1"], timeout: 60)
        XCTAssertEqual(other.status, 2)
        XCTAssertEqual(other.standardError.split(separator: "\n").count, 1, other.standardError)
        XCTAssertTrue(other.standardError.contains("have 2 rank(s) each; rerun with --np 2"), other.standardError)

        // An unfinished run (its summary and last checkpoint gone) resumes on two ranks to the same end.
        try FileManager.default.removeItem(atPath: sweep + "/reset,seed=2/summary.json")
        try FileManager.default.removeItem(atPath: sweep + "/reset,seed=2/checkpoints/step-00000300")
        let expected = try String(contentsOfFile: sweep + "/reset,seed=2/lexicon.tsv", encoding: .utf8)
        let rerun = try runKoine(["sweep", "--out", sweep], timeout: 300)
        XCTAssertEqual(rerun.status, 0, rerun.standardOutput + rerun.standardError)
        XCTAssertTrue(rerun.standardOutput.contains("1 trained, 1 already finished"), rerun.standardOutput)
        // Resumed, not retrained from scratch (which would end the same).
        let resumedLog = try String(contentsOfFile: sweep + "/logs/reset,seed=2.log", encoding: .utf8)
        XCTAssertTrue(resumedLog.contains("$ koine launch --np 2 --no-collector --resume "), resumedLog)
        XCTAssertEqual(try summary(sweep + "/reset,seed=2")["world_size"] as? Int, 2)
        XCTAssertEqual(try String(contentsOfFile: sweep + "/reset,seed=2/lexicon.tsv", encoding: .utf8), expected)
    }

    func summary(_ run: String) throws -> [String: Any] {
        let data = try Data(contentsOf: URL(fileURLWithPath: run + "/summary.json"))
        return try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    func testKilledRunsAndAKilledSweepResumeFromTheirCheckpoints() throws {
        let sweep = path("killed")
        // Long enough that a run is still training when its first checkpoint is complete.
        let arguments = ["sweep", "--config", configs[1], "--seeds", "1-2", "--set", "train.steps=1500", "--out", sweep]

        // kill -9 of the first run's koine train: the sweep goes on with the second and says so.
        let first = try RunningProcess(koineExecutable.path, arguments)
        XCTAssertTrue(waitForCheckpoint(sweep + "/reset,seed=1", first), "no checkpoint: " + first.output)
        let children = trainers(of: first)
        XCTAssertEqual(children.count, 1, first.output)
        children.forEach { kill($0, SIGKILL) }
        // Then kill -9 of the sweep itself while it trains the second run: its run dies with it.
        XCTAssertTrue(waitForCheckpoint(sweep + "/reset,seed=2", first), "no checkpoint: " + first.output)
        let second = trainers(of: first)
        XCTAssertEqual(second.count, 1, first.output)
        kill(first.process.processIdentifier, SIGKILL)
        XCTAssertTrue(first.waitForExit(timeout: 30))
        XCTAssertTrue(first.output.contains("reset,seed=1 killed (signal 9)"), first.output)
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline && second.contains(where: { kill($0, 0) == 0 }) { usleep(20_000) }
        XCTAssertFalse(second.contains(where: { kill($0, 0) == 0 }), "a run outlived its sweep")
        for seed in 1...2 {
            XCTAssertFalse(FileManager.default.fileExists(atPath: sweep + "/reset,seed=\(seed)/summary.json"))
        }

        let rerun = try runKoine(arguments, timeout: 300)
        XCTAssertEqual(rerun.status, 0, rerun.standardOutput + rerun.standardError)
        XCTAssertTrue(rerun.standardOutput.contains("0 finished, 2 to run (2 resumed from checkpoints)"), rerun.standardOutput)
        XCTAssertEqual(try index(sweep).map { $0["status"] as? String }, ["done", "done"])
        let log = try String(contentsOfFile: sweep + "/logs/reset,seed=1.log", encoding: .utf8)
        XCTAssertTrue(log.contains("train --resume"), log)

        // The resumed run is the run an uninterrupted koine train makes.
        let reference = path("reference")
        let straight = try runKoine(["train", "--config", configs[1], "--set", "train.steps=1500", "--set", "seed=1",
                                     "--out", reference, "--quiet", "--telemetry", "none"], timeout: 300)
        XCTAssertEqual(straight.status, 0, straight.standardError)
        XCTAssertEqual(try RunFiles.figures(sweep + "/reset,seed=1"), try RunFiles.figures(reference))
        XCTAssertEqual(try RunFiles.deterministicMetrics(sweep + "/reset,seed=1"), try RunFiles.deterministicMetrics(reference))
    }

    /// kill -9 of a sweep whose runs have two ranks: mpirun and both ranks
    /// die with it (none trains on unseen), and the same command resumes the
    /// run on two ranks to the end an uninterrupted launch reaches.
    func testAKilledSweepOfTwoRankRunsTakesItsRanksWithItAndResumes() throws {
        guard mpirunPath != nil else { throw XCTSkip("needs mpirun") }
        let sweep = path("killed-two-ranks")
        let arguments = ["sweep", "--config", configs[1], "--seeds", "1", "--set", "train.steps=20000", "--np", "2", "--out", sweep]
        let running = try RunningProcess(koineExecutable.path, arguments)
        XCTAssertTrue(waitForCheckpoint(sweep + "/reset,seed=1", running), "no checkpoint: " + running.output)
        // mpirun's command line names `train` too: every one of them must go.
        let processes = trainers(of: running)
        let ranks = processes.filter { pid in
            let command = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") ?? Data()
            return String(decoding: command.split(separator: 0).first ?? Data(), as: UTF8.self).hasSuffix("koine")
        }
        XCTAssertEqual(ranks.count, 2, running.output)
        kill(running.process.processIdentifier, SIGKILL)
        XCTAssertTrue(running.waitForExit(timeout: 30))
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline && processes.contains(where: { kill($0, 0) == 0 }) { usleep(20_000) }
        XCTAssertFalse(processes.contains(where: { kill($0, 0) == 0 }), "a rank or mpirun outlived its sweep")
        XCTAssertFalse(FileManager.default.fileExists(atPath: sweep + "/reset,seed=1/summary.json"))

        let rerun = try runKoine(arguments, timeout: 300)
        XCTAssertEqual(rerun.status, 0, rerun.standardOutput + rerun.standardError)
        XCTAssertTrue(rerun.standardOutput.contains("(1 resumed from checkpoints)"), rerun.standardOutput)
        let log = try String(contentsOfFile: sweep + "/logs/reset,seed=1.log", encoding: .utf8)
        XCTAssertTrue(log.contains("$ koine launch --np 2 --no-collector --resume "), log)

        try assertSameAsLaunchedByHand(sweep + "/reset,seed=1", steps: 20000, reference: path("two-ranks-reference"))
    }

    /// `run` (seed 1 of `configs[1]`, 2 ranks) ends where the same run
    /// launched by hand with `koine launch --np 2` ends: its parameters'
    /// checksum and its lexicon.
    func assertSameAsLaunchedByHand(_ run: String, steps: Int, reference: String,
                                    file: StaticString = #filePath, line: UInt = #line) throws {
        let launched = try runKoine(["launch", "--np", "2", "--no-collector", "--config", configs[1], "--set", "train.steps=\(steps)",
                                     "--set", "seed=1", "--out", reference, "--telemetry", "none"], timeout: 300)
        XCTAssertEqual(launched.status, 0, launched.standardError, file: file, line: line)
        let swept = try summary(run), byHand = try summary(reference)
        XCTAssertEqual(swept["world_size"] as? Int, 2, file: file, line: line)
        XCTAssertNotNil(swept["parameters_checksum"], file: file, line: line)
        XCTAssertEqual(swept["parameters_checksum"] as? String, byHand["parameters_checksum"] as? String, file: file, line: line)
        XCTAssertEqual(try String(contentsOfFile: run + "/lexicon.tsv", encoding: .utf8),
                       try String(contentsOfFile: reference + "/lexicon.tsv", encoding: .utf8), file: file, line: line)
    }

    func testSlurmWritesAJobArrayWithOneTaskPerRun() throws {
        let sweep = path("cluster")
        let result = try runKoine(["sweep"] + grid + ["--set", "train.steps=200", "--out", sweep, "--slurm", "--np", "2", "--jobs", "3"],
                                  timeout: 60)
        XCTAssertEqual(result.status, 0, result.standardError)
        let script = sweep + "/slurm.sh"
        XCTAssertTrue(result.standardOutput.contains("sbatch \(script)"), result.standardOutput)
        let syntax = try runProcess("/bin/bash", ["-n", script])
        XCTAssertEqual(syntax.status, 0, syntax.standardError)
        let text = try String(contentsOfFile: script, encoding: .utf8)
        XCTAssertTrue(text.contains("#SBATCH --array=0-3%3\n"), text)
        XCTAssertTrue(text.contains("#SBATCH --ntasks=2\n"), text)
        XCTAssertEqual(try index(sweep).count, 4)
        XCTAssertFalse(FileManager.default.fileExists(atPath: sweep + "/reset,seed=1"), "--slurm runs nothing here")

        // One array task, run here as Slurm would (one rank): it trains its run, then finds it finished.
        guard mpirunPath != nil else { return }
        var environment = mpiEnvironment
        environment["SLURM_ARRAY_TASK_ID"] = "3"
        environment["SLURM_NTASKS"] = "1"
        let task = try runProcess("/bin/bash", [script], environment: environment, timeout: 300)
        XCTAssertEqual(task.status, 0, task.standardOutput + task.standardError)
        XCTAssertEqual(try RunFiles.summary(sweep + "/reset,seed=2")["steps"] as? Int, 200)
        let again = try runProcess("/bin/bash", [script], environment: environment, timeout: 60)
        XCTAssertTrue(again.standardOutput.contains("finished"), again.standardOutput)
        // Rewritten without --np: the sweep keeps the ranks per run it was made with.
        let rewritten = try runKoine(["sweep", "--out", sweep, "--slurm"], timeout: 60)
        XCTAssertTrue(rewritten.standardOutput.contains("4 array tasks (0-3), 2 rank(s) each, 1 already finished"), rewritten.standardOutput)
        XCTAssertEqual(try index(sweep).map { $0["status"] as? String }, ["pending", "pending", "pending", "done"])
        environment["SLURM_ARRAY_TASK_ID"] = "4"
        XCTAssertEqual(try runProcess("/bin/bash", [script], environment: environment, timeout: 60).status, 2)
    }

    func testBadInputIsOneLineAndExitCode2() throws {
        let cases: [([String], String)] = [
            (["sweep", "--config", path("missing.yaml"), "--out", path("s1")], "no such file"),
            (["sweep", "--config", configs[0], "--seeds", "3-1", "--out", path("s2")], "--seeds"),
            (["sweep", "--config", configs[0], "--grid", "agents.cell", "--out", path("s3")], "--grid"),
            (["sweep", "--config", configs[0], "--set", "agents.cell=rnn", "--out", path("s4")], "agents.cell"),
            (["sweep", "--config", configs[0], "--out", directory.path], "not a sweep"),
            (["sweep", "--out", path("s5")], "--config"),
            (["sweep", "--config", configs[0], "--out", path("s6"), "--jobs", "0"], "--jobs"),
            (["compare", path("nothing")], "neither a sweep"),
            (["compare", directory.path, "--versus", "a"], "--versus"),
        ]
        for (arguments, expected) in cases {
            let result = try runKoine(arguments, timeout: 60)
            XCTAssertEqual(result.status, 2, "\(arguments): \(result.standardError)")
            let lines = result.standardError.split(separator: "\n")
            XCTAssertEqual(lines.count, 1, "\(arguments): \(result.standardError)")
            XCTAssertTrue(result.standardError.contains(expected), "\(arguments): \(result.standardError)")
        }
        for name in ["s1", "s2", "s3", "s4", "s5", "s6"] {
            XCTAssertFalse(FileManager.default.fileExists(atPath: path(name)), "\(name) was created")
        }
    }
}
