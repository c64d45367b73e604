import Foundation
import KoineTestSupport
import XCTest

/// `koine probe`: Lowe et al.'s scramble on a trained pair, and the other
/// interventions, from the run's checkpoint.
final class ProbeCommandTests: XCTestCase {
    static let config = """
        seed: 3
        game: {attributes: [4, 4], candidates: 4, vocab: 8, message_length: 2}
        agents: {hidden: 48, channel: gumbel, temperature: 2}
        train: {steps: 3000, batch: 64, optimizer: {lr: 0.003}}
        eval: {every: 0, ease_of_teaching: {every: 0}}
        telemetry: {endpoint: none}
        """

    var directory: URL!

    override func setUpWithError() throws { directory = try makeTemporaryDirectory("probe") }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: directory) }

    func trainedRun() throws -> String {
        let config = directory.appendingPathComponent("config.yaml")
        try Self.config.write(to: config, atomically: true, encoding: .utf8)
        let run = directory.appendingPathComponent("run").path
        let result = try runKoine(["train", "--config", config.path, "--out", run, "--quiet"], timeout: 120)
        XCTAssertEqual(result.status, 0, result.standardError)
        return run
    }

    /// Scrambling which object gets which message leaves the speaker as
    /// consistent as it was (the same messages, reassigned) while the
    /// listener's accuracy falls to chance (1/4 here) and the messages' causal
    /// influence drops: the listener still responds to each message, now
    /// towards the wrong object. Zeroing every symbol leaves one message for
    /// all: no influence at all, a perfectly consistent speaker.
    func testScramblingKeepsConsistencyAndLosesTheListener() throws {
        let run = try trainedRun()
        let probe = try ProbeOutput(run: run)
        let figure = probe.figure
        XCTAssertEqual(probe.names, [
            "none", "scrambled across objects", "position 0 random", "position 1 random", "positions 0 and 1 swapped",
            "every symbol zero"])
        XCTAssertGreaterThan(try figure("none", "accuracy"), 0.85, "a trained pair")
        XCTAssertEqual(try figure("scrambled across objects", "speaker_consistency"), try figure("none", "speaker_consistency"))
        XCTAssertLessThan(try figure("scrambled across objects", "accuracy"), 0.4, "chance is 0.25")
        XCTAssertLessThan(try figure("scrambled across objects", "causal_influence"), try figure("none", "causal_influence"))
        XCTAssertEqual(try figure("every symbol zero", "causal_influence"), 0, accuracy: 1e-9)
        XCTAssertEqual(try figure("every symbol zero", "speaker_consistency"), 1)
        XCTAssertLessThan(try figure("every symbol zero", "accuracy"), 0.35)
        // A random symbol in a position makes the speaker less consistent.
        XCTAssertLessThan(try figure("position 0 random", "speaker_consistency"), try figure("none", "speaker_consistency"))
        let attributes = try probe.shares("none", "attribute_accuracy")
        XCTAssertEqual(attributes.count, 2)
        XCTAssertTrue(attributes.allSatisfy { $0 >= (try? figure("none", "accuracy")) ?? 1 }, "the target's values are matched at least as often as the target")

        let text = try runKoine(["probe", run], timeout: 120)
        XCTAssertEqual(text.status, 0)
        XCTAssertTrue(text.standardOutput.contains("scrambled across objects"), text.standardOutput)
        for (arguments, expected) in [(["--speaker", "3"], "--speaker 3: rank 0 has speakers 0 to 0"),
                                      (["--rank", "2"], "rank 2: the run has ranks 0 to 0")] {
            let refused = try runKoine(["probe", run] + arguments, timeout: 60)
            XCTAssertEqual(refused.status, 2, refused.standardError)
            XCTAssertTrue(refused.standardError.contains(expected), refused.standardError)
        }
    }
}
