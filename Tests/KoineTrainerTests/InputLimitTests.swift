import Foundation
import KoineTensor
import KoineTestSupport
import XCTest
@testable import KoineTrainer

/// Issue 13, items 5, 7 and 9: sizes, YAML and checkpoints trusted from input
/// are bounded before anything is allocated; endpoints a trainer cannot reach
/// are refused when the configuration is read.
final class InputLimitTests: XCTestCase {
    func refusal(_ yaml: String, overrides: [String] = []) -> String {
        do {
            _ = try Configuration.parse(yaml, source: "big.yaml", overrides: overrides)
            return "accepted"
        } catch let error as ConfigurationError {
            XCTAssertFalse(error.message.contains("\n"), error.message)
            XCTAssertLessThanOrEqual(error.message.count, 400, error.message)
            return error.message
        } catch {
            return "not a ConfigurationError: \(error)"
        }
    }

    /// The exact inputs against a machine of 64 GiB: each is refused
    /// with its estimate, which stays a positive, short figure however big.
    func testTheEstimateRefusesWhatTheMachineCannotHold() throws {
        let machine = 64.0 * 1024 * 1024 * 1024
        for (yaml, fragment) in [
            ("game: {}\nagents: {hidden: 65536}", "agents.hidden 65536"),
            ("game: {vocab: 1000000000000}", "game.vocab 1000000000000"),
            ("game: {attributes: [100000, 100000, 1000]}", "10000000000000 objects"),
            ("game: {}\npopulation: {speakers: 10000, listeners: 10000}\ntrain: {batch: 1000000}", "train.batch 1000000"),
            ("game: {attributes: [9223372036854775807, 9223372036854775807, 9223372036854775807]}", "7.85e+56 objects"),
            // Hardening II: the visual encoder counts (a 360 GB allocation before).
            ("game: {kind: images}\nagents: {visual: {widths: [100000, 100000]}}", "agents.visual.widths [100000, 100000]"),
            ("game: {kind: images}\nagents: {visual: {widths: [4096, 4096, 4096, 4096], convolutions: 16}}", "agents.visual.widths [4096, 4096, 4096, 4096]"),
        ] {
            var c = try Configuration.parse("game: {}", source: "t")
            let tree = try ConfigurationTree.parse(yaml, source: "t")
            let reader = ConfigurationReader(tree: tree, source: "t")
            for key in Configuration.keys { key.set(&c, try reader.value(of: key)) }
            let problem = try XCTUnwrap(MemoryEstimate(c).problem(c, source: "big.yaml", available: machine), yaml)
            XCTAssertTrue(problem.contains(fragment), problem)
            XCTAssertTrue(problem.contains("but this process may use 64 GiB"), problem)
            XCTAssertFalse(problem.contains("-"), "no overflowed figure: \(problem)")
            XCTAssertLessThanOrEqual(problem.count, 300, problem)
        }
    }

    /// Every shipped configuration and the defaults fit in a small machine.
    func testValidConfigurationsFitInTwoGigabytes() throws {
        for name in ["quick.yaml", "li-bowling/no-reset.yaml", "li-bowling/population-staggered.yaml", "images/quick.yaml",
                     "mihai-hare/learned.yaml", "mihai-hare/frozen-random.yaml"] {
            let c = try Configuration.load(file: packageDirectory.appendingPathComponent("configs/\(name)").path)
            XCTAssertNil(MemoryEstimate(c).problem(c, source: name, available: 2 * 1024 * 1024 * 1024), name)
        }
    }

    func testAliasesAndAnchorsAreRefusedBeforeExpansion() {
        XCTAssertTrue(refusal(BadConfigurations.billionLaughs).contains("big.yaml: line 1: YAML anchors and aliases are not supported"))
        XCTAssertTrue(refusal("game: {vocab: &v 8, message_length: *v}").contains("line 1: YAML anchors and aliases"))
        XCTAssertTrue(refusal("game: {}\nagents:\n  hidden: *missing").contains("line 3: YAML anchors and aliases"))
        XCTAssertTrue(refusal("game: {}", overrides: ["agents.hidden=&h 8"]).contains("--set agents.hidden: line 1"))
        // Text that only looks like an anchor is a value like any other.
        XCTAssertTrue(refusal("game: {}\ntelemetry: {endpoint: 'ipc:///tmp/&a*b'}").contains("accepted"))
    }

    func testSizeDepthAndNodeLimits() throws {
        XCTAssertTrue(refusal("game: {}\nx: [" + String(repeating: "1, ", count: 400_000) + "1]").contains("bytes of YAML; a configuration may hold at most 1048576"))
        XCTAssertTrue(refusal("game: {}\nx: " + String(repeating: "[", count: 33) + String(repeating: "]", count: 33)).contains("nested more than 32 levels"))
        XCTAssertTrue(refusal("game: {}\nx: " + String(repeating: "{a: ", count: 31) + "1" + String(repeating: "}", count: 31)).contains("unknown key x"), "31 levels below the top are allowed")
        XCTAssertTrue(refusal("game: {}\n" + (0..<100_000).map { "k\($0): 1" }.joined(separator: "\n")).contains("more than 10000 YAML values"))
        XCTAssertTrue(refusal("game: {}\n" + (0..<4_000).map { "k\($0): 1" }.joined(separator: "\n")).contains("unknown key k0"), "8,000 values are allowed")
        // A file over the limit is refused from its size, before it is read.
        let directory = try makeTemporaryDirectory("limits")
        defer { try? FileManager.default.removeItem(at: directory) }
        let big = directory.appendingPathComponent("big.yaml").path
        XCTAssertTrue(FileManager.default.createFile(atPath: big, contents: nil))
        XCTAssertEqual(truncate(big, 50 << 20), 0)
        XCTAssertThrowsError(try Configuration.load(file: big)) { error in
            XCTAssertEqual("\(error)", "\(big): 52428800 bytes of YAML; a configuration may hold at most 1048576 (1 MiB)")
        }
    }

    func testEndpointsATrainerCannotReachAreRefused() {
        XCTAssertTrue(refusal("game: {}\ntelemetry: {endpoint: 'tcp://*:5557'}").contains("not the wildcard *"))
        XCTAssertTrue(refusal("game: {}\ntelemetry: {endpoint: 'inproc://x'}").contains("inproc:// stays inside one process"))
        let longest = "ipc:///" + String(repeating: "x", count: 106)
        XCTAssertEqual(refusal("game: {}\ntelemetry: {endpoint: '\(longest)'}"), "accepted", "107 bytes fit")
        XCTAssertTrue(refusal("game: {}\ntelemetry: {endpoint: '\(longest)x'}").contains("108 bytes; a socket path may have at most 107"))
        XCTAssertTrue(refusal("game: {}\ntelemetry: {endpoint: 'ipc:///tmp/" + String(repeating: "y", count: 306) + "'}").contains("311 bytes"))
        XCTAssertEqual(refusal("game: {}\ntelemetry: {endpoint: 'tcp://0.0.0.0:5557'}"), "accepted")
    }

    func testAResetPeriodLongerThanTheRunWarns() throws {
        let c = try Configuration.parse("game: {}\ntrain: {steps: 50}\npopulation: {reset: {listeners: {mode: sequential, every: 100}, speakers: {mode: simultaneous, every: 51}}}", source: "t")
        XCTAssertEqual(c.warnings, [
            "population.reset.listeners.every: reset period 100 is longer than the run (train.steps 50); no listeners will be reset",
            "population.reset.speakers.every: reset period 51 is longer than the run (train.steps 50); no speakers will be reset",
        ])
        XCTAssertEqual(try Configuration.parse("game: {}\ntrain: {steps: 50}\npopulation: {reset: {listeners: {mode: sequential, every: 50}}}", source: "t").warnings, [])
        let shipped = try Configuration.load(file: packageDirectory.appendingPathComponent("configs/li-bowling/reset.yaml").path,
                                             overrides: ["train.steps=600"])
        XCTAssertEqual(shipped.warnings.count, 1)
        XCTAssertTrue(shipped.warnings[0].contains("reset period 6000"), shipped.warnings[0])
    }
}

/// Checkpoints whose lengths or counts claim more than the file holds.
final class CheckpointBoundTests: XCTestCase {
    var directory: URL!

    override func setUpWithError() throws { directory = try makeTemporaryDirectory("checkpoint-bounds") }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: directory) }

    func fault(_ body: () throws -> Void) -> String {
        do {
            try body()
            return "accepted"
        } catch {
            return "\(error)"
        }
    }

    func testAStepPastTwoToTheThirtyTwoKeepsItsFolder() throws {
        XCTAssertEqual(CheckpointStore.name(step: 200), "step-00000200")
        XCTAssertEqual(CheckpointStore.name(step: 1_000_000_000_000), "step-1000000000000")
        let store = CheckpointStore(run: directory)
        let step = 1_000_000_000_000
        try store.write(step: step, rank: 0, worldSize: 1, configuration: 7) { $0.append(Int64(42)) }
        try store.markComplete(step: step, worldSize: 1)
        XCTAssertEqual(store.steps().map(\.step), [step])
        XCTAssertEqual(store.steps().map(\.complete), [true])
        XCTAssertEqual(try store.worldSize(step: step), 1)
        XCTAssertNotNil(try? store.read(step: step, rank: 0, worldSize: 1, configuration: 7))
    }

    /// A file grown to 100 GB (sparse: no disk is used), and one whose header
    /// is recomputed to claim those 100 GB at an absurd step: both are named
    /// from the header and the file's size; nothing of that size is allocated.
    func testHugeOrForgedLengthsAreRefusedBeforeReading() throws {
        let store = CheckpointStore(run: directory)
        try store.write(step: 300, rank: 0, worldSize: 1, configuration: 7) { $0.append(Int64(42)) }
        let path = store.file(step: 300, rank: 0).path
        let huge = 100 << 30
        XCTAssertEqual(truncate(path, off_t(huge)), 0)
        XCTAssertTrue(fault { _ = try store.read(step: 300, rank: 0, worldSize: 1, configuration: 7) }
            .hasSuffix("unexpected bytes after the payload"))
        let forged = CheckpointHeader(rank: 0, worldSize: 1, step: 1_000_000_000_000, configuration: 7,
                                      payloadLength: huge - CheckpointHeader.size, payloadChecksum: 0)
        let handle = try XCTUnwrap(FileHandle(forWritingAtPath: path))
        try handle.write(contentsOf: forged.bytes)
        try handle.close()
        XCTAssertTrue(fault { _ = try store.read(step: 300, rank: 0, worldSize: 1, configuration: 7) }
            .hasSuffix("holds rank 0 at step 1000000000000 (foreign file: not this checkpoint)"))
    }

    /// A payload (with its checksum recomputed) claiming an absurd number of
    /// resets, at an absurd step, is refused before the list is allocated.
    func testAnAbsurdResetCountIsRefused() throws {
        let configuration = try Configuration.parse("game: {attributes: [3, 3], candidates: 3}\nagents: {hidden: 4}\ntrain: {batch: 4}\ntelemetry: {endpoint: none}", source: "t")
        let trainer = try Trainer(configuration: configuration)
        var payload = CheckpointPayload()
        trainer.writeCheckpoint(into: &payload, step: 0, metricsLength: 0, elapsed: 0)
        // The reset count comes before the five numbers that end the payload (no resets follow it).
        var bytes = payload.bytes
        let offset = bytes.count - 48
        for count in [Int64(1) << 40, Int64.max, -1] {
            withUnsafeBytes(of: count.littleEndian) { bytes.replaceSubrange(offset..<(offset + 8), with: $0) }
            for step in [300, Int.max / 2] {
                let message = fault { try trainer.restore(payload: bytes[...], file: "f", step: step) }
                XCTAssertTrue(message.contains("resets"), message)
            }
        }
    }
}
