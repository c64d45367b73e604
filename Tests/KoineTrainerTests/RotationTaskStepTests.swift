import KoineGame
import KoineTensor
import XCTest
@testable import KoineTrainer

/// The rotation task's one-pass step (the losses' weighted sum backward at
/// once) is an exact shortcut of the step that computes the two gradients
/// apart and combines them: after one plain-SGD step from the same state,
/// every parameter agrees, for each side and each weighting that takes it.
final class RotationTaskStepTests: XCTestCase {
    func population(side: String, mode: String, measureEvery: Int) throws -> Population {
        let configuration = try Configuration.parse("""
            seed: 2
            game: {kind: images, dataset: shapes, shapes: {train: 200, test: 32}, candidates: 16, vocab: 6,
                   message_length: 3, variable_length: true, augment: {noise: 0.05, rotation: quarter_turns}}
            agents: {hidden: 16, channel: gumbel, listener_loss: hinge, rotation_task: \(side),
                     visual: {mode: learned, widths: [4, 8], convolutions: 1, batch_norm: true}}
            train: {batch: 16, optimizer: {kind: sgd, lr: 0.5, momentum: 0},
                    multitask: {mode: \(mode), game_weight: 0.7, rotation_weight: 1.3, measure_every: \(measureEvery)}}
            eval: {images: 32}
            telemetry: {endpoint: none}
            """, source: "test")
        return try Population(configuration: configuration, random: Random(seed: 2))
    }

    func testOnePassEqualsTheCombinationOfTheTasksApart() throws {
        for (side, mode) in [("sender", "fixed"), ("receiver", "fixed"), ("sender", "uncertainty"), ("receiver", "alternating")] {
            let apart = try population(side: side, mode: mode, measureEvery: 1)
            let together = try population(side: side, mode: mode, measureEvery: 1_000)
            // Step 2: not a measuring step for the second, a game step for `alternating`.
            let measured = try apart.trainStep(2).figures, fused = try together.trainStep(2).figures
            XCTAssertEqual(measured.cosineSteps, 1, "\(side) \(mode): the apart step measures the cosine")
            XCTAssertEqual(fused.cosineSteps, 0, "\(side) \(mode): the one-pass step does not")
            var compared = 0
            for ((name, left), (_, right)) in zip(apart.modules, together.modules) {
                let a = left.parameters, b = right.parameters
                for i in 0..<a.count {
                    let tolerance = 1e-5 + 1e-4 * abs(a.values[i])
                    XCTAssertEqual(a.values[i], b.values[i], accuracy: tolerance, "\(side) \(mode): \(name) value \(i)")
                    if abs(a.values[i] - b.values[i]) > tolerance { break }
                }
                compared += 1
            }
            XCTAssertEqual(compared, apart.modules.count)
            XCTAssertGreaterThanOrEqual(compared, 4, "speaker, listener, encoder and the rotation head")
        }
    }

    /// With private encoders, only the speaker's encoder encodes the
    /// augmented view; a listener's encodes its scene alone.
    func testOnlyTheSpeakersEncodersSeeTheSendersView() throws {
        let configuration = try Configuration.parse("""
            game: {kind: images, dataset: shapes, shapes: {train: 200, test: 32}, candidates: 16, vocab: 6,
                   augment: {noise: 0.1}}
            agents: {hidden: 16, channel: gumbel, encoder: private, visual: {mode: learned, widths: [4], convolutions: 1}}
            population: {listeners: 2}
            train: {batch: 16}
            eval: {images: 32}
            telemetry: {endpoint: none}
            """, source: "test")
        let population = try Population(configuration: configuration, random: Random(seed: 1))
        _ = try population.trainStep(0)
        let speaker = try XCTUnwrap(population.speakers[0].encoder as? VisualEncoder)
        XCTAssertEqual(speaker.augmentedRows, 16..<32)
        for listener in population.listeners {
            let encoder = try XCTUnwrap(listener.encoder as? VisualEncoder)
            XCTAssertEqual(encoder.augmentedRows, 0..<0)
            XCTAssertEqual(encoder.batch, 16)
        }
    }

    /// train.multitask's keys that cannot act are named in a warning.
    func testMultitaskKeysWithoutEffectAreWarnedAbout() throws {
        let plain = try Configuration.parse("game: {kind: images}\ntrain: {multitask: {mode: pcgrad}}", source: "test")
        XCTAssertTrue(plain.warnings.contains { $0.hasPrefix("train.multitask.mode: agents.rotation_task is none") }, "\(plain.warnings)")
        let learned = try Configuration.parse("""
            game: {kind: images, augment: {rotation: quarter_turns}}
            agents: {channel: gumbel, rotation_task: sender}
            train: {multitask: {mode: uncertainty, rotation_weight: 5}}
            """, source: "test")
        XCTAssertEqual(learned.warnings, ["train.multitask.rotation_weight: mode uncertainty learns the weights, so it has no effect"])
    }
}
