import Foundation
import KoineCollector
import KoineStudy
import KoineTelemetry

/// `koine report --html`: one self-contained page (no scripts, no external
/// files) per database or run: for each run its final figures, plots inline,
/// the reset log, events lost per rank with their gaps, and the configuration.
/// Written as well-formed XHTML, so both browsers and XML parsers read it.
enum ReportPage {
    /// `folders`: where run directories live; a run's `lexicon.tsv` there is shown as a table.
    static func render(report: TelemetryReport, curves: [RunCurves], database: String, folders: RunFolders) -> String {
        var body = "<h1>Koine runs in \(escaped(database))</h1>\n"
        body += "<p>\(report.runs.count) run(s); the collector refused \(report.badFrames) bad frame(s) over \(report.sessions) session(s).</p>\n"
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
            .tree svg { max-width: 100%; height: auto; }
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
        if let pbt = run.pbt { out += pbtSection(pbt) }
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
        if let crossPlay { out += crossPlayMap(crossPlay) }
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
            out += "<h3>Configuration</h3>\n<pre>\(escaped(config.yaml(plainText: true)))</pre>\n"
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
    static func crossPlayMap(_ matrix: [[Double]]) -> String {
        heatMap(matrix, heading: "Cross-play", caption: "Greedy accuracy of every speaker (rows) with every listener (columns), "
                    + "both in rank order, at the last evaluation.", rows: "S", columns: "L")
    }

    /// A matrix of shares (0 to 1) as a table whose cells darken as they
    /// grow, under a heading and a caption; rows and columns are labelled by
    /// a prefix and their index.
    static func heatMap(_ matrix: [[Double]], heading: String, caption: String, rows: String, columns prefix: String) -> String {
        let columns = matrix.map(\.count).max() ?? 0
        var out = "<h3>\(escaped(heading))</h3>\n<p>\(escaped(caption))</p>\n<table>\n<tr><th></th>"
            + (0..<columns).map { "<th>\(escaped(prefix))\($0)</th>" }.joined() + "</tr>\n"
        for (index, row) in matrix.enumerated() {
            out += "<tr><th>\(escaped(rows))\(index)</th>"
            for value in row {
                let shade = value.isFinite ? min(max(value, 0), 1) : 0
                let text = shade > 0.6 ? "#fff" : "#222"
                out += "<td style=\"background: rgba(0, 114, 178, \(String(format: "%.2f", shade))); color: \(text)\">\(escaped(FigureText.of(value)))</td>"
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
        case .double(let number): return FigureText.of(number)
        default: return value.serialized
        }
    }

    /// An SVG document as an element of the page: without its XML declaration.
    static func inline(_ svg: String) -> String {
        guard svg.hasPrefix("<?xml"), let end = svg.range(of: "?>") else { return svg }
        return String(svg[end.upperBound...]).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
