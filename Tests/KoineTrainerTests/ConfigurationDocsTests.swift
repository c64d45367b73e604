import Foundation
import KoineTestSupport
import XCTest
@testable import KoineTrainer

/// The configuration table of docs/configuration.md is the key table, rendered.
final class ConfigurationDocsTests: XCTestCase {
    func testTheConfigurationDocListsEveryKeyAsTheTableDeclaresIt() throws {
        let path = "docs/configuration.md"
        let document = try String(contentsOf: packageDirectory.appendingPathComponent(path), encoding: .utf8)
        let lines = document.components(separatedBy: "\n")
        let header = Self.table.first!
        let start = try XCTUnwrap(lines.firstIndex(of: header), "\(path) has no line \(header)")
        let written = Array(lines[start...].prefix { $0.hasPrefix("|") })
        let keys = written.dropFirst(2).map { $0.split(separator: "`").dropFirst().first.map(String.init) ?? $0 }
        XCTAssertEqual(keys, Configuration.keys.map(\.path), "\(path)'s table lists every key, in order, and no other")
        XCTAssertEqual(written, Self.table, "\(path)'s table, as the key table renders it:\n\(Self.table.joined(separator: "\n"))")
    }

    static var table: [String] {
        ["| key | default | accepts | meaning |", "|---|---|---|---|"] + Configuration.keys.map { key in
            "| `\(key.path)` | \(render(key.defaultValue)) | \(render(key.kind)) | \(key.doc) |"
        }
    }

    static func render(_ value: ConfigurationValue) -> String {
        switch value {
        case .text(let text) where text.isEmpty: return "(none)"
        case .text, .integers: return "`\(value.text)`"
        case .integer, .real, .boolean: return value.text
        }
    }

    static func render(_ kind: ConfigurationKind) -> String {
        func range(_ minimum: String, _ maximum: String?, above: Bool = false) -> String {
            maximum.map { "\(minimum) to \($0)" } ?? "\(above ? ">" : "≥") \(minimum)"
        }
        switch kind {
        case .integer(let minimum, let maximum): return "whole number " + range(String(minimum), maximum.map(String.init))
        case .real(let minimum, let maximum, let minimumExcluded):
            return "number " + range(ConfigurationReader.format(minimum), maximum.map(ConfigurationReader.format), above: minimumExcluded)
        case .boolean: return "`true` or `false`"
        case .choice(let options): return options.map { "`\($0)`" }.joined(separator: ", ")
        case .text: return "text"
        case .integers(let minimum): return "list of whole numbers ≥ \(minimum)"
        }
    }
}
