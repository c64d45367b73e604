import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
@testable import KoineStudy
import XCTest

/// The family tree is well-formed SVG drawn from its parents alone: a grey
/// line per member that kept its state, a coloured curve per copy, a dot per
/// member and column; hollow where descent is unknown.
final class LineageDiagramTests: XCTestCase {
    /// Three members, two rounds: at the first member 2 copies member 0; at
    /// the second member 1 copies member 2 (a copy of 0), and member 0's line
    /// is missing. A parent outside the tree (row 7, or one at the start) is
    /// not drawn, and no trap.
    func diagram() -> LineageDiagram {
        let families: [[Int?]] = [[0, 1, 2], [0, 1, 0], [nil, 0, 0]]
        let parents: [[Int?]] = [[nil, 7, nil], [0, 1, 0], [nil, 2, 2]]
        return LineageDiagram(
            title: "lineage <of> & \"run\"", columns: ["start", "100", "200"], rows: ["rank 0", "rank 1", "rank 2"],
            nodes: zip(families, parents).map { families, parents in
                zip(families, parents).map { LineageDiagram.Node(parent: $1, family: $0, note: "family \($0.map(String.init) ?? "unknown")") }
            })
    }

    func testEveryEdgeAndDotIsDrawnOnce() throws {
        let svg = diagram().svg()
        let document = try XMLDocument(data: Data(svg.utf8))
        func count(_ element: String) throws -> Int { try document.nodes(forXPath: "//*[local-name()='\(element)']").count }
        XCTAssertEqual(try count("line"), 3, "a grey line per member that kept its state")
        XCTAssertEqual(try count("path"), 2, "a curve per copy")
        XCTAssertEqual(try count("circle"), 9, "a dot per member and column")
        let hollow = try document.nodes(forXPath: "//*[local-name()='circle'][@fill='white']")
        XCTAssertEqual(hollow.count, 1, "member 0 after the second round: unknown")
        let texts = try document.nodes(forXPath: "//*[local-name()='text']").compactMap(\.stringValue)
        XCTAssertTrue(texts.contains("lineage <of> & \"run\""))
        XCTAssertEqual(texts.filter { $0 == "from rank 0" }.count, 2, "members 1 and 2 end in member 0's family")
        // The copy at the second round starts at member 2 in the first round's column.
        let curves = try document.nodes(forXPath: "//*[local-name()='path']/@d").compactMap(\.stringValue)
        let diagram = diagram()
        XCTAssertTrue(curves.contains { $0.hasPrefix("M\(String(format: "%.2f", diagram.x(1))) \(String(format: "%.2f", diagram.y(2)))C") }, "\(curves)")
        XCTAssertEqual(svg, self.diagram().svg(), "the same tree draws the same file")
    }
}
