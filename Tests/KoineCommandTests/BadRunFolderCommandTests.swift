import Foundation
import KoineTestSupport
import XCTest

/// Hardening III: the surfaces that read a finished run folder back (koine
/// export --elcc, probe, crossplay) and the pbt section, through the built
/// binary, in BadInputCommandTests' table: one line, exit 2, no hang, nothing written.
extension BadInputCommandTests {
    /// Dumps 10 games at steps 20 and 40, and keeps the checkpoint of step 40.
    static let finishedRun = """
        seed: 1
        game: {attributes: [4, 4], candidates: 4, vocab: 8, message_length: 2}
        agents: {hidden: 16}
        population: {speakers: 1, listeners: 2}
        train: {steps: 40, batch: 16, checkpoint: {every: 40}}
        eval: {every: 20, interactions: 10, ease_of_teaching: {every: 0}}
        telemetry: {endpoint: none}
        """

    /// A copy of `run` named `name`, changed by `change` (given the copy's path).
    func damagedCopy(of run: String, _ name: String, _ change: (String) throws -> Void) throws -> String {
        let copy = path(name)
        try FileManager.default.copyItem(atPath: run, toPath: copy)
        try change(copy)
        return copy
    }

    func gzip(_ text: String, to file: String) throws {
        try text.write(toFile: file + ".txt", atomically: true, encoding: .utf8)
        XCTAssertEqual(try runProcess("/bin/sh", ["-c", "gzip -c '\(file).txt' > '\(file)' && rm '\(file).txt'"]).status, 0)
    }

    func testRunFoldersReadBackAndThePBTSection() throws {
        let config = try write(Self.finishedRun, "run.yaml")
        let trained = try runKoine(["train", "--config", config, "--out", path("run"), "--quiet"], directory: directory, timeout: 120)
        XCTAssertEqual(trained.status, 0, trained.standardError)
        let run = path("run"), manager = FileManager.default
        let dump = "/interactions/step-0000040.jsonl.gz", checkpoint = "/checkpoints/step-00000040/rank-0.ckpt"
        let game = { (rank: Int, symbol: String) in "{\"rank\":\(rank),\"speaker\":0,\"message\":[\(symbol),1]}\n" }

        // A FIFO named like the dump: gzopen waited for a writer (a hang).
        let fifoDump = try damagedCopy(of: run, "fifo-dump") {
            try manager.removeItem(atPath: $0 + dump)
            XCTAssertEqual(mkfifo($0 + dump, 0o644), 0)
        }
        // 11 games of rank 0 where world_size says 1000 ranks: the bound was
        // eval.interactions times world_size, so a gzip bomb of one rank's lines was read on for minutes.
        let bomb = try damagedCopy(of: run, "bomb") {
            let summary = try String(contentsOfFile: $0 + "/summary.json", encoding: .utf8)
            try summary.replacingOccurrences(of: "\"world_size\" : 1,", with: "\"world_size\" : 1000,")
                .replacingOccurrences(of: "\"world_size\": 1,", with: "\"world_size\": 1000,")
                .write(toFile: $0 + "/summary.json", atomically: true, encoding: .utf8)
            try gzip(String(repeating: game(0, "2"), count: 11), to: $0 + dump)
        }
        // JSON's true was read as symbol 1.
        let boolean = try damagedCopy(of: run, "boolean") { try gzip(game(0, "true"), to: $0 + dump) }
        // A checkpoint cut short, a FIFO in its place (a hang), one of another configuration.
        let cut = try damagedCopy(of: run, "cut") {
            let bytes = try Data(contentsOf: URL(fileURLWithPath: $0 + checkpoint))
            try bytes.prefix(1000).write(to: URL(fileURLWithPath: $0 + checkpoint))
        }
        let fifoCheckpoint = try damagedCopy(of: run, "fifo-checkpoint") {
            try manager.removeItem(atPath: $0 + checkpoint)
            XCTAssertEqual(mkfifo($0 + checkpoint, 0o644), 0)
        }
        let foreign = try damagedCopy(of: run, "foreign") {
            let yaml = try String(contentsOfFile: $0 + "/config.yaml", encoding: .utf8)
            try yaml.replacingOccurrences(of: "hidden: 16", with: "hidden: 12").write(toFile: $0 + "/config.yaml", atomically: true, encoding: .utf8)
        }
        // A lexicon of a speaker the run never had (2,000 of them took minutes, each file read once per speaker).
        let forged = try damagedCopy(of: run, "forged") {
            let lexicon = try String(contentsOfFile: $0 + "/lexicon.tsv", encoding: .utf8)
            let other = lexicon.split(separator: "\n").dropFirst().map { "0\t1" + $0.dropFirst(3) + "\n" }.joined()
            try (lexicon + other).write(toFile: $0 + "/lexicon.tsv", atomically: true, encoding: .utf8)
        }
        // A symbolic link to nothing as --out: exit 1 and "write failed" (export), an NSError dump (train).
        let dangling = path("dangling")
        try manager.createSymbolicLink(atPath: dangling, withDestinationPath: path("nothing-there"))

        try check([
            Case(name: "export: a FIFO named like a dump", arguments: ["export", "--elcc", fifoDump, "--out", path("o1")], status: 2,
                 fragment: "step-0000040.jsonl.gz: expected a gzip-compressed file, not a directory or special file", absent: [path("o1")]),
            Case(name: "export: more games of one rank than eval.interactions", arguments: ["export", "--elcc", bomb, "--out", path("o2")],
                 status: 2, fragment: "step-0000040.jsonl.gz:11: more than 10 games of rank 0", absent: [path("o2")]),
            Case(name: "export: true as a symbol", arguments: ["export", "--elcc", boolean, "--out", path("o3")], status: 2,
                 fragment: "step-0000040.jsonl.gz:1: expected a JSON object with a rank, a speaker and a message of integer symbols",
                 absent: [path("o3")]),
            Case(name: "export --out \"\"", arguments: ["export", "--elcc", run, "--out", ""], status: 2,
                 fragment: "--out \"\": expected the name of a directory to create"),
            Case(name: "export --out a dangling link", arguments: ["export", "--elcc", run, "--out", dangling], status: 2,
                 fragment: "dangling: a symbolic link to nothing"),
            Case(name: "train --out a dangling link", arguments: ["train", "--config", config, "--out", dangling, "--quiet"], status: 2,
                 fragment: "dangling: a symbolic link to nothing"),
            Case(name: "probe: a cut checkpoint", arguments: ["probe", cut], status: 2, fragment: "rank-0.ckpt: truncated"),
            Case(name: "probe: a FIFO checkpoint", arguments: ["probe", fifoCheckpoint], status: 2,
                 fragment: "rank-0.ckpt: not a regular file"),
            Case(name: "train --resume: a FIFO checkpoint", arguments: ["train", "--resume", fifoCheckpoint, "--quiet"], status: 2,
                 fragment: "no usable checkpoint: fifo-checkpoint/checkpoints/step-00000040/rank-0.ckpt: not a regular file"),
            Case(name: "probe: another configuration's checkpoint", arguments: ["probe", foreign], status: 2,
                 fragment: "rank-0.ckpt: written for a different configuration"),
            Case(name: "crossplay: B's checkpoint a FIFO", arguments: ["crossplay", run, fifoCheckpoint], status: 2,
                 fragment: "rank-0.ckpt: not a regular file"),
            Case(name: "crossplay: A's lexicon of a speaker A lacks", arguments: ["crossplay", forged, run], status: 2,
                 fragment: "lexicon.tsv: speaker 1 of rank 0: \(forged) has speakers 0 to 0 (population.speakers) on ranks 0 to 0"),
            Case(name: "crossplay: B's checkpoint cut", arguments: ["crossplay", run, cut], status: 2, fragment: "rank-0.ckpt: truncated"),
            Case(name: "pbt.reset_period.minimum Int.max", arguments: [
                "train", "--config", packageDirectory.appendingPathComponent("configs/pbt-quick.yaml").path, "--out", path("o4"),
                "--set", "pbt.reset_period.minimum=9223372036854775807", "--set", "pbt.reset_period.maximum=2000"], status: 2,
                 fragment: "pbt.reset_period.minimum: expected at most 9007199254740992 steps (2^53), got 9223372036854775807",
                 absent: [path("o4")]),
        ])
        XCTAssertFalse(manager.fileExists(atPath: path("nothing-there")))

        // A lexicon saved with Windows line ends: read as no messages before, the same corpus now.
        let crlf = try damagedCopy(of: run, "crlf") {
            let lexicon = try String(contentsOfFile: $0 + "/lexicon.tsv", encoding: .utf8)
            try lexicon.replacingOccurrences(of: "\n", with: "\r\n").write(toFile: $0 + "/lexicon.tsv", atomically: true, encoding: .utf8)
        }
        for (from, episodes) in [(run, 16), (crlf, 16)] {
            let result = try runKoine(["export", "--elcc", from, "--from", "lexicon", "--out", from + "-lexicon"], timeout: 60)
            XCTAssertEqual(result.status, 0, result.standardError)
            XCTAssertTrue(result.standardOutput.contains(": \(episodes) episodes,"), result.standardOutput)
        }
        XCTAssertEqual(try String(contentsOfFile: crlf + "-lexicon/systems/koine-attributes/data/crlf/corpus.jsonl", encoding: .utf8),
                       try String(contentsOfFile: run + "-lexicon/systems/koine-attributes/data/run/corpus.jsonl", encoding: .utf8))
    }
}
