import Foundation
import KoineGame
import KoineTestSupport
import XCTest
@testable import KoineTrainer

final class ConfigurationTests: XCTestCase {
    func testDefaultsAreFilledIn() throws {
        let c = try Configuration.parse("game: {kind: attributes}", source: "min.yaml")
        XCTAssertEqual(c.seed, 1)
        XCTAssertEqual(c.game.kind, .attributes)
        XCTAssertEqual(c.game.objects.attributes, [8, 4])
        XCTAssertEqual(c.game.objects.holdout, 0)
        XCTAssertEqual(c.game.candidates, 5)
        XCTAssertEqual(c.game.vocabulary, 8)
        XCTAssertEqual(c.game.messageLength, 2)
        XCTAssertFalse(c.game.variableLength)
        XCTAssertEqual(c.agents.cell, .lstm)
        XCTAssertEqual(c.agents.hidden, 100)
        XCTAssertEqual(c.agents.channel, .reinforce)
        XCTAssertEqual(c.agents.entropy, 0.1)
        XCTAssertEqual(c.agents.temperature, 1)
        XCTAssertEqual(c.agents.encoder, .shared)
        XCTAssertEqual(c.population.speakers, 1)
        XCTAssertEqual(c.population.listeners, 1)
        XCTAssertEqual(c.population.pairing, .all)
        XCTAssertEqual(c.population.crossRank, 0)
        XCTAssertEqual(c.train.steps, 300_000)
        XCTAssertEqual(c.train.batch, 100)
        XCTAssertEqual(c.train.optimizer, .adam)
        XCTAssertEqual(c.train.learningRate, 0.001)
        XCTAssertEqual(c.train.clip, 0)
        XCTAssertEqual(c.train.checkpointEvery, 10_000)
        XCTAssertEqual(c.train.checkpointKeep, 3)
        XCTAssertEqual(c.eval.every, 6000)
        XCTAssertEqual(c.eval.distance, .cosine)
        XCTAssertEqual(c.eval.easeEvery, 60_000)
        XCTAssertEqual(c.eval.easeListeners, 30)
        XCTAssertEqual(c.eval.easeSteps, 1000)
        XCTAssertEqual(c.telemetry.endpoint, "tcp://127.0.0.1:5557")
        XCTAssertEqual(c.telemetry.every, 100)
        // `game` alone, even empty, is enough.
        XCTAssertEqual(try Configuration.parse("game: {}", source: "t").game.objects.attributes, [8, 4])
        XCTAssertEqual(try Configuration.parse("game:\n", source: "t").game.vocabulary, 8)
    }

    /// Every key the reader knows, as the resolved YAML writes it.
    static let everyKey = Set(Configuration.keys.map(\.path))

    func assertSameValues(_ a: Configuration, _ b: Configuration, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.yaml, b.yaml, file: file, line: line)
        XCTAssertEqual(a.seed, b.seed, file: file, line: line)
        XCTAssertEqual(a.game.objects.attributes, b.game.objects.attributes, file: file, line: line)
        XCTAssertEqual(a.train.learningRate, b.train.learningRate, file: file, line: line)
        XCTAssertEqual(a.agents.entropy, b.agents.entropy, file: file, line: line)
        XCTAssertEqual(a.agents.temperature, b.agents.temperature, file: file, line: line)
        XCTAssertEqual(a.population.crossRank, b.population.crossRank, file: file, line: line)
        XCTAssertEqual(a.train.momentum, b.train.momentum, file: file, line: line)
        XCTAssertEqual(a.train.clip, b.train.clip, file: file, line: line)
        XCTAssertEqual(a.population.listenerReset, b.population.listenerReset, file: file, line: line)
        XCTAssertEqual(a.population.speakerReset, b.population.speakerReset, file: file, line: line)
        XCTAssertEqual(a.telemetry.endpoint, b.telemetry.endpoint, file: file, line: line)
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
        XCTAssertEqual(custom.game.objects.attributes, [3, 5, 2])
        XCTAssertEqual(custom.agents.cell, .gru)
        XCTAssertEqual(custom.population.pairing, .roundRobin)
        XCTAssertEqual(custom.population.listenerReset, ResetSettings(mode: .staggered, every: 600))
        XCTAssertEqual(custom.train.learningRate, 0.0003)
        XCTAssertEqual(custom.eval.distance, .hamming)
        XCTAssertEqual(custom.telemetry.endpoint, "none")
        XCTAssertEqual(try Configuration.parse(sources[2], source: "t").train.learningRate, 1e-4)
    }

    func testOverridesApply() throws {
        let c = try Configuration.parse("game: {vocab: 4}\ntrain: {steps: 10}", source: "t", overrides: [
            "train.steps=42", "game.attributes=[3, 3]", "agents.channel=gumbel", "population.reset.listeners={mode: sequential, every: 7}",
            "eval.ease_of_teaching.steps=9", "game.vocab=6",
        ])
        XCTAssertEqual(c.train.steps, 42)
        XCTAssertEqual(c.game.objects.attributes, [3, 3])
        XCTAssertEqual(c.agents.channel, .gumbel)
        XCTAssertEqual(c.population.listenerReset, ResetSettings(mode: .sequential, every: 7))
        XCTAssertEqual(c.eval.easeSteps, 9)
        XCTAssertEqual(c.game.vocabulary, 6)
        // The later override wins.
        XCTAssertEqual(try Configuration.parse("game: {}", source: "t", overrides: ["seed=3", "seed=4"]).seed, 4)
        // An override can supply the missing game.
        XCTAssertEqual(try Configuration.parse("seed: 2", source: "t", overrides: ["game.vocab=5"]).game.vocabulary, 5)
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

    /// pbt's keys shape nothing while its rounds are off: each one set says so, in one line.
    func testPBTKeysWithoutRoundsWarn() throws {
        let idle = try Configuration.parse("game: {}\npbt: {fitness: topsim, learning_rate: {maximum: 0.01}}", source: "t")
        XCTAssertEqual(idle.warnings, ["pbt.fitness: pbt.every is 0 (no population-based training), so it has no effect",
                                       "pbt.learning_rate.maximum: pbt.every is 0 (no population-based training), so it has no effect"])
        let on = try Configuration.parse("game: {}\nagents: {encoder: private}\neval: {every: 50}\npbt: {every: 100, fitness: topsim}", source: "t")
        XCTAssertEqual(on.warnings, [])
        XCTAssertTrue(on.pbt.isOn)
        // Rounds less often than the run is long: no round at all, said in one line (silent before).
        let late = try Configuration.parse("game: {}\nagents: {encoder: private}\neval: {every: 50}\ntrain: {steps: 600}\npbt: {every: 1000}", source: "t")
        XCTAssertEqual(late.warnings, ["pbt.every: a round every 1000 steps is longer than the run (train.steps 600); no population-based training round will happen"])
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
        XCTAssertEqual(reset.population.listeners, 1)
        XCTAssertEqual(reset.train.steps / max(reset.population.listenerReset.every, 1), 50, "50 resets over the run")
        let staggered = try Configuration.load(file: packageDirectory.appendingPathComponent("configs/li-bowling/population-staggered.yaml").path)
        XCTAssertEqual(staggered.population.listeners, 10)
        XCTAssertEqual(staggered.population.listenerReset.mode, .staggered)
        // Mihai & Hare's multi-task models, as they trained them.
        let sender = try Configuration.load(file: packageDirectory.appendingPathComponent("configs/mihai-hare/sender-predicts.yaml").path)
        XCTAssertEqual([sender.agents.rotationTask.rawValue, sender.train.multitask.rawValue], ["sender", "fixed"])
        XCTAssertEqual([sender.train.gameWeight, sender.train.rotationWeight], [1, 0.5])
        let receiver = try Configuration.load(file: packageDirectory.appendingPathComponent("configs/mihai-hare/receiver-predicts.yaml").path)
        XCTAssertEqual([receiver.agents.rotationTask.rawValue, receiver.train.multitask.rawValue], ["receiver", "alternating"])
        XCTAssertEqual([receiver.train.gameWeight, receiver.train.rotationWeight], [1, 5])
        XCTAssertEqual(receiver.game.images.augmentRotation, .quarterTurns)
    }
}
