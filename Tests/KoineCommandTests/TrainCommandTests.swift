import Foundation
import KoineTestSupport
import XCTest

/// `koine train` end to end, through the built binary.
final class TrainCommandTests: XCTestCase {
    static let tiny = """
        seed: 3
        game: {attributes: [3, 3], candidates: 3, vocab: 4, message_length: 2}
        agents: {hidden: 8}
        population:
          speakers: 2
          listeners: 2
          reset: {listeners: {mode: staggered, every: 10}}
        train: {steps: 20, batch: 8, log_every: 5}
        eval: {every: 10, ease_of_teaching: {every: 20, listeners: 2, steps: 5}}
        """

    static let requiredSummaryFields = [
        "steps", "world_size", "games", "games_per_second", "steps_per_second", "wall_seconds", "accuracy", "topsim",
        "entropy", "resets", "cross_rank_games", "telemetry_dropped", "shared_encoder_checksum", "parameters_checksum",
    ]

    var directory: URL!

    override func setUpWithError() throws {
        directory = try makeTemporaryDirectory("koine-train")
    }

    override func tearDownWithError() throws {
        if let directory { try? FileManager.default.removeItem(at: directory) }
    }

    func write(_ text: String, _ name: String = "tiny.yaml") throws -> String {
        let url = directory.appendingPathComponent(name)
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }

    func train(_ config: String, out: String, _ extra: [String] = []) throws -> ProcessResult {
        try runKoine(["train", "--config", config, "--out", out, "--telemetry", "none", "--quiet"] + extra, timeout: 120)
    }

    func summary(_ run: String) throws -> [String: Any] { try RunFiles.summary(run) }

    func figures(_ run: String) throws -> [String: String] { try RunFiles.figures(run) }

    /// eval.interactions: the first N games of each evaluation, compressed,
    /// each line a game whose reward says whether the choice was the target.
    func testInteractionDumpsAreBoundedAndConsistent() throws {
        let config = try write(Self.tiny)
        let run = directory.appendingPathComponent("dumps").path
        let result = try train(config, out: run, ["--set", "eval.interactions=25"])
        XCTAssertEqual(result.status, 0, result.standardError)
        let files = try FileManager.default.contentsOfDirectory(atPath: run + "/interactions").sorted()
        XCTAssertEqual(files, ["step-0000010.jsonl.gz", "step-0000020.jsonl.gz"])
        let unzipped = try runProcess("/usr/bin/env", ["gzip", "-dc", run + "/interactions/step-0000020.jsonl.gz"], timeout: 30)
        XCTAssertEqual(unzipped.status, 0, unzipped.standardError)
        let lines = unzipped.standardOutput.split(separator: "\n")
        XCTAssertEqual(lines.count, 25)
        for line in lines {
            let game = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], String(line))
            let target = try XCTUnwrap(game["target"] as? Int), choice = try XCTUnwrap(game["choice"] as? Int)
            XCTAssertEqual(game["reward"] as? Int, target == choice ? 1 : 0, String(line))
            XCTAssertEqual((game["message"] as? [Int])?.count, 2)
            XCTAssertTrue((game["message"] as? [Int] ?? []).allSatisfy { (0..<4).contains($0) }, String(line))
            XCTAssertNotNil(game["target_is"] as? String)
        }
    }

    func testTrainWritesTheRunDirectory() throws {
        let config = try write(Self.tiny)
        let run = directory.appendingPathComponent("run").path
        let result = try train(config, out: run)
        XCTAssertEqual(result.status, 0, result.standardError)
        XCTAssertFalse(result.timedOut)
        XCTAssertEqual(result.standardError, "", "--quiet prints nothing")
        let files = try FileManager.default.contentsOfDirectory(atPath: run).filter { !$0.hasPrefix(".") }
        XCTAssertEqual(Set(files).intersection(["config.yaml", "metrics.jsonl", "summary.json", "lexicon.tsv"]).count, 4, "\(files)")
        XCTAssertFalse(try FileManager.default.contentsOfDirectory(atPath: run).contains { $0.hasSuffix(".tmp") }, "no temporary files left")

        // config.yaml: resolved, every key present.
        let resolved = try String(contentsOfFile: run + "/config.yaml", encoding: .utf8)
        for key in ["seed:", "kind: attributes", "attributes: [3, 3]", "holdout:", "candidates: 3", "vocab: 4",
                    "message_length: 2", "variable_length:", "cell:", "hidden: 8", "channel:", "entropy:", "temperature:",
                    "baseline:", "encoder:", "speakers: 2", "listeners:", "pairing:", "cross_rank:", "mode: staggered",
                    "steps: 20", "batch: 8", "optimizer:", "lr:", "clip:", "log_every: 5", "checkpoint:", "every: 10",
                    "distance:", "ease_of_teaching:", "endpoint: none", "telemetry:"] {
            XCTAssertTrue(resolved.contains(key), "config.yaml lacks \(key):\n\(resolved)")
        }

        // metrics.jsonl: one JSON object per line, with step and eval events.
        let lines = try String(contentsOfFile: run + "/metrics.jsonl", encoding: .utf8).split(separator: "\n")
        var kinds: [String: [Int]] = [:]
        for line in lines {
            let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], String(line))
            let kind = try XCTUnwrap(object["kind"] as? String, String(line))
            let step = try XCTUnwrap(object["step"] as? Int, String(line))
            kinds[kind, default: []].append(step)
            if kind == "step" {
                XCTAssertNotNil(object["accuracy"] as? Double, String(line))
                XCTAssertNotNil(object["entropy"] as? Double, String(line))
            }
            if kind == "eval" {
                XCTAssertNotNil(object["topsim"] as? Double, String(line))
                for figure in ["causal_influence", "instantaneous_coordination", "speaker_consistency", "context_independence",
                               "crossplay_same_rank", "crossplay_listeners_understanding_all"] {
                    XCTAssertNotNil(object[figure] as? Double, "\(figure) in \(line)")
                }
                // 2 speakers × 2 listeners, one rank: no pair across ranks.
                XCTAssertEqual((object["crossplay"] as? [[Double]])?.map(\.count), [2, 2], String(line))
                XCTAssertNil(object["crossplay_other_ranks"])
            }
            if kind == "ease_of_teaching" {
                let seconds = try XCTUnwrap(object["seconds"] as? Double, String(line))
                XCTAssertTrue(seconds > 0 && seconds < 60, "the measurement's time: \(seconds) s")
                XCTAssertEqual(object["choices"] as? String, "greedy", "Li & Bowling's greedy listeners by default")
                XCTAssertNotNil(object["area_200"] as? Double, String(line))
                XCTAssertNotNil(object["steps_to_90"] as? Double, String(line))
            }
        }
        XCTAssertEqual(kinds["step"], [5, 10, 15, 20])
        XCTAssertEqual(kinds["eval"], [10, 20])
        XCTAssertEqual(kinds["reset"], [5, 10, 15], "staggered, 2 listeners every 10 steps: one every 5")
        XCTAssertEqual(kinds["ease_of_teaching"], [20])

        // summary.json: the required fields.
        let s = try summary(run)
        for field in Self.requiredSummaryFields { XCTAssertNotNil(s[field], "summary.json lacks \(field)") }
        XCTAssertEqual(s["steps"] as? Int, 20)
        XCTAssertEqual(s["world_size"] as? Int, 1)
        XCTAssertEqual(s["games"] as? Int, 20 * 2 * 2 * 8)
        XCTAssertEqual(s["resets"] as? Int, 3)
        XCTAssertEqual(s["cross_rank_games"] as? Int, 0)
        XCTAssertEqual((s["parameters_checksum"] as? String)?.count, 16)
        XCTAssertNotNil(s["ease_of_teaching"] as? Double)
        XCTAssertNotNil(s["ease_of_teaching_area_200"] as? Double)
        XCTAssertNil(s["ease_of_teaching_accuracy_50"], "a 5-step measurement has no accuracy after 50 steps")

        XCTAssertFalse(FileManager.default.fileExists(atPath: run + "/interactions"), "no interaction dumps unless asked")

        // Every fresh listener's curve: 2 speakers × 2 listeners, 5 steps each.
        let curves = try String(contentsOfFile: run + "/ease_of_teaching/step-0000020.tsv", encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(curves.first, "rank\tspeaker\tlistener\taccuracy per step")
        XCTAssertEqual(curves.dropFirst().map { $0.split(separator: "\t").prefix(3).joined(separator: " ") },
                       ["0 0 0", "0 0 1", "0 1 0", "0 1 1"])
        for line in curves.dropFirst() {
            let values = line.split(separator: "\t")[3].split(separator: " ").compactMap { Double($0) }
            XCTAssertEqual(values.count, 5, String(line))
            XCTAssertTrue(values.allSatisfy { (0...1).contains($0 * 8) || (0...1).contains($0) }, String(line))
        }
        let accuracy = try XCTUnwrap(s["accuracy"] as? Double)
        XCTAssertTrue((0...1).contains(accuracy))

        // lexicon.tsv: a header, then a line per speaker and object.
        let lexicon = try String(contentsOfFile: run + "/lexicon.tsv", encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(lexicon.first, "rank\tspeaker\tobject\tattributes\tmessage")
        XCTAssertEqual(lexicon.count, 1 + 2 * 9)
        var objects = Set<String>()
        for line in lexicon.dropFirst() {
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false)
            XCTAssertEqual(fields.count, 5, String(line))
            if fields.count == 5 {
                objects.insert("\(fields[1])/\(fields[2])")
                XCTAssertEqual(fields[4].split(separator: " ").count, 2, "a message of 2 symbols: \(line)")
            }
        }
        XCTAssertEqual(objects.count, 18)

        // The resolved config is itself a valid config, and reproduces the run.
        let again = directory.appendingPathComponent("again").path
        let rerun = try train(run + "/config.yaml", out: again)
        XCTAssertEqual(rerun.status, 0, rerun.standardError)
        XCTAssertEqual(try String(contentsOfFile: again + "/config.yaml", encoding: .utf8), resolved)
        XCTAssertEqual(try figures(again), try figures(run))
    }

    func testSameSeedSameSummaryDifferentSeedDiffers() throws {
        let config = try write(Self.tiny)
        let a = directory.appendingPathComponent("a").path, b = directory.appendingPathComponent("b").path
        let c = directory.appendingPathComponent("c").path
        for (out, extra) in [(a, []), (b, []), (c, ["--set", "seed=4"])] {
            let result = try train(config, out: out, extra)
            XCTAssertEqual(result.status, 0, result.standardError)
        }
        let first = try figures(a)
        XCTAssertEqual(first, try figures(b))
        XCTAssertNotEqual(first["parameters_checksum"], try figures(c)["parameters_checksum"])
        // metrics.jsonl agrees too, once the clock's figures are set aside.
        XCTAssertEqual(try RunFiles.deterministicMetrics(a), try RunFiles.deterministicMetrics(b))
        XCTAssertEqual(try String(contentsOfFile: a + "/lexicon.tsv", encoding: .utf8),
                       try String(contentsOfFile: b + "/lexicon.tsv", encoding: .utf8))
    }

    /// A user mistake: exit code 2, one line on stderr naming what is wrong, no run directory.
    func assertUsageError(_ arguments: [String], mentions: [String], out: String,
                          file: StaticString = #filePath, line: UInt = #line) throws {
        let result = try runKoine(arguments + ["--out", out], timeout: 60)
        XCTAssertEqual(result.status, 2, "\(arguments): \(result.standardError)", file: file, line: line)
        let lines = result.standardError.split(separator: "\n", omittingEmptySubsequences: false).filter { !$0.isEmpty }
        XCTAssertEqual(lines.count, 1, "one line on stderr: \(result.standardError.debugDescription)", file: file, line: line)
        for fragment in mentions {
            XCTAssertTrue(result.standardError.contains(fragment), "\(result.standardError) lacks \(fragment)", file: file, line: line)
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: out), "\(arguments) created \(out)", file: file, line: line)
    }

    func testBadInputExitsTwoWithOneLineAndNoRunDirectory() throws {
        let config = try write(Self.tiny)
        let out = directory.appendingPathComponent("never").path
        let missing = directory.appendingPathComponent("missing.yaml").path
        try assertUsageError(["train", "--config", missing], mentions: [missing], out: out)
        let unknown = try write(Self.tiny + "\ntrain.stepz: 3\n", "dotted.yaml")
        try assertUsageError(["train", "--config", unknown], mentions: ["train.stepz"], out: out)
        let typo = try write("game: {vocabb: 4}\n", "typo.yaml")
        try assertUsageError(["train", "--config", typo], mentions: ["game.vocabb", "game.vocab"], out: out)
        try assertUsageError(["train", "--config", config, "--set", "train.stpes=3"], mentions: ["train.stpes"], out: out)
        try assertUsageError(["train", "--config", config, "--set", "train.steps"], mentions: ["--set", "train.steps"], out: out)
        try assertUsageError(["train", "--config", config, "--set", "game.vocab=1"], mentions: ["game.vocab"], out: out)
        try assertUsageError(["train", "--config", config, "--telemetry", "http://localhost:1"], mentions: ["telemetry.endpoint"], out: out)
        let malformed = try write("game: [1, 2\n", "malformed.yaml")
        try assertUsageError(["train", "--config", malformed], mentions: ["malformed.yaml"], out: out)
        let noGame = try write("seed: 1\n", "nogame.yaml")
        try assertUsageError(["train", "--config", noGame], mentions: ["game"], out: out)
    }

    /// The whole table of bad configurations, through the command: each one
    /// exits 2 with its one line and creates no run directory.
    func testEveryBadConfigurationIsRefusedByTheCommand() throws {
        XCTAssertGreaterThanOrEqual(BadConfigurations.cases.count, 100)
        let out = directory.appendingPathComponent("never").path
        for (yaml, overrides, expected) in BadConfigurations.cases {
            let config = try write(yaml, "bad.yaml")
            try assertUsageError(["train", "--config", config] + overrides.flatMap { ["--set", $0] }, mentions: expected, out: out)
        }
    }

    /// The argument parser's own mistakes exit 2 with one line, like every other
    /// user mistake (its default is 64 and the whole usage text).
    func testParserMistakesExitTwoWithOneLine() throws {
        let config = try write(Self.tiny)
        for arguments in [["launch", "--np", "abc", "--config", config], ["train", "--bogus"], ["train", "--config"],
                          ["launch", "--config", config], ["nonsense"], ["train", "--config", config, "--fail-step", "x"]] {
            let result = try runKoine(arguments, timeout: 60)
            XCTAssertEqual(result.status, 2, "\(arguments): \(result.standardError)")
            let lines = result.standardError.split(separator: "\n")
            XCTAssertEqual(lines.count, 1, "\(arguments): \(result.standardError)")
            XCTAssertTrue(result.standardError.hasPrefix("koine: "), result.standardError)
        }
        XCTAssertEqual(try runKoine(["train", "--help"], timeout: 60).status, 0, "help is no mistake")
    }

    func testAMissingHostfileIsNamedBeforeMPIRunStarts() throws {
        let config = try write(Self.tiny)
        let out = directory.appendingPathComponent("never").path
        for hostfile in ["/nonexistent", directory.path] {
            try assertUsageError(["launch", "--np", "2", "--hostfile", hostfile, "--config", config, "--telemetry", "none"],
                                 mentions: ["--hostfile \(hostfile)"], out: out)
        }
    }

    /// A reset period longer than the run is allowed (shipped configs shortened
    /// to try them out): one warning line naming the period, and the run proceeds.
    func testAResetPeriodLongerThanTheRunIsAWarning() throws {
        let config = try write(Self.tiny)
        let run = directory.appendingPathComponent("run").path
        let result = try train(config, out: run, ["--set", "population.reset.listeners.every=100"])
        XCTAssertEqual(result.status, 0, result.standardError)
        XCTAssertEqual(result.standardError, "koine: warning: population.reset.listeners.every: reset period 100 is longer than the run (train.steps 20); no listeners will be reset\n")
        XCTAssertEqual(try summary(run)["resets"] as? Int, 0)
    }

    /// Control characters in what the trainer echoes (here the run directory's
    /// name, printed at the end) reach the terminal as visible text.
    func testControlCharactersAreNotPrintedRaw() throws {
        let config = try write(Self.tiny)
        let run = directory.appendingPathComponent("run\u{1b}[2J\u{7}").path
        let result = try runKoine(["train", "--config", config, "--out", run, "--telemetry", "none"], timeout: 120)
        XCTAssertEqual(result.status, 0, result.standardError)
        XCTAssertTrue(result.standardError.contains("run\\u{1b}[2J\\u{7}"), result.standardError)
        XCTAssertFalse(result.standardError.contains("\u{1b}") || result.standardError.contains("\u{7}"), result.standardError)
        let escaped = try write("game: {}\n\"\\e]0;owned\\a\": 1\n", "escape.yaml")
        let refused = try runKoine(["train", "--config", escaped, "--out", directory.appendingPathComponent("never").path], timeout: 60)
        XCTAssertEqual(refused.status, 2, refused.standardError)
        XCTAssertTrue(refused.standardError.contains("unknown key \\u{1b}]0;owned\\u{7}"), refused.standardError)
    }

    func testAnUnwritableRunDirectoryIsRefusedBeforeTraining() throws {
        let config = try write(Self.tiny)
        // A path below a regular file can never be created, even by root.
        let blocker = directory.appendingPathComponent("file")
        try "x".write(to: blocker, atomically: true, encoding: .utf8)
        try assertUsageError(["train", "--config", config], mentions: ["--out", "is not a directory"],
                             out: blocker.appendingPathComponent("run").path)
        // A file system no one may write to: /proc refuses new directories, root included.
        try assertUsageError(["train", "--config", config], mentions: ["--out /proc/koine-run"], out: "/proc/koine-run")
    }

    func testAnExistingNonEmptyOutputIsRefused() throws {
        let config = try write(Self.tiny)
        let out = directory.appendingPathComponent("used")
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        try "keep me".write(to: out.appendingPathComponent("notes.txt"), atomically: true, encoding: .utf8)
        let result = try train(config, out: out.path)
        XCTAssertEqual(result.status, 2, result.standardError)
        XCTAssertTrue(result.standardError.contains(out.path), result.standardError)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: out.path), ["notes.txt"])
    }

    func testVersionAndHelp() throws {
        let version = try runKoine(["--version"], timeout: 60)
        XCTAssertEqual(version.status, 0)
        XCTAssertFalse(version.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty)
        XCTAssertNotNil(version.standardOutput.range(of: #"^\d+\.\d+\.\d+"#, options: .regularExpression), version.standardOutput)
        let help = try runKoine(["--help"], timeout: 60)
        XCTAssertEqual(help.status, 0)
        XCTAssertTrue(help.standardOutput.contains("train"), help.standardOutput)
        let trainHelp = try runKoine(["train", "--help"], timeout: 60)
        XCTAssertEqual(trainHelp.status, 0)
        for option in ["--config", "--set", "--out", "--telemetry", "--quiet"] {
            XCTAssertTrue(trainHelp.standardOutput.contains(option), "train --help lacks \(option)")
        }
    }
}
