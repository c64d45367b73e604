import Foundation
import XCTest
@testable import KoineCollector
import KoineTelemetry

final class JSONScannerTests: XCTestCase {
    private func accepts(_ text: String) -> Bool {
        var members: [JSONScanner.Member] = []
        return Array(text.utf8).withUnsafeBytes { JSONScanner.scanObject($0, into: &members) } == nil
    }

    func testAcceptsValidObjects() {
        for text in [
            "{}", " { } ", #"{"a":1}"#, #"{"a":-0.5e+10,"b":[true,false,null,{}],"c":"\u00e9\n\"","d":{"e":[[]]}}"#,
            #"{"é":"中文🎉"}"#, "{\"a\"\t:\r\n0}",
        ] {
            XCTAssertTrue(accepts(text), text)
        }
    }

    func testRefusesInvalidText() {
        for text in [
            "", "[]", "1", "\"x\"", "{", "}", #"{"a"}"#, #"{"a":}"#, #"{"a":1,}"#, #"{"a":01}"#, #"{"a":1.}"#,
            #"{"a":.5}"#, #"{"a":1e}"#, #"{"a":tru}"#, #"{"a":"\x"}"#, #"{"a":"\u12"}"#, "{\"a\":\"\u{1}\"}",
            #"{"a":1} x"#, #"{'a':1}"#, #"{"a":NaN}"#, #"{"a":[1,2}"#, #"{a:1}"#, #"{"a":+1}"#,
            String(repeating: "[", count: 100) + String(repeating: "]", count: 100),
            "{\"a\":" + String(repeating: "[", count: 100) + String(repeating: "]", count: 100) + "}",
        ] {
            XCTAssertFalse(accepts(text), text)
        }
    }

    func testRefusesInvalidUTF8() {
        for bytes: [UInt8] in [
            [0x7B, 0x22, 0xFF, 0x22, 0x3A, 0x31, 0x7D],  // {"\xFF":1}
            [0x7B, 0x22, 0x61, 0x22, 0x3A, 0x22, 0xC0, 0xAF, 0x22, 0x7D],  // overlong
            [0x7B, 0x22, 0x61, 0x22, 0x3A, 0x22, 0xED, 0xA0, 0x80, 0x22, 0x7D],  // surrogate
            [0x7B, 0x22, 0x61, 0x22, 0x3A, 0x22, 0xE4, 0xB8, 0x22, 0x7D],  // truncated sequence
        ] {
            var members: [JSONScanner.Member] = []
            XCTAssertNotNil(bytes.withUnsafeBytes { JSONScanner.scanObject($0, into: &members) }, "\(bytes)")
        }
    }

    /// Agrees with Foundation on random mutations of a real event — except that Foundation
    /// accepts trailing commas, which JSON (and SQLite's JSON functions) do not.
    func testAgreesWithFoundationOnMutations() throws {
        let event = Array(#"{"v":1,"run":"r","rank":0,"seq":5,"time":1.5,"kind":"step","x":[1,2.5,"a",{"b":null}]}"#.utf8)
        var generator = SystemRandomNumberGenerator()
        let alphabet = Array(#"{}[]":,.-+e0123456789aeflnrstu\ "#.utf8)
        for _ in 0..<5000 {
            var bytes = event
            for _ in 0..<Int.random(in: 1...3, using: &generator) {
                let index = Int.random(in: 0..<bytes.count, using: &generator)
                switch Int.random(in: 0..<3, using: &generator) {
                case 0: bytes[index] = alphabet.randomElement(using: &generator)!
                case 1: bytes.remove(at: index)
                default: bytes.insert(alphabet.randomElement(using: &generator)!, at: index)
                }
                if bytes.isEmpty { bytes = [0x20] }
            }
            var members: [JSONScanner.Member] = []
            let ours = bytes.withUnsafeBytes { JSONScanner.scanObject($0, into: &members) } == nil
            let theirs = (try? JSONSerialization.jsonObject(with: Data(bytes))) is [String: Any]
            let text = String(decoding: bytes, as: UTF8.self)
            let trailingComma = text.filter { !$0.isWhitespace }.contains(",}") || text.filter { !$0.isWhitespace }.contains(",]")
            if ours { XCTAssertTrue(theirs, text) } else if theirs { XCTAssertTrue(trailingComma, text) }
        }
    }

    func testDecoderRefusesBadEnvelopes() {
        var decoder = EventDecoder()
        func problem(_ text: String) -> String? {
            switch Array(text.utf8).withUnsafeBytes({ decoder.decode($0) }) {
            case .success: return nil
            case let .failure(problem): return problem.label
            }
        }
        XCTAssertNil(problem(eventFrame(run: "r", rank: 0, seq: 0)))
        XCTAssertEqual(problem(#"{"v":2,"run":"r","rank":0,"seq":0,"time":1,"kind":"step"}"#), "wrong_version")
        XCTAssertEqual(problem(#"{"v":"1","run":"r","rank":0,"seq":0,"time":1,"kind":"step"}"#), "wrong_version")
        XCTAssertEqual(problem(#"{"run":"r","rank":0,"seq":0,"time":1,"kind":"step"}"#), "missing_field")
        XCTAssertEqual(problem(#"{"v":1,"rank":0,"seq":0,"time":1,"kind":"step"}"#), "missing_field")
        XCTAssertEqual(problem(#"{"v":1,"run":"","rank":0,"seq":0,"time":1,"kind":"step"}"#), "wrong_type")
        XCTAssertEqual(problem(#"{"v":1,"run":"r","rank":-1,"seq":0,"time":1,"kind":"step"}"#), "wrong_type")
        XCTAssertEqual(problem(#"{"v":1,"run":"r","rank":0,"seq":"0","time":1,"kind":"step"}"#), "wrong_type")
        XCTAssertEqual(problem(#"{"v":1,"run":"r","rank":0,"seq":99999999999999999999,"time":1,"kind":"step"}"#), "wrong_type")
        XCTAssertEqual(problem(#"{"v":1,"run":"r","rank":0,"seq":0,"time":"now","kind":"step"}"#), "wrong_type")
        XCTAssertEqual(problem(#"{"v":1,"run":"r","rank":0,"seq":0,"time":1,"kind":"dance"}"#), "wrong_type")
        XCTAssertEqual(problem(#"{"v":1,"run":"r","rank":0,"seq":0,"time":1,"kind":"step","step":"x"}"#), "wrong_type")
        XCTAssertEqual(problem(#"[1]"#), "malformed")
        XCTAssertEqual(problem(String(repeating: " ", count: EventDecoder.maximumFrameBytes + 1)), "oversized")
        // Escaped run ids are decoded.
        if case let .success(event) = Array(#"{"v":1,"run":"a\"b\u00e9","rank":0,"seq":0,"time":1,"kind":"step"}"#.utf8).withUnsafeBytes({ decoder.decode($0) }) {
            XCTAssertEqual(event.run, "a\"bé")
        } else {
            XCTFail("escaped run id refused")
        }
    }

    func testEndpointValidation() {
        for good in ["none", "tcp://127.0.0.1:5557", "tcp://localhost:1", "tcp://[::1]:5557", "tcp://*:5557",
                     "ipc:///tmp/koine.sock", "inproc://koine"] {
            XCTAssertNil(Endpoint.problem(with: good), good)
        }
        for bad in ["", "tcp://127.0.0.1", "tcp://127.0.0.1:0", "tcp://127.0.0.1:70000", "tcp://:5557",
                    "udp://127.0.0.1:5557", "127.0.0.1:5557", "ipc://", "inproc://", "tcp://host:port", "None"] {
            XCTAssertNotNil(Endpoint.problem(with: bad), bad)
        }
        XCTAssertThrowsError(try ZeroMQPublisher(endpoint: "tcp://nowhere", run: "r", rank: 0))
        XCTAssertTrue(try makeTelemetrySink(endpoint: "none", run: "r", rank: 0) is NullSink)
    }
}
