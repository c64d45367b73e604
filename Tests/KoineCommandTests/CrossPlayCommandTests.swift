import Foundation
import KoineTestSupport
import XCTest

/// `koine crossplay A B`: a run played against itself from its files gives
/// the matrix its last evaluation computed across ranks under mpirun; runs of
/// different games, and directories that are not runs, are refused.
final class CrossPlayCommandTests: XCTestCase {
    static let config = """
        seed: 5
        game: {attributes: [4, 4], candidates: 4}
        agents: {hidden: 32}
        population: {listeners: 2, cross_rank: 0.25}
        train: {steps: 400, batch: 32, log_every: 100}
        eval: {every: 200, ease_of_teaching: {every: 0}}
        telemetry: {endpoint: none}
        """

    /// An image game trained on photographs (two classes of the CIFAR-10
    /// JPEG copy in ../shared/data): the rotation learning test's game without
    /// its rotations, and with batch norm, whose running statistics the
    /// listener must read as the run left them. 800 steps of 32 games: a
    /// communication rate near 0.2, chance 1/32.
    static func imageConfig(photographs: String) -> String {
        """
        seed: 1
        game: {kind: images, dataset: folder, dataset_path: \(photographs), candidates: 32, vocab: 16,
               message_length: 3, variable_length: true}
        agents: {hidden: 64, channel: gumbel, listener_loss: hinge,
                 visual: {mode: learned, widths: [8, 16, 32], convolutions: 1, batch_norm: true}}
        train: {steps: 800, batch: 32}
        eval: {every: 0, images: 512, ease_of_teaching: {every: 0}}
        telemetry: {endpoint: none}
        """
    }

    /// `imageConfig` on `photographs`, trained into `directory`: the run's path.
    static func trainImageRun(photographs: URL, in directory: URL) throws -> String {
        let config = directory.appendingPathComponent("images.yaml")
        try imageConfig(photographs: photographs.path).write(to: config, atomically: true, encoding: .utf8)
        let run = directory.appendingPathComponent("images").path
        let trained = try runKoine(["train", "--config", config.path, "--out", run, "--quiet"], timeout: 300)
        XCTAssertEqual(trained.status, 0, trained.standardError)
        return run
    }

    var directory: URL!

    override func setUpWithError() throws {
        directory = try makeTemporaryDirectory("crossplay")
        try Self.config.write(to: directory.appendingPathComponent("config.yaml"), atomically: true, encoding: .utf8)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: directory) }

    func train(ranks: Int, out: String, extra: [String] = []) throws -> String {
        let run = directory.appendingPathComponent(out).path
        let arguments = ["train", "--config", directory.appendingPathComponent("config.yaml").path, "--out", run, "--quiet"] + extra
        let result = ranks == 1
            ? try runKoine(arguments, timeout: 120)
            : try runProcess("/usr/bin/env", ["mpirun", "-np", String(ranks), "--oversubscribe", "--bind-to", "none",
                                              koineExecutable.path] + arguments, environment: mpiEnvironment, timeout: 120)
        XCTAssertEqual(result.status, 0, result.standardError)
        return run
    }

    func crossPlay(_ first: String, _ second: String, _ extra: [String] = []) throws -> [String: Any] {
        let result = try runKoine(["crossplay", first, second, "--json"] + extra, timeout: 120)
        XCTAssertEqual(result.status, 0, result.standardError)
        return try XCTUnwrap(JSONSerialization.jsonObject(with: Data(result.standardOutput.utf8)) as? [String: Any])
    }

    /// Two ranks under mpirun: the run's own cross-play matrix at its last
    /// evaluation, and the one `koine crossplay` computes in one process from
    /// the lexicon file and each rank's checkpoint, are the same numbers.
    func testTheMatrixOfTwoRanksIsTheOneTheirFilesGive() throws {
        let run = try train(ranks: 2, out: "two-ranks")
        let lines = try String(contentsOfFile: run + "/metrics.jsonl", encoding: .utf8).split(separator: "\n")
            .compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        let live = try XCTUnwrap(lines.last { $0["kind"] as? String == "eval" }?["crossplay"] as? [[Double]])
        let files = try crossPlay(run, run)
        let offline = try XCTUnwrap(files["accuracy"] as? [[Double]])
        XCTAssertEqual(offline.map(\.count), live.map(\.count))
        for (a, b) in zip(offline.joined(), live.joined()) { XCTAssertEqual(a, b, accuracy: 1e-12) }
        XCTAssertEqual((files["listeners"] as? [[Int]])?.count, 4, "2 listeners on each of 2 ranks")
    }

    /// Another seed's population learnt another language; teaching it to fresh
    /// listeners gives their curves' figures.
    func testAnotherRunsListenersAndTeaching() throws {
        let a = try train(ranks: 1, out: "a"), b = try train(ranks: 1, out: "b", extra: ["--set", "seed=6"])
        let result = try crossPlay(a, b, ["--teach", "30"])
        let matrix = try XCTUnwrap(result["accuracy"] as? [[Double]])
        XCTAssertEqual(matrix.map(\.count), [2])
        XCTAssertTrue(matrix.joined().allSatisfy { (0...1).contains($0) })
        let taught = try XCTUnwrap(result["taught"] as? [[String: Double]])
        XCTAssertEqual(taught.count, 1)
        XCTAssertNotNil(taught[0]["area_200"])
        XCTAssertNil(taught[0]["accuracy_50"], "30 steps: no accuracy after 50")
    }

    /// An image run played by itself from its files replays its last
    /// evaluation: the listener's encoder holds the checkpoint's batch norm
    /// statistics, untouched by rebuilding the population.
    func testAnImageRunWithBatchNormPlaysItselfAsItsEvaluationDid() throws {
        let photographs = try SharedPhotographs.unpack(["airplane", "ship"], label: "koine-image-crossplay")
        defer { try? FileManager.default.removeItem(at: photographs.deletingLastPathComponent()) }
        let run = try Self.trainImageRun(photographs: photographs, in: directory)
        let accuracy = try XCTUnwrap(try RunFiles.summary(run)["accuracy"] as? Double)
        XCTAssertGreaterThan(accuracy, 0.15, "a trained pair; chance is 1/32")
        let played = try XCTUnwrap(try crossPlay(run, run)["accuracy"] as? [[Double]])
        XCTAssertEqual(played.count, 1)
        XCTAssertEqual(try XCTUnwrap(played.first?.first), accuracy, accuracy: 1e-12)
    }

    func testRunsThatCannotPlayEachOtherAreRefusedInOneLine() throws {
        let a = try train(ranks: 1, out: "a")
        let other = try train(ranks: 1, out: "other", extra: ["--set", "game.candidates=3"])
        let cases: [([String], String)] = [
            ([a, other], "play different games: game.candidates is 4 in the first, 3 in the second"),
            ([a, directory.path], "no complete checkpoint"),
            ([a, directory.appendingPathComponent("absent").path], "not a koine run directory"),
            ([directory.path, a], "no lexicon.tsv"),
            ([a, a, "--teach", "0"], "--teach 0: expected a number of steps from 1"),
        ]
        for (arguments, expected) in cases {
            let result = try runKoine(["crossplay"] + arguments, timeout: 60)
            XCTAssertEqual(result.status, 2, "\(arguments): \(result.standardError)")
            XCTAssertTrue(result.standardError.contains(expected), "\(arguments): \(result.standardError)")
            XCTAssertEqual(result.standardError.split(separator: "\n").filter { $0.hasPrefix("koine:") }.count, 1, result.standardError)
        }
    }
}
