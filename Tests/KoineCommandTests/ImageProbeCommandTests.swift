import Foundation
import KoineTestSupport
import XCTest

/// `koine probe` on the image game: a pair trained on photographs
/// (`CrossPlayCommandTests.imageConfig`), its speaker's held-out lexicon
/// changed and played by its listener on the evaluation's scenes, from the
/// run's checkpoint.
final class ImageProbeCommandTests: XCTestCase {
    var photographs: URL?
    var directory: URL?

    override func setUpWithError() throws {
        photographs = try SharedPhotographs.unpack(["airplane", "ship"], label: "koine-image-probe")
        directory = try makeTemporaryDirectory("image-probe")
    }

    override func tearDownWithError() throws {
        for url in [directory, photographs?.deletingLastPathComponent()].compactMap({ $0 }) {
            try? FileManager.default.removeItem(at: url)
        }
    }

    /// With nothing changed the probe replays the run's last evaluation: its
    /// accuracy and causal influence to the last digit. Scrambling which image
    /// gets which message leaves the speaker exactly as consistent (the same
    /// messages, reassigned) and the listener at chance; its causal influence
    /// stays (the listener still answers each message, towards the wrong
    /// image): Lowe et al.'s warning that influence is not understanding.
    /// Randomising the first position takes influence away; zeroing every
    /// symbol takes it all. The class column: the chosen image has the
    /// target's class more often with the messages than without.
    func testTheImageGamesInterventions() throws {
        let run = try CrossPlayCommandTests.trainImageRun(photographs: try XCTUnwrap(photographs), in: try XCTUnwrap(directory))
        let summary = try RunFiles.summary(run)
        let probe = try ProbeOutput(run: run)
        let figure = probe.figure
        func classShare(_ name: String) throws -> Double {
            let shares = try probe.shares(name, "class_accuracy")
            XCTAssertEqual(shares.count, 1, "one class per image")
            return try XCTUnwrap(shares.first)
        }
        XCTAssertEqual(probe.names, [
            "none", "scrambled across objects", "position 0 random", "position 1 random", "position 2 random",
            "positions 0 and 1 swapped", "positions 1 and 2 swapped", "every symbol zero"])
        print("image probe: " + probe.interventions.map { "\($0)" }.joined(separator: "\n"))

        let accuracy = try figure("none", "accuracy"), influence = try figure("none", "causal_influence")
        XCTAssertEqual(accuracy, try XCTUnwrap(summary["accuracy"] as? Double), accuracy: 1e-12, "the run's evaluation, replayed")
        XCTAssertEqual(influence, try XCTUnwrap(summary["causal_influence"] as? Double), accuracy: 1e-12)
        XCTAssertGreaterThan(accuracy, 0.15, "a trained pair; chance is 1/32")

        XCTAssertEqual(try figure("scrambled across objects", "speaker_consistency"), try figure("none", "speaker_consistency"),
                       accuracy: 1e-9)
        XCTAssertLessThan(try figure("scrambled across objects", "accuracy"), 0.08, "chance is 0.031")
        XCTAssertGreaterThan(try figure("scrambled across objects", "causal_influence"), influence / 2, "the listener still answers")

        XCTAssertLessThan(try figure("position 0 random", "causal_influence"), influence)
        XCTAssertLessThan(try figure("position 0 random", "speaker_consistency"), try figure("none", "speaker_consistency"))

        XCTAssertEqual(try figure("every symbol zero", "causal_influence"), 0, accuracy: 1e-9)
        XCTAssertEqual(try figure("every symbol zero", "speaker_consistency"), 1)
        XCTAssertLessThan(try figure("every symbol zero", "accuracy"), 0.08)
        XCTAssertGreaterThan(try classShare("none"), try classShare("every symbol zero"), "the messages carry the class")
        for name in probe.names.compactMap({ $0 }) {
            XCTAssertGreaterThanOrEqual(try classShare(name), try figure(name, "accuracy"), "\(name): the target has its own class")
        }

        let text = try runKoine(["probe", run], timeout: 120)
        XCTAssertEqual(text.status, 0, text.standardError)
        let heading = try XCTUnwrap(text.standardOutput.split(separator: "\n").dropFirst().first)
        XCTAssertTrue(heading.hasSuffix("consistency\tclass"), String(heading))
        for (arguments, expected) in [(["--speaker", "1"], "--speaker 1: rank 0 has speakers 0 to 0"),
                                      (["--listener", "1"], "--listener 1: rank 0 has listeners 0 to 0")] {
            let refused = try runKoine(["probe", run] + arguments, timeout: 60)
            XCTAssertEqual(refused.status, 2, refused.standardError)
            XCTAssertEqual(refused.standardError.split(separator: "\n").count, 1, refused.standardError)
            XCTAssertTrue(refused.standardError.contains(expected), refused.standardError)
        }
    }
}
