import Foundation
import XCTest
import KoineCollector
@testable import KoineTelemetry

final class JSONWriterTests: XCTestCase {
    /// Parses with Foundation, which is strict about JSON grammar.
    private func foundation(_ text: String) throws -> Any {
        try JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])
    }

    func testRoundTripsThroughJSONSerialization() throws {
        let value: JSONValue = .object([
            ("int", .int(-1234567890123)), ("zero", .int(0)), ("max", .int(Int.max)), ("min", .int(Int.min)),
            ("double", .double(0.1)), ("tiny", .double(1e-300)), ("big", .double(-3.5e200)), ("whole", .double(42)),
            ("true", .bool(true)), ("false", .bool(false)), ("null", .null),
            ("array", .array([.int(1), .string("two"), .array([]), .object([])])),
            ("nested", .object([("a", .object([("b", .array([.double(2.5)]))]))])),
        ])
        let text = value.serialized
        let parsed = try XCTUnwrap(try foundation(text) as? [String: Any])
        XCTAssertEqual((parsed["int"] as? NSNumber)?.int64Value, -1234567890123)
        XCTAssertEqual((parsed["max"] as? NSNumber)?.int64Value, Int64.max)
        XCTAssertEqual((parsed["min"] as? NSNumber)?.int64Value, Int64.min)
        XCTAssertEqual((parsed["double"] as? NSNumber)?.doubleValue, 0.1)
        XCTAssertEqual((parsed["tiny"] as? NSNumber)?.doubleValue, 1e-300)
        XCTAssertEqual((parsed["big"] as? NSNumber)?.doubleValue, -3.5e200)
        XCTAssertEqual((parsed["whole"] as? NSNumber)?.doubleValue, 42)
        XCTAssertTrue(parsed["null"] is NSNull)
        XCTAssertEqual((parsed["array"] as? [Any])?.count, 4)
        // Our own parser reads it back identically, key order included.
        XCTAssertEqual(JSONValue.parse(text), value)
        XCTAssertTrue(text.hasPrefix("{\"int\":-1234567890123,\"zero\":0,"), text)
    }

    func testDoublesRoundTripExactly() throws {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2000 {
            let bits = UInt64.random(in: .min ... .max, using: &generator)
            let number = Double(bitPattern: bits)
            guard number.isFinite else { continue }
            let text = JSONValue.double(number).serialized
            // strtod is exact; Foundation on Linux parses doubles to within an ulp or two, so it only gets a tolerance.
            XCTAssertEqual(strtod(text, nil), number, text)
            XCTAssertEqual(JSONValue.parse(text)?.number, number, text)
            let parsed = try XCTUnwrap(try foundation(text) as? NSNumber, text)
            XCTAssertEqual(parsed.doubleValue, number, accuracy: abs(number) * 1e-14, text)
        }
    }

    func testEscapesControlCharactersQuotesAndUnicode() throws {
        var all = ""
        for code in 0..<0x20 { all.unicodeScalars.append(Unicode.Scalar(UInt8(code))) }
        let tricky = all + "\"\\/\u{7F} é 中文 🎉 \u{2028}\u{2029} end"
        let text = JSONValue.object([(tricky, .string(tricky))]).serialized
        XCTAssertFalse(text.utf8.contains { $0 < 0x20 }, "raw control byte in \(text)")
        let parsed = try XCTUnwrap(try foundation(text) as? [String: String])
        XCTAssertEqual(parsed[tricky], tricky)
        XCTAssertTrue(text.contains("\\u0000") && text.contains("\\n") && text.contains("\\u001f"), text)
        XCTAssertEqual(JSONValue.parse(text), .object([(tricky, .string(tricky))]))
    }

    func testNonFiniteNumbersBecomeNull() throws {
        let value: JSONValue = .array([.double(.nan), .double(.infinity), .double(-.infinity), .double(.signalingNaN)])
        XCTAssertEqual(value.serialized, "[null,null,null,null]")
        XCTAssertNotNil(try foundation(value.serialized))
    }

    func testEnvelopeIsValidAndOrdered() throws {
        var encoder = EventEncoder(run: "run \"x\"", rank: 3)
        encoder.encode(kind: .easeOfTeaching, seq: 17, time: 1_700_000_000.000_042, step: 99, dropped: 2,
                       fields: [("curve", [0.5, 0.25]), ("area", .double(.nan))])
        let text = encoder.writer.string
        XCTAssertEqual(text, #"{"v":1,"run":"run \"x\"","rank":3,"seq":17,"time":1700000000.000042,"kind":"ease_of_teaching","step":99,"dropped":2,"curve":[0.5,0.25],"area":null}"#)
        XCTAssertNotNil(try foundation(text))
    }

    /// Events appended one after another are each the bytes of one event
    /// alone: the writer carries nothing over. (Its speed is measured by
    /// scripts/bench-telemetry; a timed assertion here failed on a loaded machine.)
    func testConsecutiveEventsAreEachTheirOwnBytes() throws {
        let fields: [(String, JSONValue)] = [
            ("games_per_second", .double(123456.78)), ("steps_per_second", .double(482.3)),
            ("loss", .double(0.6931471805599453)), ("accuracy", .double(0.8125)), ("entropy", .double(1.3862943611198906)),
            ("speaker_loss", .double(0.41)), ("listener_loss", .double(0.28)), ("resets", .int(3)),
        ]
        var single = EventEncoder(run: "bench", rank: 0)
        single.encode(kind: .step, seq: 7, time: 1_700_000_000.25, step: 7, dropped: 0, fields: fields)
        let one = single.writer.bytes.count
        var encoder = EventEncoder(run: "bench", rank: 0)
        for _ in 0..<1000 {
            encoder.encode(kind: .step, seq: 7, time: 1_700_000_000.25, step: 7, dropped: 0, fields: fields)
        }
        XCTAssertEqual(encoder.writer.bytes.count, one, "each encode starts a fresh event")
        XCTAssertEqual(encoder.writer.string, single.writer.string)
    }
}
