import Foundation
import KoineGame
import KoineTestSupport
import XCTest
@testable import KoineTrainer

/// The key table and what is derived from it: config.yaml, the identity,
/// JSON, the table of docs/configuration.md.
final class ConfigurationKeyTests: XCTestCase {
    func testTheTableIsConsistent() throws {
        let paths = Configuration.keys.map(\.path)
        XCTAssertEqual(Set(paths).count, paths.count, "each key once")
        XCTAssertTrue(Configuration.resumableKeys.isSubset(of: paths))
        let reader = ConfigurationReader(tree: .null, source: "table")
        for key in Configuration.keys {
            // Each default is a value its own key accepts.
            let written: ConfigurationTree = if case .integers(let numbers) = key.defaultValue {
                .sequence(numbers.map { .scalar(String($0)) })
            } else {
                .scalar(key.defaultValue.text)
            }
            XCTAssertEqual(try reader.parse(written, as: key), key.defaultValue, key.path)
        }
        // Each key fills a field of its own: setting one key changes no other.
        let defaults = try Configuration.parse("game: {}", source: "t")
        for key in Configuration.keys {
            guard let other = Self.value(of: key, otherThan: key.defaultValue) else { continue }
            var changed = defaults
            key.set(&changed, other)
            let moved = zip(defaults.settings, changed.settings).filter { $0.value != $1.value }.map(\.0.key)
            XCTAssertEqual(moved, [key.path])
        }
        // And every stored field has a key (`tree` is no key): the fields of
        // the sections, and of the structs within them, each count.
        let fields = Mirror(reflecting: defaults).children.filter { $0.label != "tree" }.reduce(0) { $0 + Self.fieldCount($1.value) }
        XCTAssertEqual(fields, Configuration.keys.count)
    }

    /// The stored fields in `value`: one, or those of its fields for a struct.
    static func fieldCount(_ value: Any) -> Int {
        let mirror = Mirror(reflecting: value)
        guard mirror.displayStyle == .struct else { return 1 }
        return mirror.children.reduce(0) { $0 + fieldCount($1.value) }
    }

    /// A value `key` accepts other than `value`, if it has one.
    static func value(of key: ConfigurationKey, otherThan value: ConfigurationValue) -> ConfigurationValue? {
        switch (key.kind, value) {
        case (.choice(let options), _): return options.first { .text($0) != value }.map { .text($0) }
        case (_, .integer(let number)): return .integer(number + 1)
        case (_, .real(let number)): return .real(number + 0.5)
        case (_, .boolean(let flag)): return .boolean(!flag)
        case (_, .text(let text)): return .text(text + "x")
        case (_, .integers(let numbers)): return .integers(numbers + [2])
        }
    }

    /// Checkpoints store the identity: these were computed before the key
    /// table existed, from the template that config.yaml was then.
    func testIdentitiesAreThoseOfEarlierVersions() throws {
        // The Li & Bowling configs changed on purpose (their model's options), so
        // only quick.yaml and the defaults are pinned.
        let identities: [(String, UInt64)] = [("quick.yaml", 9_594_808_161_034_880_469)]
        for (name, identity) in identities {
            let configuration = try Configuration.load(file: packageDirectory.appendingPathComponent("configs/\(name)").path)
            XCTAssertEqual(configuration.identity, identity, name)
        }
        XCTAssertEqual(try Configuration.parse("game: {}", source: "t").identity, 9_117_968_250_462_919_399)
        // Keys added later count as soon as they leave their defaults.
        // The pbt section, off by default, leaves the identity as it was until a key of it is set.
        for added in ["agents.symbol_input=one_hot", "population.reset.speaker_optimizer=true", "pbt.initial=configured",
                      "pbt.learning_rate.maximum=0.01"] {
            XCTAssertNotEqual(try Configuration.parse("game: {}", source: "t", overrides: [added]).identity,
                              9_117_968_250_462_919_399, added)
        }
    }

    /// config.yaml keeps its layout: sections in blocks, small groups and lists in flow style.
    func testTheDefaultsResolveAsBefore() throws {
        XCTAssertEqual(try Configuration.parse("game: {}", source: "t").yaml, """
            seed: 1
            game:
              kind: attributes
              dataset: shapes
              dataset_path: ''
              shapes: {train: 10000, test: 2000}
              augment: {noise: 0.0, rotation: none}
              attributes: [8, 4]
              holdout: 0
              candidates: 5
              vocab: 8
              message_length: 2
              variable_length: false
            agents:
              cell: lstm
              symbol_input: embedding
              hidden: 100
              channel: reinforce
              entropy: 0.1
              temperature: 1.0
              baseline: mean
              encoder: shared
              listener_loss: cross_entropy
              visual: {mode: learned, widths: [32, 64, 128], convolutions: 2, batch_norm: true, weights: ''}
              rotation_task: none
            population:
              speakers: 1
              listeners: 1
              pairing: all
              cross_rank: 0.0
              reset:
                listeners: {mode: none, every: 0}
                speakers: {mode: none, every: 0}
                speaker_optimizer: false
            train:
              steps: 300000
              batch: 100
              optimizer: {kind: adam, lr: 0.001, momentum: 0.9, clip: 0.0}
              multitask: {mode: fixed, game_weight: 1.0, rotation_weight: 1.0, measure_every: 10}
              log_every: 1000
              check_every: 1000
              checkpoint: {every: 10000, keep: 3}
            eval:
              every: 6000
              distance: cosine
              images: 2048
              interactions: 0
              ease_of_teaching: {every: 60000, listeners: 30, steps: 1000, choices: greedy, entropy: 0.1}
            pbt:
              every: 0
              fitness: accuracy
              better: higher
              exploit: truncation
              fraction: 0.25
              explore: perturb
              perturb: {down: 0.8, up: 1.2}
              resample_probability: 0.25
              initial: sampled
              learning_rate: {minimum: 0.0, maximum: 0.0}
              entropy: {minimum: 0.0, maximum: 0.0}
              temperature: {minimum: 0.0, maximum: 0.0}
              reset_period: {minimum: 0, maximum: 0}
            telemetry:
              endpoint: tcp://127.0.0.1:5557
              every: 100

            """)
    }

    /// Values that YAML reads otherwise when written bare are quoted in
    /// config.yaml, so the file reads back to the same configuration.
    func testAwkwardTextRoundTrips() throws {
        for endpoint in ["ipc:///tmp/x:", "ipc:///tmp/a:b", "ipc:///tmp/a#b", "ipc:///tmp/{x}", "ipc:///tmp/[x],y",
                         "ipc:///tmp/'x'\"y", "ipc:///tmp/x%", "ipc:///tmp/ü", "ipc:///tmp/&x", "tcp://[::1]:5557"] {
            let given = try Configuration.parse("game: {}", source: "t", overrides: ["telemetry.endpoint=\(Self.quoted(endpoint))"])
            XCTAssertEqual(given.telemetry.endpoint, endpoint)
            let resolved = try Configuration.parse(given.yaml, source: "config.yaml")
            XCTAssertEqual(resolved.telemetry.endpoint, endpoint, given.yaml)
            XCTAssertEqual(resolved.yaml, given.yaml)
            XCTAssertEqual(resolved.identity, given.identity)
        }
        // Resuming rewrites config.yaml with the endpoint it is given, and reads it back.
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("koine-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let stored = try Configuration.parse("game: {}\ntelemetry: {endpoint: 'ipc:///tmp/x:'}", source: "t")
        try stored.yaml.write(to: directory.appendingPathComponent("config.yaml"), atomically: true, encoding: .utf8)
        let resumed = try Resume.configuration(run: directory.path, config: nil, overrides: [])
        XCTAssertEqual(resumed.telemetry.endpoint, "ipc:///tmp/x:")
    }

    /// `text` as a YAML single-quoted scalar.
    static func quoted(_ text: String) -> String {
        "'" + text.replacingOccurrences(of: "'", with: "''") + "'"
    }

    /// Today's 100,000 unknown keys took 59 s when each was compared with every
    /// known key. The YAML limits now refuse that many before a tree is built;
    /// as many as they allow are still checked in linear time.
    func testManyUnknownKeysAreRejectedQuickly() throws {
        let yaml = "game: {}\n" + (0..<100_000).map { "key\($0): 1\n" }.joined()
        let started = Date()
        XCTAssertThrowsError(try Configuration.parse(yaml, source: "many.yaml")) { error in
            XCTAssertEqual((error as? ConfigurationError)?.message, "many.yaml: 1188899 bytes of YAML; a configuration may hold at most 1048576 (1 MiB)")
        }
        let allowed = "game: {}\n" + (0..<4_900).map { "key\($0): 1\n" }.joined()
        XCTAssertThrowsError(try Configuration.parse(allowed, source: "many.yaml")) { error in
            XCTAssertEqual((error as? ConfigurationError)?.message, "many.yaml: unknown key key0")
        }
        XCTAssertLessThan(Date().timeIntervalSince(started), 15, "linear in the number of keys")
        // Within one section, and with the typo found.
        let section = "game: {}\ntrain:\n" + (0..<4_900).map { "  key\($0): 1\n" }.joined() + "  stepz: 3\n"
        XCTAssertThrowsError(try Configuration.parse(section, source: "many.yaml"))
    }

    func testMessagesQuoteHugeInputShort() {
        let huge = String(repeating: "x", count: 1_000_000)
        for yaml in ["game: {vocab: \(huge)}", "game: {}\n\(huge): 1", "game: {}\ntelemetry: {endpoint: \(huge)}",
                     "game: {}\nagents: {entropy: \(huge)}", "game: {}\ngame2: {\(huge): 1}"] {
            XCTAssertThrowsError(try Configuration.parse(yaml, source: "huge.yaml")) { error in
                let message = (error as? ConfigurationError)?.message ?? "\(error)"
                XCTAssertLessThan(message.count, 300, String(message.prefix(300)))
            }
        }
    }

    /// The JSON of `run_started` types each value by its key, not by its look.
    func testJSONTypesValuesByTheirKeys() throws {
        let tree = try Configuration.parse("""
            game: {vocab: 6, variable_length: yes, attributes: [3, 3]}
            agents: {temperature: 2, cell: gru}
            telemetry: {endpoint: none}
            eval: {}
            """, source: "t").tree
        XCTAssertEqual(ConfigurationJSON.value(of: tree), .object([
            ("game", .object([("vocab", .int(6)), ("variable_length", .bool(true)), ("attributes", .array([.int(3), .int(3)]))])),
            ("agents", .object([("temperature", .double(2)), ("cell", .string("gru"))])),
            ("telemetry", .object([("endpoint", .string("none"))])),
            ("eval", .object([])),
        ]))
    }

    /// `AgentSettings` has defaults of its own (in KoineGame); they must be the table's.
    func testAgentSettingsDefaultsAreTheTables() throws {
        let resolved = try Configuration.parse("game: {}", source: "t").agentSettings
        let own = AgentSettings()
        XCTAssertEqual(resolved.vocabulary, own.vocabulary)
        XCTAssertEqual(resolved.messageLength, own.messageLength)
        XCTAssertEqual(resolved.variableLength, own.variableLength)
        XCTAssertEqual(resolved.cell, own.cell)
        XCTAssertEqual(resolved.hidden, own.hidden)
        XCTAssertEqual(resolved.channel, own.channel)
        XCTAssertEqual(resolved.entropy, own.entropy)
        XCTAssertEqual(resolved.temperature, own.temperature)
        XCTAssertEqual(resolved.baseline, own.baseline)
        XCTAssertEqual(resolved.optimizer.kind, own.optimizer.kind)
        XCTAssertEqual(resolved.optimizer.learningRate, own.optimizer.learningRate)
        XCTAssertEqual(resolved.optimizer.momentum, own.optimizer.momentum)
        XCTAssertEqual(resolved.optimizer.clip, own.optimizer.clip)
    }
}
