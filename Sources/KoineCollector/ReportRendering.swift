import Foundation
import GRDB
import KoineTelemetry

extension TelemetryReport {
    /// Per-run tables for people.
    public func text() -> String {
        var out = ""
        if runs.isEmpty { out += "no runs\n" }
        for run in runs {
            let state = run.finished ? "finished" : (run.finishedRanks > 0 ? "partly finished" : "not finished")
            out += "run \(TerminalText.safe(run.run))  \(state) (\(run.finishedRanks)/\(run.worldSize.map(String.init) ?? "?") ranks)"
            if let total = run.totalSteps { out += "  total steps \(total)" }
            out += "\n"
            if let start = run.startedAt {
                out += "  started \(Self.timestamp(start))"
                if let end = run.finishedAt { out += "  took \(String(format: "%.1f", end - start)) s" }
                out += "\n"
            }
            out += "  events \(run.events) (" + run.eventsByKind.map { "\($0.0) \($0.1)" }.joined(separator: ", ") + ")\n"
            out += "  resets \(run.resets)  lost \(run.missing) missing, \(run.dropped) dropped\n"
            let figures: [(String, JSONValue)]
            if case let .object(members)? = run.summary {
                out += "  final (summary):\n"
                figures = members
            } else {
                if !run.lastFigures.isEmpty { out += "  latest figures (no summary yet):\n" }
                figures = run.lastFigures
            }
            for (key, value) in figures { out += "    \(key.padding(toLength: 22, withPad: " ", startingAt: 0)) \(Self.show(value))\n" }
            out += "  rank  events  last step  resets  missing  dropped  finished\n"
            for rank in run.ranks {
                out += "  " + [
                    Self.pad(rank.rank, 4), Self.pad(rank.events, 7), Self.pad(rank.lastStep.map(String.init) ?? "-", 10),
                    Self.pad(rank.resets, 7), Self.pad(rank.missing, 8), Self.pad(rank.dropped, 8),
                    Self.pad(rank.finished ? "yes" : "no", 9),
                ].joined(separator: " ") + "\n"
                for gap in rank.gaps.prefix(10) {
                    out += "        gap: seq \(gap.lowerBound)…\(gap.upperBound) (\(wholeNumbers(from: gap.lowerBound, through: gap.upperBound)) missing)\n"
                }
                if rank.gaps.count > 10 { out += "        … \(rank.gaps.count - 10) more gaps\n" }
            }
            if let pbt = run.pbt { out += pbt.text() }
            out += "\n"
        }
        out += "collector: \(sessions) session(s), \(badFrames) bad frame(s)"
        if !badFramesByReason.isEmpty {
            out += " (" + badFramesByReason.map { "\($0.0) \($0.1)" }.joined(separator: ", ") + ")"
        }
        return out + "\n"
    }

    /// The same content as one JSON object, for scripts.
    public func json() -> JSONValue {
        .object([
            ("runs", .array(runs.map(Self.json))),
            ("collector", .object([
                ("sessions", .int(sessions)),
                ("bad_frames", .int(badFrames)),
                ("bad_frames_by_reason", .object(badFramesByReason.map { ($0.0, .int($0.1)) })),
            ])),
        ])
    }

    /// One run's object; `pbt` only for a run with population-based training.
    private static func json(_ run: RunReport) -> JSONValue {
        var fields: [(String, JSONValue)] = [
            ("run", .string(run.run)),
            ("finished", .bool(run.finished)),
            ("finished_ranks", .int(run.finishedRanks)),
            ("world_size", run.worldSize.map(JSONValue.int) ?? .null),
            ("total_steps", run.totalSteps.map(JSONValue.int) ?? .null),
            ("started_at", run.startedAt.map(JSONValue.double) ?? .null),
            ("finished_at", run.finishedAt.map(JSONValue.double) ?? .null),
            ("events", .int(run.events)),
            ("events_by_kind", .object(run.eventsByKind.map { ($0.0, .int($0.1)) })),
            ("resets", .int(run.resets)),
            ("missing", .int(run.missing)),
            ("dropped", .int(run.dropped)),
            ("summary", run.summary ?? .null),
            ("latest", .object(run.lastFigures)),
            ("config", run.config ?? .null),
            ("ranks", .array(run.ranks.map { rank in
                .object([
                    ("rank", .int(rank.rank)), ("events", .int(rank.events)), ("max_seq", .int(rank.maxSeq)),
                    ("missing", .int(rank.missing)), ("dropped", .int(rank.dropped)),
                    ("resets", .int(rank.resets)), ("last_step", rank.lastStep.map(JSONValue.int) ?? .null),
                    ("finished", .bool(rank.finished)),
                    ("gaps", .array(rank.gaps.map { .array([.int($0.lowerBound), .int($0.upperBound)]) })),
                ])
            })),
        ]
        if let pbt = run.pbt { fields.append(("pbt", pbt.json())) }
        return .object(fields)
    }

    /// Writes one CSV per run (`<run>.csv`) with the metrics view's time series; returns the files.
    public static func exportCSV(path: String, run: String? = nil, directory: String) throws -> [String] {
        let (queue, _) = try TelemetryDatabase.open(path: path, configuration: TelemetryDatabase.configuration(readonly: true)) { _ in () }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let columns = ["rank", "seq", "kind", "step", "time"] + TelemetrySchema.metricColumns
        return try queue.read { db in
            var names = try runNames(db)
            names = RunSelection.pick(names, run)
            var files: [String] = []
            for name in names {
                var csv = columns.joined(separator: ",") + "\n"
                let rows = try Row.fetchCursor(db, sql: """
                    SELECT \(columns.joined(separator: ", ")) FROM (\(TelemetrySchema.metricsQuery)) WHERE run = ? ORDER BY rank, seq
                    """, arguments: [name])
                while let row = try rows.next() {
                    csv += (0..<columns.count).map { index -> String in
                        switch (row[index] as DatabaseValue).storage {
                        case .null: return ""
                        case let .int64(number): return String(number)
                        case let .double(number): return "\(number)"
                        case let .string(text): return csvField(text)
                        case .blob: return ""
                        }
                    }.joined(separator: ",") + "\n"
                }
                let file = URL(fileURLWithPath: directory).appendingPathComponent(RunFileName.of(name) + ".csv").path
                try csv.write(toFile: file, atomically: true, encoding: .utf8)
                files.append(file)
            }
            return files
        }
    }

    private static func csvField(_ text: String) -> String {
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    private static func show(_ value: JSONValue) -> String {
        switch value {
        case let .double(number): return String(format: "%.4g", number)
        case let .string(text): return text
        default: return value.serialized
        }
    }

    private static func pad(_ value: CustomStringConvertible, _ width: Int) -> String {
        let text = value.description
        return text.count >= width ? text : String(repeating: " ", count: width - text.count) + text
    }

    private static func timestamp(_ time: Double) -> String {
        let formatter = ISO8601DateFormatter()
        return formatter.string(from: Date(timeIntervalSince1970: time))
    }
}
