import Foundation
import KoineCollector
import KoineStudy
import KoineTelemetry

/// `koine compare --pbt`: what population-based training did in each
/// condition of a sweep, as a table (rounds, copies and founders left per
/// run, each hyperparameter after the last round: median and middle half over
/// every member of every run) and a chart per condition and hyperparameter
/// (every member's value round after round, a colour per run, the palette's
/// eight repeating past eight runs).
enum ComparePBT {
    static func summaries(_ conditions: [Condition]) -> [PBTConditionSummary] {
        conditions.map { condition in
            PBTConditionSummary(condition: condition.name, runs: condition.finished.map { run in
                (run.directory, run.summary?["world_size"].flatMap { $0.isFinite && $0 >= 1 && $0 <= 1e6 ? Int($0) : nil })
            })
        }.filter { !$0.runs.isEmpty }
    }

    static func table(_ summaries: [PBTConditionSummary]) -> String {
        let names = summaries.reduce(into: [String]()) { names, summary in
            for name in summary.hyperparameters where !names.contains(name) { names.append(name) }
        }
        var out = "Population-based training (descriptive)\n"
        let header = ["condition", "runs", "rounds", "copies a run", "founders left"]
            + names.map { "\($0) after the last round, median (middle half)" }
        out += "| " + header.map(cell).joined(separator: " | ") + " |\n|" + String(repeating: "---|", count: header.count) + "\n"
        for summary in summaries {
            let members = summary.members
            let of = members.lowerBound == members.upperBound ? "\(members.lowerBound)" : "\(members.lowerBound)–\(members.upperBound)"
            var cells = [summary.condition, String(summary.runs.count), number(summary.meanRounds),
                         number(summary.meanCopies), "\(number(summary.meanFoundersLeft)) of \(of)"]
            for name in names {
                let values = summary.finalValues(name).filter(\.isFinite).sorted()
                cells.append(values.isEmpty ? "–" : "\(number(Percentile.of(sorted: values, 0.5))) "
                    + "(\(number(Percentile.of(sorted: values, 0.25)))–\(number(Percentile.of(sorted: values, 0.75))))")
            }
            out += "| " + cells.map(cell).joined(separator: " | ") + " |\n"
        }
        for summary in summaries { for note in summary.notes { out += "note: \(TerminalText.safe(note))\n" } }
        return out
    }

    /// Text from the files as one table cell: nothing a terminal acts on, no column break.
    static func cell(_ text: String) -> String {
        TerminalText.safe(text).replacingOccurrences(of: "|", with: "\\|")
    }

    /// Three significant digits, whole numbers of 100 or more rounded to the unit.
    static func number(_ value: Double) -> String {
        guard value.isFinite else { return "–" }
        return abs(value) >= 100 ? String(format: "%.0f", value) : FigureText.of(Double(String(format: "%.3g", value)) ?? value)
    }

    /// A name as part of a file name: letters, digits and `._=,-` kept, any
    /// other character as `_` and its code in hex (a sweep's grid values may
    /// hold a '/', and names that differ stay apart).
    static func fileName(_ name: String) -> String {
        name.unicodeScalars.map { scalar in
            scalar.isASCII && (CharacterSet.alphanumerics.contains(scalar) || "._=,-".unicodeScalars.contains(scalar))
                ? String(scalar) : "_" + String(scalar.value, radix: 16)
        }.joined()
    }

    /// `schedule-<condition>-<hyperparameter>` for each condition and hyperparameter it explored.
    static func charts(_ summaries: [PBTConditionSummary]) -> [(name: String, chart: LineChart)] {
        summaries.flatMap { summary in
            summary.hyperparameters.map { name in
                let logarithmic = name == "learning_rate"
                let series = summary.runs.enumerated().flatMap { index, run in
                    (0..<run.lineage.members).map { member in
                        LineChart.Series(name: run.name, points: run.lineage.schedule(name, member: member)
                            .map { LineChart.Point(x: Double($0.step), y: $0.value) }, paletteIndex: index, inLegend: member == 0)
                    }
                }
                var chart = LineChart(title: "\(summary.condition): \(name) per member, a colour per run", xLabel: "step",
                                      yLabel: name + (logarithmic ? " (log scale)" : ""), series: series)
                chart.yLogarithmic = logarithmic
                chart.xFromZero = true
                return ("schedule-\(fileName(summary.condition))-\(fileName(name))", chart)
            }
        }
    }
}
