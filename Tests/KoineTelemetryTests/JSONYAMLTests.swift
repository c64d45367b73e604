import KoineTelemetry
import XCTest

/// JSON values as YAML: text stays text when a YAML reader reads it back.
final class JSONYAMLTests: XCTestCase {
    func testTextThatYAMLWouldReadAsSomethingElseIsQuoted() {
        let value = JSONValue.object([
            ("kind", .string("attributes")), ("path", .string("configs/quick.yaml")),
            ("word", .string("yes")), ("infinity", .string(".inf")), ("hex", .string("0x1f")),
            ("date", .string("2026-12-07")), ("endpoint", .string("tcp://127.0.0.1:5557")),
            ("1e3", .int(3)), ("nested", .object([("list", .array([.int(1), .string("a b")]))])),
        ])
        XCTAssertEqual(value.yaml(plainText: true), """
            kind: attributes
            path: configs/quick.yaml
            word: "yes"
            infinity: ".inf"
            hex: "0x1f"
            date: "2026-12-07"
            endpoint: "tcp://127.0.0.1:5557"
            "1e3": 3
            nested:
              list: [1, "a b"]

            """)
        XCTAssertEqual(JSONValue.object([("kind", .string("attributes"))]).yaml(plainText: false), "kind: \"attributes\"\n")
    }
}
