import Foundation

/// A family tree over rounds as a standalone SVG document: a column per
/// round (the first for the start), a row per member, a dot where a member
/// stands after a round and an edge into it from its parent, the dot in the
/// column before whose state it holds: straight and grey when the member
/// kept its own state, curved and coloured when it copied another's. Dots are coloured
/// by the family they belong to (the row they descend from at the start),
/// so a language taking over the population shows as its colour spreading.
/// Everything is placed from the rows, columns and parents alone: the same
/// tree draws the same file.
public struct LineageDiagram {
    public struct Node {
        /// The row in the column before whose state this node holds: its own
        /// (kept) or another's (copied); nil in the first column, or when unknown.
        public var parent: Int?
        /// The row at the start this node descends from; nil when unknown (drawn hollow).
        public var family: Int?
        /// Shown on hover: what the round said of the member.
        public var note: String
        public init(parent: Int?, family: Int?, note: String) {
            self.parent = parent; self.family = family; self.note = note
        }
    }

    public var title: String
    /// Column labels under the tree (`start`, `4k`, ...).
    public var columns: [String]
    /// Row labels left of the tree (`rank 0`, ...).
    public var rows: [String]
    /// nodes[column][row].
    public var nodes: [[Node]]

    public init(title: String, columns: [String], rows: [String], nodes: [[Node]]) {
        self.title = title; self.columns = columns; self.rows = rows; self.nodes = nodes
    }

    let left = 80.0, top = 46.0, rowHeight = 26.0
    /// Columns share about 800 pixels, each between 18 and 110 wide.
    var columnWidth: Double { min(110, max(18, 800 / Double(max(columns.count - 1, 1)))) }
    func x(_ column: Int) -> Double { left + Double(column) * columnWidth }
    func y(_ row: Int) -> Double { top + Double(row) * rowHeight }
    /// Past 8 families colours repeat; the labels right of the last column say each row's family.
    func colour(_ family: Int) -> String { LineChart.palette[family % LineChart.palette.count] }

    public func svg() -> String {
        let lastColumn = max(columns.count - 1, 0)
        // Room for the family labels on the right, the title and the key below.
        let width = max(x(lastColumn) + 150, Double(title.count) * 8 + 40, 740)
        let height = y(max(rows.count - 1, 0)) + 76
        var out = svgOpening(width: width, height: height, title: title)
        // Every node with a parent in the column before, as (column, row, parent).
        let edges = nodes.indices.dropFirst().filter(columns.indices.contains).flatMap { column in
            nodes[column].indices.filter(rows.indices.contains).compactMap { row in
                nodes[column][row].parent.flatMap { rows.indices.contains($0) ? (column, row, $0) : nil }
            }
        }
        // Kept first, then copies on top of them.
        for (column, row, _) in edges.filter({ $0.1 == $0.2 }) {
            out += "<line x1=\"\(format(x(column - 1)))\" y1=\"\(format(y(row)))\" x2=\"\(format(x(column)))\" "
                + "y2=\"\(format(y(row)))\" stroke=\"#aaa\" stroke-width=\"1.2\"/>\n"
        }
        for (column, row, parent) in edges.filter({ $0.1 != $0.2 }) {
            let (x0, y0, x1, y1) = (x(column - 1), y(parent), x(column), y(row))
            let middle = (x0 + x1) / 2
            let stroke = nodes[column][row].family.map(colour) ?? "#555"
            out += "<path d=\"M\(format(x0)) \(format(y0))C\(format(middle)) \(format(y0)) \(format(middle)) \(format(y1)) "
                + "\(format(x1)) \(format(y1))\" fill=\"none\" stroke=\"\(stroke)\" stroke-width=\"2.2\"/>\n"
        }
        for (column, members) in nodes.enumerated() where columns.indices.contains(column) {
            for (row, node) in members.enumerated() where rows.indices.contains(row) {
                let fill = node.family.map(colour) ?? "white"
                let stroke = node.family == nil ? " stroke=\"#c00\" stroke-width=\"1.5\"" : ""
                out += "<circle cx=\"\(format(x(column)))\" cy=\"\(format(y(row)))\" r=\"5\" fill=\"\(fill)\"\(stroke)>"
                    + "<title>\(escaped(node.note))</title></circle>\n"
            }
        }
        out += "<g fill=\"#222\">"
        for (row, label) in rows.enumerated() {
            out += "<text x=\"\(format(left - 12))\" y=\"\(format(y(row) + 4))\" text-anchor=\"end\">\(escaped(label))</text>"
            if nodes.indices.contains(lastColumn), nodes[lastColumn].indices.contains(row), let family = nodes[lastColumn][row].family {
                out += "<text x=\"\(format(x(lastColumn) + 12))\" y=\"\(format(y(row) + 4))\" fill=\"\(colour(family))\">"
                    + "from \(escaped(rows.indices.contains(family) ? rows[family] : "row \(family)"))</text>"
            }
        }
        // Labels that would overlap are thinned to every n-th column, and the last.
        let every = max(Int((40 / columnWidth).rounded(.up)), 1)
        for (column, label) in columns.enumerated() where column == lastColumn || (column % every == 0 && lastColumn - column >= every) {
            out += "<text x=\"\(format(x(column)))\" y=\"\(format(height - 36))\" text-anchor=\"middle\">\(escaped(label))</text>"
        }
        out += "</g>\n"
        out += "<text x=\"\(format(left))\" y=\"\(format(height - 12))\" fill=\"#555\">grey: kept its state; coloured: copied "
            + "(colour: the start it descends from; hollow: unknown)</text>\n"
        return out + "</svg>\n"
    }
}
