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
        for run in report.runs {
            let lexicon = try? String(contentsOfFile: "\(runs)/\(run.run)/lexicon.tsv", encoding: .utf8)
            body += section(run, curves: curves.first { $0.run == run.run }, lexicon: lexicon)
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

    private static func section(_ run: RunReport, curves: RunCurves?, lexicon: String?) -> String {
        var out = "<h2>Run \(escaped(run.run))</h2>\n"
        let state = run.finished ? "finished" : "not finished (\(run.finishedRanks) of \(run.worldSize.map(String.init) ?? "?") ranks)"
        out += "<p>\(state); \(run.events) events; \(run.resets) resets; \(run.missing) missing and \(run.dropped) dropped events.</p>\n"
        if case let .object(fields)? = run.summary {
            out += "<h3>Summary</h3>\n<table>\n"
            for (name, value) in fields { out += "<tr><td class=\"name\">\(escaped(name))</td><td>\(escaped(value.serialized))</td></tr>\n" }
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
            out += "<h3>Configuration</h3>\n<pre>\(escaped(config.serialized))</pre>\n"
        }
        return out
    }

    /// An SVG document as an element of the page: without its XML declaration.
    static func inline(_ svg: String) -> String {
        guard svg.hasPrefix("<?xml"), let end = svg.range(of: "?>") else { return svg }
        return String(svg[end.upperBound...]).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
