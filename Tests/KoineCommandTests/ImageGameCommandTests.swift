import Foundation
import KoineTestSupport
import XCTest

/// The image game through the built binary: two ranks under real `mpirun`
/// keep the shared convolutional encoder (its weights and its batch norm
/// statistics) bit-identical; a run resumed from a checkpoint ends exactly
/// where an uninterrupted one does; a missing data set is one line and exit 2.
final class ImageGameCommandTests: XCTestCase {
    /// Small rendered shapes, a learned encoder with batch norm, Gumbel-Softmax
    /// and the hinge loss: every piece whose state a replica or a checkpoint holds.
    static let config = """
        seed: 4
        game: {kind: images, dataset: shapes, shapes: {train: 300, test: 64}, candidates: 16, vocab: 6,
               message_length: 3, variable_length: true}
        agents: {hidden: 16, channel: gumbel, listener_loss: hinge,
                 visual: {mode: learned, widths: [4, 8], convolutions: 1, batch_norm: true}}
        train: {steps: 60, batch: 16, log_every: 10, check_every: 10, checkpoint: {every: 20, keep: 3}}
        eval: {every: 30, images: 64, ease_of_teaching: {every: 0}}
        telemetry: {endpoint: none}
        """

    var directory: ConfiguredDirectory!
    var config: String { directory.config }

    override func setUpWithError() throws { directory = try ConfiguredDirectory("images", config: Self.config) }

    override func tearDownWithError() throws { directory?.remove() }

    func path(_ name: String) -> String { directory.path(name) }

    func summary(_ run: String) throws -> [String: Any] { try RunFiles.summary(run) }

    /// The trainer compares the shared encoder's checksum (weights and
    /// running statistics) across ranks every 10 steps and at the end, and
    /// stops the job on a mismatch: success means the replicas stayed equal,
    /// with the gradient all-reduced in buckets during the backward pass and
    /// a quarter of every batch's games played by the other rank's listener,
    /// which encodes the sender's scene from its image ids.
    /// On the shipped configs/images/quick.yaml, shortened.
    func testTwoRanksKeepTheVisualEncoderIdenticalAndPlayEachOthersGames() throws {
        let out = path("two")
        let quick = packageDirectory.appendingPathComponent("configs/images/quick.yaml").path
        var options = ["-np", "2"]
        if ProcessInfo.processInfo.activeProcessorCount < 2 { options.append("--oversubscribe") }
        let result = try runProcess("/usr/bin/env", ["mpirun"] + options + [
            koineExecutable.path, "train", "--config", quick, "--out", out, "--quiet", "--telemetry", "none",
            "--set", "train.steps=60", "--set", "train.check_every=10", "--set", "eval.every=30", "--set", "eval.images=64",
            "--set", "population.cross_rank=0.25"], environment: mpiEnvironment, timeout: 180)
        XCTAssertEqual(result.status, 0, result.standardError)
        let figures = try summary(out)
        XCTAssertEqual(figures["world_size"] as? Int, 2)
        XCTAssertNotNil(figures["shared_encoder_checksum"] as? String)
        XCTAssertGreaterThan(try XCTUnwrap(figures["allreduce_seconds"] as? Double), 0)
        // 8 of every 32 games, 60 steps, on each of the 2 ranks.
        XCTAssertEqual(figures["cross_rank_games"] as? Int, 8 * 60 * 2)
        XCTAssertEqual(figures["cross_rank_replies"] as? Int, 8 * 60 * 2)
        // Cross-play in the image game: each speaker's held-out lexicon, gathered
        // over MPI, played by both ranks' listeners; one rank's pairs replay the
        // live evaluation's games exactly.
        XCTAssertEqual(try XCTUnwrap(figures["crossplay_same_rank"] as? Double), try XCTUnwrap(figures["accuracy"] as? Double),
                       accuracy: 1e-9)
        XCTAssertNotNil(figures["crossplay_other_ranks"] as? Double)
        XCTAssertNotNil(figures["causal_influence"] as? Double)
    }

    /// Runs the config whole and in two halves (`settings` as `--set`s) and
    /// checks that both end with the same figures and metrics.
    func checkResume(_ settings: [String], label: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let full = path("full-\(label)"), half = path("half-\(label)")
        let sets = settings.flatMap { ["--set", $0] }
        let whole = try runKoine(["train", "--config", config, "--out", full, "--quiet"] + sets, timeout: 120)
        XCTAssertEqual(whole.status, 0, whole.standardError, file: file, line: line)
        let first = try runKoine(["train", "--config", config, "--out", half, "--quiet", "--set", "train.steps=30"] + sets, timeout: 120)
        XCTAssertEqual(first.status, 0, first.standardError, file: file, line: line)
        let resumed = try runKoine(["train", "--resume", half, "--quiet", "--set", "train.steps=60"], timeout: 120)
        XCTAssertEqual(resumed.status, 0, resumed.standardError, file: file, line: line)
        XCTAssertEqual(try RunFiles.figures(half), try RunFiles.figures(full), label, file: file, line: line)
        XCTAssertEqual(try RunFiles.deterministicMetrics(half), try RunFiles.deterministicMetrics(full), label, file: file, line: line)
    }

    /// The rotation task's heads and learned weights, and the augmentations'
    /// draws, resume exactly too; its figures reach the metrics and summary.
    func testAResumedRotationTaskRunEndsExactlyAsAnUninterruptedOne() throws {
        let task = ["game.augment.rotation=quarter_turns", "game.augment.noise=0.05", "agents.rotation_task=receiver",
                    "train.multitask.mode=uncertainty"]
        try checkResume(task, label: "rotation")
        let metrics = try String(contentsOfFile: path("full-rotation") + "/metrics.jsonl", encoding: .utf8)
        for field in ["\"rotation_loss\"", "\"rotation_accuracy\"", "\"gradient_cosine\"", "\"game_weight\""] {
            XCTAssertTrue(metrics.contains(field), "metrics.jsonl reports \(field)")
        }
    }

    /// Two ranks with the sender's rotation task and projected gradients: the
    /// combined gradient is all-reduced whole, and the replicas stay identical.
    func testTwoRanksKeepTheEncoderIdenticalUnderTheRotationTask() throws {
        let out = path("two-rotation")
        var options = ["-np", "2"]
        if ProcessInfo.processInfo.activeProcessorCount < 2 { options.append("--oversubscribe") }
        let result = try runProcess("/usr/bin/env", ["mpirun"] + options + [
            koineExecutable.path, "train", "--config", config, "--out", out, "--quiet",
            "--set", "game.augment.rotation=quarter_turns", "--set", "agents.rotation_task=sender",
            "--set", "train.multitask.mode=pcgrad"], environment: mpiEnvironment, timeout: 180)
        XCTAssertEqual(result.status, 0, result.standardError)
        let figures = try summary(out)
        XCTAssertEqual(figures["world_size"] as? Int, 2)
        XCTAssertNotNil(figures["rotation_accuracy"], "the summary carries the held-out rotation accuracy")
    }

    func testAResumedImageRunEndsExactlyAsAnUninterruptedOne() throws {
        try checkResume([], label: "plain")
        let full = path("full-plain")
        let lexicon = try String(contentsOfFile: full + "/lexicon.tsv", encoding: .utf8)
        XCTAssertTrue(lexicon.hasPrefix("rank\tspeaker\tobject\tattributes\tmessage\n"), lexicon)
        XCTAssertTrue(lexicon.contains("shape="), "held-out images are described by their drawn attributes")
    }

    func testAMissingDataSetIsOneLineAndExitTwo() throws {
        let out = path("never")
        let result = try runKoine(["train", "--config", config, "--out", out, "--quiet",
                                   "--set", "game.dataset=cifar10", "--set", "game.dataset_path=\(path("nowhere"))"], timeout: 60)
        XCTAssertEqual(result.status, 2)
        let lines = result.standardError.split(separator: "\n")
        XCTAssertEqual(lines.count, 1, result.standardError)
        XCTAssertTrue(result.standardError.contains("game.dataset_path") && result.standardError.contains("nowhere"), result.standardError)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out), "nothing is written for bad input")
        // Checks that need the data set: an encoder deeper than the images allow, too few held-out images.
        for (overrides, key) in [(["agents.visual.widths=[4, 4, 4, 4, 4, 4]"], "agents.visual.widths"),
                                 (["game.shapes.test=8"], "eval.images")] {
            let refused = try runKoine(["train", "--config", config, "--out", out, "--quiet"] + overrides.flatMap { ["--set", $0] },
                                       timeout: 60)
            XCTAssertEqual(refused.status, 2, refused.standardError)
            XCTAssertEqual(refused.standardError.split(separator: "\n").count, 1, refused.standardError)
            XCTAssertTrue(refused.standardError.contains(key), refused.standardError)
            XCTAssertFalse(FileManager.default.fileExists(atPath: out))
        }
    }
}

/// `koine pretrain` writes a weights file that a `pretrained` run reads, and
/// never overwrites one.
final class PretrainCommandTests: XCTestCase {
    func testPretrainWritesWeightsThatAPretrainedRunReads() throws {
        let directory = try ConfiguredDirectory("pretrain", config: ImageGameCommandTests.config)
        defer { directory.remove() }
        let config = directory.config
        let weights = directory.path("encoder.weights")
        let made = try runKoine(["pretrain", "--config", config, "--out", weights, "--epochs", "1", "--batch", "16", "--quiet"], timeout: 120)
        XCTAssertEqual(made.status, 0, made.standardError)
        XCTAssertTrue(made.standardError.contains("epoch 1: training loss"), made.standardError)
        XCTAssertTrue(FileManager.default.fileExists(atPath: weights))
        let again = try runKoine(["pretrain", "--config", config, "--out", weights, "--quiet"], timeout: 60)
        XCTAssertEqual(again.status, 2)
        XCTAssertTrue(again.standardError.contains("exists"), again.standardError)
        let run = directory.path("run")
        let trained = try runKoine(["train", "--config", config, "--out", run, "--quiet", "--set", "train.steps=20",
                                    "--set", "agents.visual.mode=pretrained", "--set", "agents.visual.weights=\(weights)"], timeout: 120)
        XCTAssertEqual(trained.status, 0, trained.standardError)
        let wrongShape = try runKoine(["train", "--config", config, "--out", directory.path("never"), "--quiet",
                                       "--set", "agents.visual.mode=pretrained", "--set", "agents.visual.weights=\(weights)",
                                       "--set", "agents.visual.widths=[4, 9]"], timeout: 60)
        XCTAssertEqual(wrongShape.status, 2)
        XCTAssertTrue(wrongShape.standardError.contains("agents.visual.weights"), wrongShape.standardError)
    }
}
