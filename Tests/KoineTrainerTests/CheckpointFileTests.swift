import Foundation
import KoineTensor
import KoineTestSupport
import XCTest
@testable import KoineTrainer

/// The checkpoint file format: what it keeps, and that every kind of damage
/// is caught and named rather than read as state.
final class CheckpointFileTests: XCTestCase {
    func file(payload: [UInt8] = Array(0..<200).map { UInt8($0 % 251) }) -> [UInt8] {
        let header = CheckpointHeader(rank: 1, worldSize: 2, step: 300, configuration: 0xABCD, payloadLength: payload.count,
                                      payloadChecksum: payload.withUnsafeBytes { Checksum.fnv1a($0) })
        return header.bytes + payload
    }

    func fault(_ bytes: [UInt8]) -> String {
        do {
            _ = try CheckpointHeader.parse(bytes, file: "run/checkpoints/step-00000300/rank-1.ckpt")
            return "accepted"
        } catch let fault as CheckpointFault {
            XCTAssertFalse(fault.description.contains("\n"), "one line: \(fault)")
            XCTAssertTrue(fault.description.hasPrefix("run/checkpoints/step-00000300/rank-1.ckpt: "), "names the file: \(fault)")
            return fault.fault
        } catch {
            return "not a CheckpointFault: \(error)"
        }
    }

    func testAnIntactFileReadsBack() throws {
        let payload: [UInt8] = [1, 2, 3, 4, 5]
        let (header, read) = try CheckpointHeader.parse(file(payload: payload), file: "f")
        XCTAssertEqual(header.rank, 1)
        XCTAssertEqual(header.worldSize, 2)
        XCTAssertEqual(header.step, 300)
        XCTAssertEqual(header.configuration, 0xABCD)
        XCTAssertEqual(Array(read), payload)
        XCTAssertEqual(file().count, CheckpointHeader.size + 200)
    }

    func testEveryKindOfDamageIsNamed() {
        let good = file()
        XCTAssertEqual(fault(good), "accepted")
        XCTAssertTrue(fault([]).contains("empty file"), fault([]))
        XCTAssertTrue(fault(Array(good[0..<5])).contains("truncated"), fault(Array(good[0..<5])))
        XCTAssertTrue(fault(Array(good[0..<40])).contains("truncated"), fault(Array(good[0..<40])))
        XCTAssertTrue(fault(Array(good.dropLast(7))).contains("truncated (payload 193 of 200 bytes)"), fault(Array(good.dropLast(7))))
        XCTAssertTrue(fault(good + [0]).contains("unexpected bytes"), fault(good + [0]))
        XCTAssertTrue(fault(Array("name,value\nsteps,3\n".utf8)).contains("not a Koine checkpoint"))
        // A single flipped bit anywhere: in the payload, in the header's fields, in the version.
        for (index, expected) in [(CheckpointHeader.size + 17, "payload checksum mismatch"), (30, "corrupted header"),
                                  (good.count - 1, "payload checksum mismatch"), (CheckpointHeader.size - 1, "corrupted header")] {
            var damaged = good
            damaged[index] ^= 0x10
            XCTAssertTrue(fault(damaged).contains(expected), "bit flip at \(index): \(fault(damaged))")
        }
        var future = good
        future[8] = 9
        XCTAssertTrue(fault(future).contains("version 9"), fault(future))
    }

    func testPayloadValuesRoundTrip() throws {
        var payload = CheckpointPayload()
        var random = Random(seed: 7).split(3)
        _ = random.next()
        let floats: [Float] = [1.5, -0.0, .infinity, 3e-40]
        payload.append(-12)
        payload.append(0.1)
        payload.append(Float(2.5))
        payload.append("config: ü")
        payload.append([1.0, 2.0])
        floats.withUnsafeBufferPointer { payload.append(floats: $0) }
        payload.append(random)
        var reader = CheckpointReader(payload.bytes[...], file: "f")
        XCTAssertEqual(try reader.int(), -12)
        XCTAssertEqual(try reader.double(), 0.1)
        XCTAssertEqual(try reader.float(), 2.5)
        XCTAssertEqual(try reader.string(), "config: ü")
        XCTAssertEqual(try reader.doubles(), [1.0, 2.0])
        var restored = [Float](repeating: 9, count: 4)
        try restored.withUnsafeMutableBufferPointer { try reader.floats(into: $0, what: "x") }
        XCTAssertEqual(restored.map(\.bitPattern), floats.map(\.bitPattern))
        var again = try reader.random()
        XCTAssertEqual(again.next(), random.next(), "a restored generator continues the same stream")
        XCTAssertTrue(reader.isAtEnd)
        // A span of another length is refused, and reading past the end is a fault.
        var short = CheckpointReader(payload.bytes[...], file: "f")
        XCTAssertThrowsError(try short.string())
    }

    /// A streamed payload sends exactly the bytes an in-memory one holds, in
    /// blocks, with the length and checksum the header needs.
    func testAStreamedPayloadIsTheInMemoryOne() throws {
        let floats = (0..<100_000).map { Float($0) * 0.25 }
        func build(_ payload: inout CheckpointPayload) {
            for i in 0..<20_000 { payload.append(i) }          // several blocks of small values
            floats.withUnsafeBufferPointer { payload.append(floats: $0) }
            payload.append("end")
        }
        var memory = CheckpointPayload()
        build(&memory)
        var sent: [UInt8] = []
        var calls = 0
        var streamed = CheckpointPayload { sent += $0; calls += 1 }
        build(&streamed)
        let (length, checksum) = try streamed.finish()
        XCTAssertEqual(sent, memory.bytes)
        XCTAssertEqual(length, memory.bytes.count)
        XCTAssertEqual(checksum, memory.bytes.withUnsafeBytes { Checksum.fnv1a($0) })
        XCTAssertGreaterThan(calls, 3)

        struct Full: Error {}
        var failing = CheckpointPayload { _ in throw Full() }
        build(&failing)
        XCTAssertThrowsError(try failing.finish()) { XCTAssertTrue($0 is Full) }
    }

    func testIdentityIgnoresOnlyTheResumableKeys() throws {
        let base = try Configuration.parse("game: {}\n", source: "a.yaml")
        let longer = try Configuration.parse("game: {}\ntrain: {steps: 900000}\ntelemetry: {endpoint: none}\n", source: "b.yaml")
        let wider = try Configuration.parse("game: {}\nagents: {hidden: 64}\n", source: "c.yaml")
        XCTAssertEqual(base.identity, longer.identity)
        XCTAssertNotEqual(base.identity, wider.identity)
        XCTAssertTrue(base.differences(from: longer).isEmpty)
        let differences = wider.differences(from: base)
        XCTAssertEqual(differences.map(\.key), ["agents.hidden"])
        XCTAssertEqual(differences.first?.mine, "64")
        XCTAssertEqual(differences.first?.theirs, "100")
        XCTAssertTrue(base.settings.contains { $0.key == "train.checkpoint.keep" && $0.value == "3" })
    }

    func testSpaceIsCheckedAgainstTheCheckpointsKept() {
        XCTAssertEqual(CheckpointStore.peakCount(steps: 1000, every: 100, keep: 3), 4)
        XCTAssertEqual(CheckpointStore.peakCount(steps: 150, every: 100, keep: 3), 2, "one at 100, one at the end")
        XCTAssertEqual(CheckpointStore.peakCount(steps: 1000, every: 0, keep: 3), 0)
        let url = URL(fileURLWithPath: "/tmp")
        XCTAssertNil(CheckpointSpace.problem(at: url, option: "--out r", bytes: 1 << 20, count: 4, free: 5 << 20))
        let problem = CheckpointSpace.problem(at: url, option: "--out r", bytes: 1 << 20, count: 4, free: 3 << 20)
        XCTAssertEqual(problem, "--out r: checkpoints need 4.0 MiB (4 of 1.0 MiB each) but the filesystem has 3.0 MiB free; free some space, lower train.checkpoint.keep, or set train.checkpoint.every: 0")
    }
}
