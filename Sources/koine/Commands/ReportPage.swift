import Foundation
import KoineCollector
import KoineStudy
import KoineTelemetry

/// `koine report --html`: one self-contained page (no scripts, no external
/// files) per database or run: for each run its final figures, plots inline,
/// the reset log, events lost per rank with their gaps, and the configuration.
/// Written as well-formed XHTML, so both browsers and XML parsers read it.
enum ReportPage {
    /// `runs`: where run directories live; a run's `lexicon.tsv` there is shown as a table.
    static func render(report: TelemetryReport, curves: [RunCurves], database: String, runs: String) -> String {
        var body = "<h1>Koine runs in \(escaped(database))</h1>\n"
        body += "<p>\(report.runs.count) run(s); the collector refused \(report.badFrames) bad frame(s) over \(report.sessions) session(s).</p>\n"
        let folders = RunFolders(runs)
        for run in report.runs {
            let directory = folders.directory(of: run.run)
            let lexicon = directory.flatMap { try? String(contentsOfFile: $0 + "/lexicon.tsv", encoding: .utf8) }
            body += section(run, curves: curves.first { $0.run == run.run }, lexicon: lexicon,
                            crossPlay: directory.flatMap(lastCrossPlay))
        }
        return """
            <?xml version="1.0" encoding="UTF-8"?>
            <!DOCTYPE html>
            <html xmlns="http://www.w3.org/1999/xhtml" lang="en">
            <head><meta charset="utf-8"/><title>Koine report: \(escaped(database))</title>
            <style>
            body { font-family: sans-serif; margin: 2em auto; max-width: 1100px; color: #222; }
            table { border-collapse: collapse; margin: 0.5em 0 1.5em; }
            td, th { border: 1px solid #ccc; padding: 0.2em 0.6em; text-align: right; }
            th { background: #f2f2f2; } td.name { text-align: left; }
            .plots { display: flex; flex-wrap: wrap; gap: 1em; } .plots svg { width: 520px; height: auto; }
            pre { background: #f7f7f7; padding: 0.8em; overflow-x: auto; }
            </style></head>
            <body>
            \(body)</body></html>

            """
    }

    private static func section(_ run: RunReport, curves: RunCurves?, lexicon: String?, crossPlay: [[Double]]?) -> String {
        var out = "<h2>Run \(escaped(run.run))</h2>\n"
        let state = run.finished ? "finished" : "not finished (\(run.finishedRanks) of \(run.worldSize.map(String.init) ?? "?") ranks)"
        out += "<p>\(state); \(run.events) events; \(run.resets) resets; \(run.missing) missing and \(run.dropped) dropped events.</p>\n"
        if case let .object(fields)? = run.summary {
            out += "<h3>Summary</h3>\n<table>\n"
            for (name, value) in fields { out += "<tr><td class=\"name\">\(escaped(name))</td><td>\(escaped(cell(value)))</td></tr>\n" }
            out += "</table>\n"
        }
        if let curves, !curves.figures.isEmpty {
            out += "<h3>Curves</h3>\n<div class=\"plots\">\n"
            for (_, chart) in Report.charts(curves, titled: { $0 }) { out += inline(chart.svg()) + "\n" }
            out += "</div>\n"
        }
        out += "<h3>Ranks</h3>\n<table>\n<tr><th>rank</th><th>events</th><th>last step</th><th>resets</th><th>missing</th><th>dropped</th><th>finished</th><th>gaps</th></tr>\n"
        for rank in run.ranks {
            let gaps = rank.gaps.prefix(10).map { $0.lowerBound == $0.upperBound ? "\($0.lowerBound)" : "\($0.lowerBound)–\($0.upperBound)" }
                .joined(separator: ", ") + (rank.gaps.count > 10 ? ", …" : "")
            out += "<tr><td>\(rank.rank)</td><td>\(rank.events)</td><td>\(rank.lastStep.map(String.init) ?? "–")</td>"
                + "<td>\(rank.resets)</td><td>\(rank.missing)</td><td>\(rank.dropped)</td><td>\(rank.finished ? "yes" : "no")</td>"
                + "<td class=\"name\">\(escaped(gaps))</td></tr>\n"
        }
        out += "</table>\n"
        if let curves, !curves.resets.isEmpty {
            out += "<h3>Resets</h3>\n<table>\n<tr><th>rank</th><th>steps</th></tr>\n"
            for rank in curves.resets.keys.sorted() {
                out += "<tr><td>\(rank)</td><td class=\"name\">\(curves.resets[rank]!.map(String.init).joined(separator: ", "))</td></tr>\n"
            }
            out += "</table>\n"
        }
        if let crossPlay { out += heatMap(crossPlay) }
        if let lexicon {
            // lexicon.tsv: a header line, then rank, speaker, object, description, message.
            let lines = lexicon.split(separator: "\n").map { $0.split(separator: "\t", omittingEmptySubsequences: false) }
            if let header = lines.first {
                out += "<h3>Lexicon</h3>\n<table>\n<tr>" + header.map { "<th>\(escaped(String($0)))</th>" }.joined() + "</tr>\n"
                for fields in lines.dropFirst() {
                    out += "<tr>" + fields.map { "<td class=\"name\">\(escaped(String($0)))</td>" }.joined() + "</tr>\n"
                }
                out += "</table>\n"
            }
        }
        if let config = run.config {
            out += "<h3>Configuration</h3>\n<pre>\(escaped(yaml(config)))</pre>\n"
        }
        return out
    }

    /// The cross-play matrix of the run's last evaluation (its `metrics.jsonl`), when it has one.
    static func lastCrossPlay(_ directory: String) -> [[Double]]? {
        guard let text = try? String(contentsOfFile: directory + "/metrics.jsonl", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n").reversed() where line.contains("\"crossplay\"") {
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  let rows = object["crossplay"] as? [[NSNumber]], !rows.isEmpty else { continue }
            return rows.map { $0.map(\.doubleValue) }
        }
        return nil
    }

    /// Who understands whom, as a table whose cells darken with accuracy: a
    /// row per speaker, a column per listener, both in rank order.
    static func heatMap(_ matrix: [[Double]]) -> String {
        let columns = matrix.map(\.count).max() ?? 0
        var out = "<h3>Cross-play</h3>\n<p>Greedy accuracy of every speaker (rows) with every listener (columns), "
            + "both in rank order, at the last evaluation.</p>\n<table>\n<tr><th></th>"
            + (0..<columns).map { "<th>L\($0)</th>" }.joined() + "</tr>\n"
        for (s, row) in matrix.enumerated() {
            out += "<tr><th>S\(s)</th>"
            for value in row {
                let shade = value.isFinite ? min(max(value, 0), 1) : 0
                let text = shade > 0.6 ? "#fff" : "#222"
                out += "<td style=\"background: rgba(0, 114, 178, \(String(format: "%.2f", shade))); color: \(text)\">\(escaped(figure(value)))</td>"
            }
            out += "</tr>\n"
        }
        return out + "</table>\n"
    }

    /// A summary value as a reader wants it: text without JSON's quotes,
    /// figures with sensible precision, NaN and infinity named.
    static func cell(_ value: JSONValue) -> String {
        switch value {
        case .string(let text): return text
        case .int(let number): return String(number)
        case .double(let number): return figure(number)
        default: return value.serialized
        }
    }

    /// 672715.7, 0.8734, 1.2e-05, 3.4e+20: about four significant digits, more left of the point.
    static func figure(_ value: Double) -> String {
        guard value.isFinite else { return value.isNaN ? "NaN" : value > 0 ? "inf" : "-inf" }
        if value == value.rounded() && abs(value) < 1e15 { return String(Int(value)) }
        let size = abs(value)
        if size >= 1e15 || size < 1e-4 { return String(format: "%.4g", value) }
        if size >= 100 { return String(format: "%.1f", value) }
        return String(format: "%.4g", value)
    }

    /// The configuration as YAML, nested mappings indented, lists in flow
    /// style, as config.yaml is written. Strings are quoted as JSON quotes
    /// them (a JSON string is a YAML double-quoted scalar) when plain text
    /// would read back as something else.
    static func yaml(_ value: JSONValue, indent: String = "") -> String {
        guard case .object(let fields) = value else { return indent + scalar(value) + "\n" }
        var out = ""
        for (key, field) in fields {
            if case .object(let inner) = field, !inner.isEmpty {
                out += indent + scalarKey(key) + ":\n" + yaml(field, indent: indent + "  ")
            } else {
                out += indent + scalarKey(key) + ": " + scalar(field) + "\n"
            }
        }
        return out
    }

    private static func scalarKey(_ key: String) -> String { scalar(.string(key)) }

    private static func scalar(_ value: JSONValue) -> String {
        switch value {
        case .string(let text):
            let plain = !text.isEmpty && text.unicodeScalars.allSatisfy { CharacterSet.alphanumerics.contains($0) || "._/-".unicodeScalars.contains($0) }
                && Double(text) == nil && !["true", "false", "null", "yes", "no", "on", "off", "~"].contains(text.lowercased())
            return plain ? text : value.serialized
        case .array(let items): return "[" + items.map(scalar).joined(separator: ", ") + "]"
        case .object(let fields): return "{" + fields.map { scalarKey($0.0) + ": " + scalar($0.1) }.joined(separator: ", ") + "}"
        default: return value.serialized
        }
    }

    /// An SVG document as an element of the page: without its XML declaration.
    static func inline(_ svg: String) -> String {
        guard svg.hasPrefix("<?xml"), let end = svg.range(of: "?>") else { return svg }
        return String(svg[end.upperBound...]).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

/// The run directories under a folder, found by their run id: the id is the
/// directory's name and a suffix of 8 hex digits (`quick-1a2b3c4d`), kept in
/// the directory's `run-id`, which must agree. A name the trainer had to make
/// safe for telemetry (control characters) is found through the `run-id`
/// files of the folder's directories, read once. Ids that would leave the
/// folder (a `/`, `..`) name no directory.
struct RunFolders {
    let root: String
    /// Run id → directory, from the `run-id` files (at most `scanned` directories).
    private let byIdentifier: [String: String]
    static let scanned = 10_000

    init(_ root: String) {
        self.root = root
        var found: [String: String] = [:]
        let names = (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
        for name in names.prefix(Self.scanned) where !name.hasPrefix(".") {
            let directory = root + "/" + name
            guard RunFolders.isRegularFile(directory + "/run-id"), RunFolders.isRegularFile(directory + "/lexicon.tsv"),
                  let kept = try? String(contentsOfFile: directory + "/run-id", encoding: .utf8) else { continue }
            found[kept.trimmingCharacters(in: .whitespacesAndNewlines)] = directory
        }
        byIdentifier = found
    }

    func directory(of run: String) -> String? {
        if let directory = byIdentifier[run] { return directory }
        // A run directory without a run-id file (older runs): the id itself names it.
        guard !run.isEmpty, !run.contains("/"), run != ".", run != "..",
              RunFolders.isRegularFile(root + "/" + run + "/lexicon.tsv") else { return nil }
        return root + "/" + run
    }

    /// A FIFO named lexicon.tsv would block the page's reading.
    static func isRegularFile(_ path: String) -> Bool {
        var status = stat()
        return stat(path, &status) == 0 && status.st_mode & S_IFMT == S_IFREG
    }
}
