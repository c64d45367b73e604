import Foundation
import KoineGame
import KoineTestSupport
import XCTest
@testable import KoineTrainer

final class ConfigurationTests: XCTestCase {
    func testDefaultsAreFilledIn() throws {
        let c = try Configuration.parse("game: {kind: attributes}", source: "min.yaml")
        XCTAssertEqual(c.seed, 1)
        XCTAssertEqual(c.game, .attributes)
        XCTAssertEqual(c.attributes, [8, 4])
        XCTAssertEqual(c.holdout, 0)
        XCTAssertEqual(c.candidates, 5)
        XCTAssertEqual(c.vocabulary, 8)
        XCTAssertEqual(c.messageLength, 2)
        XCTAssertFalse(c.variableLength)
        XCTAssertEqual(c.cell, .lstm)
        XCTAssertEqual(c.hidden, 100)
        XCTAssertEqual(c.channel, .reinforce)
        XCTAssertEqual(c.entropy, 0.1)
        XCTAssertEqual(c.temperature, 1)
        XCTAssertEqual(c.encoder, .shared)
        XCTAssertEqual(c.speakers, 1)
        XCTAssertEqual(c.listeners, 1)
        XCTAssertEqual(c.pairing, .all)
        XCTAssertEqual(c.crossRank, 0)
        XCTAssertEqual(c.steps, 300_000)
        XCTAssertEqual(c.batch, 100)
        XCTAssertEqual(c.optimizer, .adam)
        XCTAssertEqual(c.learningRate, 0.001)
        XCTAssertEqual(c.clip, 0)
        XCTAssertEqual(c.checkpointEvery, 10_000)
        XCTAssertEqual(c.checkpointKeep, 3)
        XCTAssertEqual(c.evalEvery, 6000)
        XCTAssertEqual(c.distance, .cosine)
        XCTAssertEqual(c.easeEvery, 60_000)
        XCTAssertEqual(c.easeListeners, 30)
        XCTAssertEqual(c.easeSteps, 1000)
        XCTAssertEqual(c.telemetryEndpoint, "tcp://127.0.0.1:5557")
        XCTAssertEqual(c.telemetryEvery, 100)
        // `game` alone, even empty, is enough.
        XCTAssertEqual(try Configuration.parse("game: {}", source: "t").attributes, [8, 4])
        XCTAssertEqual(try Configuration.parse("game:\n", source: "t").vocabulary, 8)
    }

    /// Every key the reader knows, as the resolved YAML writes it.
    static let everyKey = Set(Configuration.keys.map(\.path))

    func assertSameValues(_ a: Configuration, _ b: Configuration, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.yaml, b.yaml, file: file, line: line)
        XCTAssertEqual(a.seed, b.seed, file: file, line: line)
        XCTAssertEqual(a.attributes, b.attributes, file: file, line: line)
        XCTAssertEqual(a.learningRate, b.learningRate, file: file, line: line)
        XCTAssertEqual(a.entropy, b.entropy, file: file, line: line)
        XCTAssertEqual(a.temperature, b.temperature, file: file, line: line)
        XCTAssertEqual(a.crossRank, b.crossRank, file: file, line: line)
        XCTAssertEqual(a.momentum, b.momentum, file: file, line: line)
        XCTAssertEqual(a.clip, b.clip, file: file, line: line)
        XCTAssertEqual(a.listenerReset, b.listenerReset, file: file, line: line)
        XCTAssertEqual(a.speakerReset, b.speakerReset, file: file, line: line)
        XCTAssertEqual(a.telemetryEndpoint, b.telemetryEndpoint, file: file, line: line)
    }

    func testResolvedYAMLRoundTrips() throws {
        let sources = [
            "game: {}",
            """
            seed: 42
            game: {attributes: [3, 5, 2], holdout: 4, candidates: 7, vocab: 11, message_length: 3, variable_length: true}
            agents: {cell: gru, hidden: 17, channel: gumbel, entropy: 0.05, temperature: 0.7, baseline: none, encoder: private}
            population:
              speakers: 2
              listeners: 10
              pairing: round_robin
              cross_rank: 0.25
              reset:
                listeners: {mode: staggered, every: 600}
                speakers: {mode: simultaneous, every: 900}
            train: {steps: 1200, batch: 33, optimizer: {kind: sgd, lr: 0.0003, momentum: 0.5, clip: 2.5}, log_every: 7, check_every: 3, checkpoint: {every: 0, keep: 2}}
            eval: {every: 100, distance: hamming, ease_of_teaching: {every: 600, listeners: 3, steps: 25}}
            telemetry: {endpoint: none, every: 0}
            """,
            "game: {}\ntelemetry: {endpoint: 'ipc:///tmp/koine.sock'}\ntrain: {optimizer: {lr: 1e-4}}",
        ]
        for source in sources {
            let first = try Configuration.parse(source, source: "in.yaml")
            let resolved = first.yaml
            let second = try Configuration.parse(resolved, source: "config.yaml")
            assertSameValues(first, second)
            // The resolved file names every key, and nothing else.
            XCTAssertEqual(Set(second.tree.leafPaths), Self.everyKey, "resolved YAML of \(source)")
        }
        let custom = try Configuration.parse(sources[1], source: "in.yaml")
        XCTAssertEqual(custom.attributes, [3, 5, 2])
        XCTAssertEqual(custom.cell, .gru)
        XCTAssertEqual(custom.pairing, .roundRobin)
        XCTAssertEqual(custom.listenerReset, ResetSettings(mode: .staggered, every: 600))
        XCTAssertEqual(custom.learningRate, 0.0003)
        XCTAssertEqual(custom.distance, .hamming)
        XCTAssertEqual(custom.telemetryEndpoint, "none")
        XCTAssertEqual(try Configuration.parse(sources[2], source: "t").learningRate, 1e-4)
    }

    func testOverridesApply() throws {
        let c = try Configuration.parse("game: {vocab: 4}\ntrain: {steps: 10}", source: "t", overrides: [
            "train.steps=42", "game.attributes=[3, 3]", "agents.channel=gumbel", "population.reset.listeners={mode: sequential, every: 7}",
            "eval.ease_of_teaching.steps=9", "game.vocab=6",
        ])
        XCTAssertEqual(c.steps, 42)
        XCTAssertEqual(c.attributes, [3, 3])
        XCTAssertEqual(c.channel, .gumbel)
        XCTAssertEqual(c.listenerReset, ResetSettings(mode: .sequential, every: 7))
        XCTAssertEqual(c.easeSteps, 9)
        XCTAssertEqual(c.vocabulary, 6)
        // The later override wins.
        XCTAssertEqual(try Configuration.parse("game: {}", source: "t", overrides: ["seed=3", "seed=4"]).seed, 4)
        // An override can supply the missing game.
        XCTAssertEqual(try Configuration.parse("seed: 2", source: "t", overrides: ["game.vocab=5"]).vocabulary, 5)
    }

    /// Each bad configuration gives one line naming the key (or file) at fault.
    func testBadConfigurationsNameTheKey() {
        for (yaml, overrides, expected) in BadConfigurations.cases {
            do {
                let c = try Configuration.parse(yaml, source: "bad.yaml", overrides: overrides)
                XCTFail("accepted \(yaml.debugDescription) with \(overrides): \(c.yaml)")
            } catch let error as ConfigurationError {
                XCTAssertFalse(error.message.contains("\n"), "one line: \(error.message.debugDescription)")
                for fragment in expected {
                    XCTAssertTrue(error.message.contains(fragment),
                                  "\(yaml.debugDescription) \(overrides): \(error.message.debugDescription) does not mention \(fragment)")
                }
            } catch {
                XCTFail("\(yaml.debugDescription): not a ConfigurationError: \(error)")
            }
        }
    }

    func testMissingFileNamesTheFile() {
        let path = "/nonexistent/koine-\(UUID().uuidString).yaml"
        XCTAssertThrowsError(try Configuration.load(file: path)) { error in
            let message = (error as? ConfigurationError)?.message ?? "\(error)"
            XCTAssertTrue(message.contains(path), message)
        }
    }

    func testTheShippedConfigsParse() throws {
        for name in ["quick.yaml", "li-bowling/no-reset.yaml", "li-bowling/reset.yaml", "li-bowling/population-no-reset.yaml",
                     "li-bowling/population-staggered.yaml", "li-bowling/population-simultaneous.yaml", "images/quick.yaml",
                     "mihai-hare/learned.yaml", "mihai-hare/frozen-random.yaml", "mihai-hare/pretrained.yaml",
                     "mihai-hare/sender-predicts.yaml", "mihai-hare/receiver-predicts.yaml", "reconstruction.yaml"] {
            let path = packageDirectory.appendingPathComponent("configs/\(name)").path
            let c = try Configuration.load(file: path)
            XCTAssertEqual(try Configuration.parse(c.yaml, source: "resolved").yaml, c.yaml, name)
        }
        let reset = try Configuration.load(file: packageDirectory.appendingPathComponent("configs/li-bowling/reset.yaml").path)
        XCTAssertEqual(reset.listeners, 1)
        XCTAssertEqual(reset.steps / max(reset.listenerReset.every, 1), 50, "50 resets over the run")
        let staggered = try Configuration.load(file: packageDirectory.appendingPathComponent("configs/li-bowling/population-staggered.yaml").path)
        XCTAssertEqual(staggered.listeners, 10)
        XCTAssertEqual(staggered.listenerReset.mode, .staggered)
        // Mihai & Hare's multi-task models, as they trained them.
        let sender = try Configuration.load(file: packageDirectory.appendingPathComponent("configs/mihai-hare/sender-predicts.yaml").path)
        XCTAssertEqual([sender.rotationTask.rawValue, sender.multitask.rawValue], ["sender", "fixed"])
        XCTAssertEqual([sender.gameWeight, sender.rotationWeight], [1, 0.5])
        let receiver = try Configuration.load(file: packageDirectory.appendingPathComponent("configs/mihai-hare/receiver-predicts.yaml").path)
        XCTAssertEqual([receiver.rotationTask.rawValue, receiver.multitask.rawValue], ["receiver", "alternating"])
        XCTAssertEqual([receiver.gameWeight, receiver.rotationWeight], [1, 5])
        XCTAssertEqual(receiver.augmentRotation, .quarterTurns)
    }
}
