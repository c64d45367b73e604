import Foundation
import KoineTestSupport
import XCTest

/// `koine teach`: a run's own lexicon, taught from its file, gives the figures
/// and curves; lexicon files that do not fit the game are refused in one line.
final class TeachCommandTests: XCTestCase {
    static let config = """
        seed: 3
        game: {attributes: [3, 3], candidates: 3, vocab: 4, message_length: 2}
        agents: {hidden: 8}
        train: {steps: 20, batch: 8}
        eval: {ease_of_teaching: {listeners: 3, steps: 60}}
        """

    var directory: URL!

    override func setUpWithError() throws {
        directory = try makeTemporaryDirectory("koine-teach")
    }

    override func tearDownWithError() throws {
        if let directory { try? FileManager.default.removeItem(at: directory) }
    }

    func write(_ text: String, _ name: String) throws -> String {
        let url = directory.appendingPathComponent(name)
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }

    /// Message = the object's two attribute values.
    static var compositional: String {
        "rank\tspeaker\tobject\tattributes\tmessage\n"
            + (0..<9).map { "0\t0\t\($0)\t\($0 / 3),\($0 % 3)\t\($0 / 3) \($0 % 3)\n" }.joined()
    }

    func testTeachesALexiconFileAndWritesEveryCurve() throws {
        let config = try write(Self.config, "tiny.yaml")
        let lexicon = try write(Self.compositional, "lexicon.tsv")
        let json = directory.appendingPathComponent("ease.json").path
        let result = try runKoine(["teach", lexicon, "--config", config, "--json", json, "--quiet"], timeout: 60)
        XCTAssertEqual(result.status, 0, result.standardError)
        XCTAssertEqual(result.standardError, "")
        for name in ["area", "accuracy_50", "steps_to_90", "area_200"] {
            XCTAssertTrue(result.standardOutput.contains("  \(name)\t"), "\(name) in:\n\(result.standardOutput)")
        }
        let document = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: json))) as? [String: Any])
        XCTAssertEqual(document["choices"] as? String, "greedy")
        let curves = try XCTUnwrap(document["curves"] as? [[Double]])
        XCTAssertEqual(curves.count, 3)
        XCTAssertEqual(curves.map(\.count), [60, 60, 60])
        let figures = try XCTUnwrap(document["figures"] as? [String: Double])
        let mean = (0..<60).map { step in curves.reduce(0) { $0 + $1[step] } / 3 }
        XCTAssertEqual(try XCTUnwrap(figures["accuracy_50"]), mean[49], accuracy: 1e-6)
        XCTAssertEqual(try XCTUnwrap(figures["area"]), mean.reduce(0, +) / 60, accuracy: 1e-6)
        // The same lexicon, the same seed: the same curves.
        let again = try runKoine(["teach", lexicon, "--config", config, "--quiet"], timeout: 60)
        XCTAssertEqual(again.standardOutput.split(separator: "\n").dropFirst(), result.standardOutput.split(separator: "\n").dropFirst())
    }

    func testLexiconsThatDoNotFitAreRefusedInOneLine() throws {
        let config = try write(Self.config, "tiny.yaml")
        let header = "rank\tspeaker\tobject\tattributes\tmessage\n"
        let rows = Self.compositional.split(separator: "\n").dropFirst().map(String.init)
        let fifo = directory.appendingPathComponent("fifo.tsv").path
        XCTAssertEqual(mkfifo(fifo, 0o600), 0)
        let cases: [(String, String?, String)] = [
            ("missing.tsv", nil, "cannot read the lexicon"),
            ("empty.tsv", "", "expected a lexicon.tsv whose first line"),
            ("short.tsv", header + rows.dropLast().joined(separator: "\n") + "\n", "has messages for 8 of the game's 9 objects (object 8 has none)"),
            ("twice.tsv", header + rows.joined(separator: "\n") + "\n" + rows[0] + "\n", "object 0 appears twice"),
            ("symbol.tsv", header + rows.dropFirst().joined(separator: "\n") + "\n0\t0\t0\t0,0\t0 4\n", "expected symbols 0 to 3 (game.vocab)"),
            ("length.tsv", header + rows.dropFirst().joined(separator: "\n") + "\n0\t0\t0\t0,0\t0 1 2\n", "message of 3 symbols: expected 2"),
            ("object.tsv", header + rows.joined(separator: "\n") + "\n0\t0\t9\t3,0\t0 1\n", "object 9: the game has objects 0 to 8"),
            ("columns.tsv", header + "0\t0\t0\t0 0\n", "expected five tab-separated columns"),
            ("fifo.tsv", nil, "expected a lexicon file, not a directory or special file"),
        ]
        for (name, text, expected) in cases {
            let path = try text.map { try write($0, name) } ?? directory.appendingPathComponent(name).path
            let result = try runKoine(["teach", path, "--config", config, "--quiet"], timeout: 30)
            XCTAssertFalse(result.timedOut, name)
            XCTAssertEqual(result.status, 2, "\(name): \(result.standardError)")
            XCTAssertEqual(result.standardError.split(separator: "\n").count, 1, "\(name): \(result.standardError)")
            XCTAssertTrue(result.standardError.contains(expected), "\(name): \(result.standardError)")
        }
        let other = try runKoine(["teach", try write(Self.compositional, "ok.tsv"), "--config", config, "--speaker", "0:1", "--quiet"],
                                 timeout: 30)
        XCTAssertEqual(other.status, 2)
        XCTAssertTrue(other.standardError.contains("speaker 1 of rank 0 has messages for 0 of the game's 9 objects"), other.standardError)
        let speaker = try runKoine(["teach", try write(Self.compositional, "ok.tsv"), "--config", config, "--speaker", "one"],
                                   timeout: 30)
        XCTAssertEqual(speaker.status, 2)
        XCTAssertTrue(speaker.standardError.contains("--speaker one: expected RANK:SPEAKER"), speaker.standardError)
    }
}
