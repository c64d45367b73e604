import Foundation
import KoineTestSupport
import XCTest

/// What `koine probe RUN --json` printed: its interventions in order, and
/// their figures by intervention name.
struct ProbeOutput {
    let interventions: [[String: Any]]

    init(run: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let result = try runKoine(["probe", run, "--json"], timeout: 120)
        XCTAssertEqual(result.status, 0, result.standardError, file: file, line: line)
        let document = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(result.standardOutput.utf8)) as? [String: Any])
        interventions = try XCTUnwrap(document["interventions"] as? [[String: Any]])
    }

    var names: [String?] { interventions.map { $0["name"] as? String } }

    /// Intervention `name`'s `key`, a number.
    func figure(_ name: String, _ key: String) throws -> Double {
        try XCTUnwrap(intervention(name)[key] as? Double, "\(name) \(key)")
    }

    /// Intervention `name`'s `key`, a list of numbers (a share per trait).
    func shares(_ name: String, _ key: String) throws -> [Double] {
        try XCTUnwrap(intervention(name)[key] as? [Double], "\(name) \(key)")
    }

    func intervention(_ name: String) throws -> [String: Any] {
        try XCTUnwrap(interventions.first { $0["name"] as? String == name }, name)
    }
}
