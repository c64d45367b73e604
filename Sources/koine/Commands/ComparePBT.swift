import KoineCollector
import KoineStudy

/// `koine compare --pbt`: what population-based training did in each
/// condition of a sweep, as a table (rounds, copies and founders left per
/// run, each hyperparameter after the last round: median and middle half over
/// every member of every run) and a chart per condition and hyperparameter
/// (every member's value round after round, a colour per run).
enum ComparePBT {
    static func summaries(_ conditions: [Condition]) -> [PBTConditionSummary] {
        conditions.map { PBTConditionSummary(condition: $0.name, directories: $0.finished.map(\.directory)) }
            .filter { !$0.runs.isEmpty }
    }

    static func table(_ summaries: [PBTConditionSummary]) -> String {
        let names = summaries.reduce(into: [String]()) { names, summary in
            for name in summary.hyperparameters where !names.contains(name) { names.append(name) }
        }
        var out = "Population-based training (descriptive)\n"
        let header = ["condition", "runs", "rounds", "copies a run", "founders left"] + names.map { "\($0) after the last round, median (middle half)" }
        out += "| " + header.joined(separator: " | ") + " |\n|" + String(repeating: "---|", count: header.count) + "\n"
        for summary in summaries {
            var cells = [summary.condition, String(summary.runs.count), number(summary.meanRounds),
                         number(summary.meanCopies), "\(number(summary.meanFoundersLeft)) of \(summary.members)"]
            for name in names {
                let values = summary.finalValues(name).filter(\.isFinite).sorted()
                cells.append(values.isEmpty ? "–" : "\(number(Percentile.of(sorted: values, 0.5))) "
                    + "(\(number(Percentile.of(sorted: values, 0.25)))–\(number(Percentile.of(sorted: values, 0.75))))")
            }
            out += "| " + cells.joined(separator: " | ") + " |\n"
        }
        for summary in summaries { for note in summary.notes { out += "note: \(note)\n" } }
        return out
    }

    /// Three significant digits; whole numbers of 100 or more as they are.
    static func number(_ value: Double) -> String {
        guard value.isFinite else { return "–" }
        return abs(value) >= 100 ? String(Int(value.rounded())) : FigureText.of(Double(String(format: "%.3g", value)) ?? value)
    }

    /// A condition's name as part of a file name: a sweep's grid values may hold a '/'.
    static func fileName(_ condition: String) -> String {
        String(condition.map { $0.isASCII && ($0.isLetter || $0.isNumber || "._=,-".contains($0)) ? $0 : "_" })
    }

    /// `schedule-<condition>-<hyperparameter>` for each condition and hyperparameter it explored.
    static func charts(_ summaries: [PBTConditionSummary]) -> [(name: String, chart: LineChart)] {
        summaries.flatMap { summary in
            summary.hyperparameters.map { name in
                let logarithmic = name == "learning_rate"
                let series = summary.runs.enumerated().flatMap { index, run in
                    (0..<run.lineage.members).map { member in
                        LineChart.Series(name: run.name, points: run.lineage.schedule(name, member: member)
                            .map { LineChart.Point(x: Double($0.step), y: $0.value) }, colour: index, inLegend: member == 0)
                    }
                }
                var chart = LineChart(title: "\(summary.condition): \(name) per member, a colour per run", xLabel: "step",
                                      yLabel: name + (logarithmic ? " (log scale)" : ""), series: series)
                chart.yLogarithmic = logarithmic
                chart.xFromZero = true
                return ("schedule-\(fileName(summary.condition))-\(name)", chart)
            }
        }
    }
}
