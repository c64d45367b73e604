import Foundation
import KoineTestSupport
import XCTest

/// `koine export --elcc`: short real runs of the attribute, image and
/// reconstruction games written in the Emergent Language Corpus Collection's
/// layout and held to its schema by scripts/elcc-validate (ELCC's own
/// validator is out of reach; docs/elcc.md); the validator refuses corpora
/// broken in each way it checks; bad input is one line, exit 2, nothing written.
final class ELCCExportCommandTests: XCTestCase {
    /// One speaker, two listeners, a dump of 40 games at each of 3 evaluations.
    static let attributeConfig = """
        seed: 2
        game: {attributes: [4, 4], candidates: 4, vocab: 8, message_length: 2}
        agents: {hidden: 48, channel: gumbel, temperature: 2}
        population: {speakers: 1, listeners: 2}
        train: {steps: 1500, batch: 64, optimizer: {lr: 0.003}}
        eval: {every: 500, interactions: 40, ease_of_teaching: {every: 0}}
        telemetry: {endpoint: none}
        """

    /// No dumps (eval.interactions 0): the export falls back on the lexicon.
    static let reconstructionConfig = """
        seed: 1
        game: {kind: reconstruction, attributes: [4, 3], vocab: 6, message_length: 2}
        agents: {hidden: 32}
        train: {steps: 300, batch: 32}
        eval: {every: 0, ease_of_teaching: {every: 0}}
        telemetry: {endpoint: none}
        """

    var directory: URL!

    override func setUpWithError() throws { directory = try makeTemporaryDirectory("elcc") }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: directory) }

    func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    func train(_ config: String, _ name: String, _ settings: [String] = []) throws -> String {
        let file = path(name + ".yaml")
        try config.write(toFile: file, atomically: true, encoding: .utf8)
        let result = try runKoine(["train", "--config", file, "--out", path(name), "--quiet"] + settings.flatMap { ["--set", $0] },
                                  timeout: 240)
        XCTAssertEqual(result.status, 0, result.standardError)
        return path(name)
    }

    func export(_ arguments: [String]) throws -> ProcessResult {
        try runKoine(["export", "--elcc"] + arguments, timeout: 60)
    }

    /// scripts/elcc-validate on `root`; skipped where PyYAML is missing (scripts/test installs python3-yaml).
    func validate(_ root: String) throws -> ProcessResult {
        let script = packageDirectory.appendingPathComponent("scripts/elcc-validate").path
        let result = try runProcess("/usr/bin/env", ["python3", script, root], timeout: 60)
        if result.status == 3 { throw XCTSkip(result.standardError) }
        return result
    }

    /// Exports `run` to `out` with `arguments`, expecting `episodes` episodes, and validates the export.
    func exportValid(_ run: String, to out: String, _ arguments: [String] = [], episodes: Int,
                     file: StaticString = #filePath, line: UInt = #line) throws {
        let result = try export([run, "--out", out] + arguments)
        XCTAssertEqual(result.status, 0, result.standardError, file: file, line: line)
        XCTAssertTrue(result.standardOutput.contains(": \(episodes) episodes,"), result.standardOutput, file: file, line: line)
        let valid = try validate(out)
        XCTAssertEqual(valid.status, 0, out + ": " + valid.standardOutput + valid.standardError, file: file, line: line)
        XCTAssertEqual(valid.standardOutput, "valid: 1 systems, 1 corpora, \(episodes) episodes\n", file: file, line: line)
    }

    func json(_ file: String) throws -> [String: Any] {
        try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: file))) as? [String: Any])
    }

    /// The lines of a gzip-compressed file, through gzip itself.
    func gunzippedLines(_ file: String) throws -> [String] {
        let result = try runProcess("/bin/sh", ["-c", "gzip -dc '\(file)'"], timeout: 30)
        XCTAssertEqual(result.status, 0, result.standardError)
        return result.standardOutput.split(separator: "\n").map(String.init)
    }

    func corpusLines(_ file: String) throws -> [String] {
        try String(contentsOfFile: file, encoding: .utf8).split(separator: "\n").map(String.init)
    }

    /// The last evaluation's dumped games, one episode each, their messages
    /// exactly; the lexicon, one episode per line; both valid. Then every
    /// kind of damage the validator looks for makes it refuse the corpus.
    func testAttributeGameExportsItsGamesAndItsLexicon() throws {
        let run = try train(Self.attributeConfig, "attributes")
        let out = path("attributes-elcc")
        try exportValid(run, to: out, episodes: 40)
        let corpus = out + "/systems/koine-attributes/data/attributes"

        // Each episode is one dumped game of step 1500: its message, as sent.
        let games = try gunzippedLines(run + "/interactions/step-0001500.jsonl.gz")
        var rewards: [Double] = []
        let messages = try games.map { line -> String in
            let game = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            let message = try XCTUnwrap(game["message"] as? [Int])
            rewards.append(try XCTUnwrap(game["reward"] as? Double))
            return "[[" + message.map(String.init).joined(separator: ",") + "]]"
        }
        XCTAssertEqual(try corpusLines(corpus + "/corpus.jsonl"), messages)
        let metadata = try json(corpus + "/metadata.json")
        let source = try XCTUnwrap(metadata["source"] as? [String: Any])
        XCTAssertEqual(source["utterances_from"] as? String, "interactions")
        XCTAssertEqual(source["step"] as? Int, 1500)
        let analysis = try XCTUnwrap(metadata["analysis"] as? [String: Any])
        XCTAssertEqual(analysis["Token Count"] as? Int, 80)
        XCTAssertEqual(analysis["Line Count"] as? Int, 40)
        XCTAssertEqual(analysis["Tokens per Line"] as? Double, 2)
        XCTAssertEqual(analysis["EoS Token Present"] as? Bool, false, "a channel of fixed length has no end symbol")
        // The exported games' mean reward, where ELCC's analysis code looks for a system's success.
        func successRate(_ metadata: [String: Any]) -> Double? {
            ((metadata["metrics"] as? [String: Any])?["system"] as? [String: Any])?["success_rate"] as? Double
        }
        XCTAssertEqual(try XCTUnwrap(successRate(metadata)), rewards.reduce(0, +) / Double(rewards.count), accuracy: 1e-12)
        // system.json: metadata.yml as JSON, which ELCC's analysis code reads.
        let systemJSON = try json(out + "/systems/koine-attributes/system.json")
        XCTAssertEqual((systemJSON["system"] as? [String: Any])?["game_type"] as? String, "signalling")
        XCTAssertEqual((systemJSON["system"] as? [String: Any])?["population_size"] as? Int, 3)
        let system = try String(contentsOfFile: out + "/systems/koine-attributes/metadata.yml", encoding: .utf8)
        for line in ["game_type: \"signalling\"", "game_subtype: \"discrimination\"", "observation_continuous: false",
                     "population_size: 3", "more_than_2_agents: true", "multi_utterance: false", "seed: 2", "steps: 1500"] {
            XCTAssertTrue(system.contains(line), "\(line) in\n\(system)")
        }

        // The lexicon instead: every object's greedy message, an earlier dump, one rank's speaker.
        try exportValid(run, to: path("lexicon-elcc"), ["--from", "lexicon", "--corpus", "lexicon", "--rank", "0", "--speaker", "0"],
                        episodes: 16)
        // One speaker's part of the lexicon has no success rate of its own (the run's was measured over all).
        XCTAssertNil(successRate(try json(path("lexicon-elcc") + "/systems/koine-attributes/data/lexicon/metadata.json")))
        try exportValid(run, to: path("whole-lexicon-elcc"), ["--from", "lexicon", "--corpus", "lexicon"], episodes: 16)
        let summary = try json(run + "/summary.json")
        XCTAssertEqual(successRate(try json(path("whole-lexicon-elcc") + "/systems/koine-attributes/data/lexicon/metadata.json")),
                       try XCTUnwrap(summary["accuracy"] as? Double))
        try exportValid(run, to: path("early-elcc"), ["--step", "500"], episodes: 40)
        let early = try json(path("early-elcc") + "/systems/koine-attributes/data/attributes/metadata.json")
        XCTAssertEqual((early["source"] as? [String: Any])?["file"] as? String, "interactions/step-0000500.jsonl.gz")

        try checkTheValidatorRefusesDamage(out, corpus: corpus)
    }

    /// A copy of the valid export broken in one way at a time: the validator
    /// names the problem and exits 1.
    func checkTheValidatorRefusesDamage(_ valid: String, corpus: String) throws {
        let relative = String(corpus.dropFirst(valid.count))
        func damaged(_ label: String, _ change: (String) throws -> Void) throws -> ProcessResult {
            let copy = path("damaged-" + label)
            try FileManager.default.copyItem(atPath: valid, toPath: copy)
            try change(copy)
            return try validate(copy)
        }
        func edit(_ file: String, _ transform: (String) -> String) throws {
            let text = try String(contentsOfFile: file, encoding: .utf8)
            try transform(text).write(toFile: file, atomically: true, encoding: .utf8)
        }
        let corpusFile = relative + "/corpus.jsonl", metadataFile = relative + "/metadata.json"
        let cases: [(String, (String) throws -> Void, String)] = [
            ("token", { try edit($0 + corpusFile) { "[[8,1]]\n" + $0.split(separator: "\n").dropFirst().joined(separator: "\n") + "\n" } },
             "token 8: expected integers 0 to 7"),
            ("flat", { try edit($0 + corpusFile) { "[1,2]\n" + $0.split(separator: "\n").dropFirst().joined(separator: "\n") + "\n" } },
             "utterance 0: expected a non-empty array of integer tokens"),
            ("length", { try edit($0 + corpusFile) { "[[1,2,3]]\n" + $0.split(separator: "\n").dropFirst().joined(separator: "\n") + "\n" } },
             "3 tokens; expected 2"),
            ("utterances", { try edit($0 + corpusFile) { "[[1,2],[3,4]]\n" + $0.split(separator: "\n").dropFirst().joined(separator: "\n") + "\n" } },
             "2 utterances in an episode"),
            ("count", { try edit($0 + metadataFile) { $0.replacingOccurrences(of: "\"Token Count\":80", with: "\"Token Count\":81") } },
             "analysis.Token Count: 81, but corpus.jsonl gives 80"),
            ("system-json", { try edit($0 + "/systems/koine-attributes/system.json") { $0.replacingOccurrences(of: "\"signalling\"", with: "\"other\"") } },
             "system.json: differs from metadata.yml (in system)"),
            ("missing", { try edit($0 + "/systems/koine-attributes/metadata.yml") { $0.replacingOccurrences(of: "game_type:", with: "kind:") } },
             "system.game_type: missing"),
            ("lines", { try edit($0 + corpusFile) { $0 + "[[1,2]]\n" } }, "koine_analysis.episodes: 40, but corpus.jsonl gives 41"),
            // Each of these three ended the validator in a Python traceback.
            ("nesting", { try edit($0 + corpusFile) { $0 + String(repeating: "[", count: 100_000) + "\n" } },
             "corpus.jsonl:41: expected a JSON array (an episode), got unreadable text (maximum recursion depth"),
            ("digits", { try edit($0 + corpusFile) { $0 + "[[" + String(repeating: "1", count: 5000) + "]]\n" } },
             "corpus.jsonl:41: expected a JSON array (an episode), got unreadable text (Exceeds the limit"),
            ("yaml-nesting", { try edit($0 + "/systems/koine-attributes/metadata.yml") { _ in String(repeating: "[", count: 5000) } },
             "metadata.yml: expected YAML (maximum recursion depth"),
            ("fifo", { try FileManager.default.removeItem(atPath: $0 + corpusFile); XCTAssertEqual(mkfifo($0 + corpusFile, 0o644), 0) },
             "corpus.jsonl: expected a regular file"),
        ]
        for (label, change, expected) in cases {
            let result = try damaged(label, change)
            XCTAssertEqual(result.status, 1, "\(label): \(result.standardOutput)\(result.standardError)")
            XCTAssertTrue(result.standardOutput.contains(expected), "\(label): \(result.standardOutput)")
        }
    }

    /// The image game: real greedy games on held-out scenes of rendered
    /// shapes (continuous, synthetic observations), messages of variable length.
    func testImageGameExportsAValidCorpus() throws {
        // The image game's own tests' configuration (rendered shapes, messages of
        // variable length: symbol 0 ends one), with 50 games dumped an evaluation.
        let run = try train(ImageGameCommandTests.config, "images", ["eval.interactions=50"])
        let out = path("images-elcc")
        try exportValid(run, to: out, ["--corpus", "shapes"], episodes: 50)
        let metadata = try json(out + "/systems/koine-images/data/shapes/metadata.json")
        let channel = try XCTUnwrap(metadata["channel"] as? [String: Any])
        XCTAssertEqual(channel["end_of_message"] as? Int, 0)
        XCTAssertEqual(channel["variable_length"] as? Bool, true)
        // An utterance that stops short ends with the end symbol 0; none is padded past it.
        let stopsShort = try corpusLines(out + "/systems/koine-images/data/shapes/corpus.jsonl").contains { $0.hasSuffix(",0]]") || $0 == "[[0]]" }
        let analysis = try XCTUnwrap(metadata["analysis"] as? [String: Any])
        XCTAssertEqual(analysis["EoS Token Present"] as? Bool, stopsShort)
        XCTAssertEqual(analysis["EoS Padding"] as? Bool, false)
        let system = try String(contentsOfFile: out + "/systems/koine-images/metadata.yml", encoding: .utf8)
        for line in ["observation_type: \"image\"", "observation_continuous: true", "data_source: \"synthetic\"",
                     "game_subtype: \"discrimination\""] {
            XCTAssertTrue(system.contains(line), "\(line) in\n\(system)")
        }
    }

    /// The reconstruction game without dumps: its lexicon, one episode per object.
    func testReconstructionGameExportsItsLexicon() throws {
        let run = try train(Self.reconstructionConfig, "reconstruction")
        let out = path("reconstruction-elcc")
        try exportValid(run, to: out, episodes: 12)
        let metadata = try json(out + "/systems/koine-reconstruction/data/reconstruction/metadata.json")
        XCTAssertEqual((metadata["source"] as? [String: Any])?["utterances_from"] as? String, "lexicon")
        let system = try String(contentsOfFile: out + "/systems/koine-reconstruction/metadata.yml", encoding: .utf8)
        XCTAssertTrue(system.contains("game_subtype: \"reconstruction\""), system)

        // Asking for dumps the run never made is a mistake in the input.
        let refused = try export([run, "--out", path("none"), "--from", "interactions"])
        XCTAssertEqual(refused.status, 2, refused.standardError)
        XCTAssertTrue(refused.standardError.contains("eval.interactions is 0"), refused.standardError)
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("none")))
    }

    /// Each mistake: one line naming the file, key or option and what was
    /// expected, exit 2, and neither the output directory nor a temporary one left.
    func testBadInputIsOneLineAndWritesNothing() throws {
        let run = try train(Self.attributeConfig.replacingOccurrences(of: "steps: 1500", with: "steps: 200")
                                .replacingOccurrences(of: "every: 500", with: "every: 100"), "run")
        let manager = FileManager.default
        func copy(_ name: String, keeping files: [String]) throws -> String {
            let target = path(name)
            try manager.createDirectory(atPath: target, withIntermediateDirectories: true)
            for file in files { try manager.copyItem(atPath: run + "/" + file, toPath: target + "/" + file) }
            return target
        }
        let unfinished = try copy("unfinished", keeping: ["config.yaml"])
        let noLexicon = try copy("no-lexicon", keeping: ["config.yaml", "summary.json"])
        let badDump = try copy("bad-dump", keeping: ["config.yaml", "summary.json", "interactions"])
        let badGame = "{\"rank\":0,\"speaker\":0,\"listener\":0,\"target\":1,\"target_is\":\"0,1\",\"message\":[3,9],\"choice\":1,\"reward\":1}"
        XCTAssertEqual(try runProcess("/bin/sh", ["-c", "printf '%s\\n' '\(badGame)' | gzip > '\(badDump)/interactions/step-0000200.jsonl.gz'"]).status, 0)
        let cutDump = try copy("cut-dump", keeping: ["config.yaml", "summary.json", "interactions"])
        let dump = cutDump + "/interactions/step-0000200.jsonl.gz"
        let bytes = try Data(contentsOf: URL(fileURLWithPath: dump))
        try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: dump))
        let occupied = path("occupied")
        try manager.createDirectory(atPath: occupied, withIntermediateDirectories: true)
        try "x".write(toFile: occupied + "/file", atomically: true, encoding: .utf8)

        let out = path("out")
        let cases: [([String], String)] = [
            ([path("nowhere"), "--out", out], "no such run directory"),
            ([directory.path, "--out", out], "not a koine run directory (no config.yaml)"),
            ([unfinished, "--out", out], "summary.json: not found; the run has not finished"),
            ([noLexicon, "--out", out], "lexicon.tsv: not found"),
            ([badDump, "--out", out], "step-0000200.jsonl.gz:1: message [3, 9]: expected symbols 0 to 7 (game.vocab)"),
            ([cutDump, "--out", out], "damaged gzip data"),
            ([run, "--out", occupied], "--out \(occupied): directory is not empty; choose a new one"),
            ([run, "--out", out, "--step", "150"], "--step 150: the run dumped the games of steps 100, 200"),
            ([run, "--out", out, "--from", "lexicon", "--step", "100"], "--step picks an interaction dump"),
            ([run, "--out", out, "--rank", "1"], "--rank 1: the run has ranks 0 to 0"),
            ([run, "--out", out, "--speaker", "2"], "--speaker 2: each rank of the run has speakers 0 to 0"),
            ([run, "--out", out, "--corpus", "../up"], "--corpus ../up: expected a directory name"),
            ([run, "--out", out, "--from", "screenshots"], "screenshots"),
        ]
        for (arguments, expected) in cases {
            let result = try export(arguments)
            XCTAssertEqual(result.status, 2, "\(arguments): \(result.standardError)")
            XCTAssertEqual(result.standardError.split(separator: "\n").count, 1, "\(arguments): \(result.standardError)")
            XCTAssertTrue(result.standardError.contains(expected), "\(arguments): \(result.standardError)")
            XCTAssertFalse(manager.fileExists(atPath: out), "\(arguments)")
        }
        let unnamed = try runKoine(["export", run, "--out", out], timeout: 60)
        XCTAssertEqual(unnamed.status, 2)
        XCTAssertTrue(unnamed.standardError.contains("name the format: --elcc"), unnamed.standardError)
        XCTAssertEqual(try manager.contentsOfDirectory(atPath: occupied), ["file"])
        XCTAssertEqual(try manager.contentsOfDirectory(atPath: directory.path).filter { $0.contains(".tmp-") }, [])

        // An empty directory is taken, like koine train's --out.
        try manager.createDirectory(atPath: out, withIntermediateDirectories: true)
        try exportValid(run, to: out, episodes: 40)
    }
}
