import ArgumentParser
import Foundation
import KoineStudy
import KoineTelemetry

/// `koine compare`: statistics and curves of sweeps' and runs' conditions.
struct Compare: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Compare conditions over seeds: means with 95% confidence intervals, Welch's t-tests, curves as SVG.",
        discussion: """
            Arguments are sweep directories (their conditions) and run directories (grouped by configuration, \
            the seed aside). Per condition and figure: n, mean ± 95% CI (Student t) of the final value and of \
            the mean over each run's last 10 evaluations. Welch's t-test (t, df, two-sided p) for each --versus \
            pair, or every pair when there are at most 4 conditions. Curves go to --plots as SVG (and PNG when \
            rsvg-convert is installed).
            Example: koine compare sweeps/li-bowling --versus reset no-reset
            """)

    @Argument(help: "Sweep directories and run directories.")
    var directories: [String] = []

    @Option(name: .long, parsing: .upToNextOption, help: "Test condition A against condition B (repeatable: --versus A B).")
    var versus: [String] = []

    @Option(name: .long, help: "Where the SVG curves go (default: DIR/compare for a sweep DIR given first, else ./compare).")
    var plots: String?

    @Flag(name: .customLong("no-plots"), help: "Draw no curves.")
    var noPlots = false

    @Flag(name: .long, help: "Print the statistics as JSON instead of the table.")
    var json = false

    @Option(name: .long, help: "Also write conditions.csv and tests.csv to this directory.")
    var csv: String?

    @Option(name: .long, help: "Count each condition's runs whose final FIGURE is above VALUE (repeatable), e.g. --above topsim_li_bowling=0.9.")
    var above: [String] = []

    @Option(name: .long, help: "A pre-registered study file (YAML): its endpoints are reported first, everything else as exploratory. Alone, without directories, it prints the plan and its power.")
    var study: String?

    @Flag(name: .long, help: "Also summarise population-based training per condition (rounds, copies, founders left, each hyperparameter after the last round) and draw its schedules.")
    var pbt = false

    @Flag(name: .long, help: "With --study, while a study is still running: endpoints whose conditions have no runs yet are listed as pending instead of refused, and Holm's correction covers the decided ones.")
    var interim = false

    func run() throws {
        let plan: StudyPlan?
        do {
            plan = try study.map(StudyPlan.load)
        } catch let error as StudyError {
            throw UsageFailure(error.message)
        }
        if pbt && json {
            throw UsageFailure("--pbt prints a table: give it without --json")
        }
        if interim && plan == nil {
            throw UsageFailure("--interim: it qualifies a pre-registered study; give --study FILE too")
        }
        if let plan, directories.isEmpty {
            if pbt { throw UsageFailure("--pbt: it summarises runs; give sweep or run directories too") }
            print(plan.summary, terminator: "")
            return
        }
        // --versus takes every word up to the next option, so directories go first.
        guard !directories.isEmpty else {
            throw UsageFailure("compare: give sweep or run directories before any --versus, e.g. koine compare sweeps/NAME --versus A B")
        }
        guard versus.count % 2 == 0 else {
            throw UsageFailure("--versus takes two condition names (directories go before it), e.g. --versus reset no-reset")
        }
        let pairs = stride(from: 0, to: versus.count, by: 2).map { (versus[$0], versus[$0 + 1]) }
        let thresholds = try above.map { text -> (figure: String, value: Double) in
            let parts = text.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, !parts[0].isEmpty, let value = Double(parts[1]), value.isFinite else {
                throw UsageFailure("--above \(TerminalText.safe(text)): expected FIGURE=VALUE, e.g. --above topsim_li_bowling=0.9")
            }
            return (parts[0], value)
        }
        let conditions: [Condition]
        let comparison: Comparison
        let report: StudyReport?
        do {
            conditions = try ConditionGathering.gather(directories)
            comparison = try Comparison(conditions, pairs: pairs, thresholds: thresholds)
            report = try plan.map { try StudyReport(plan: $0, conditions: conditions, interim: interim) }
        } catch let error as StudyError {
            throw UsageFailure(error.message)
        }
        // Refused before anything is printed: a sweep without rounds is one line, not a table and then an error.
        let pbtSummaries = pbt ? ComparePBT.summaries(conditions) : []
        if pbt && pbtSummaries.isEmpty {
            throw UsageFailure("--pbt: no finished run of \(TerminalText.safe(directories.joined(separator: ", "))) has population-based training rounds")
        }
        if let report {
            print(json ? StudyReport.json(report, exploratory: comparison)
                       : report.table + "\n" + StudyReport.exploratoryHeading + "\n" + comparison.table, terminator: "")
        } else {
            print(json ? comparison.json : comparison.table, terminator: "")
        }
        if pbt { print("\n" + ComparePBT.table(pbtSummaries), terminator: "") }
        if let csv {
            guard !csv.isEmpty else { throw UsageFailure("compare: --csv \"\": expected a directory name, found an empty one") }
            do {
                try FileManager.default.createDirectory(atPath: csv, withIntermediateDirectories: true)
                try comparison.conditionsCSV.write(toFile: csv + "/conditions.csv", atomically: true, encoding: .utf8)
                try comparison.testsCSV.write(toFile: csv + "/tests.csv", atomically: true, encoding: .utf8)
            } catch {
                throw cannotWrite("--csv \(csv)", error)
            }
        }
        if noPlots { return }
        let folder = plots ?? (FileManager.default.fileExists(atPath: directories[0] + "/index.json")
            ? directories[0] + "/compare" : "compare")
        guard !folder.isEmpty else { throw UsageFailure("compare: --plots \"\": expected a directory name, found an empty one (or --no-plots)") }
        var written: [String] = []
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            for (name, chart) in ComparisonPlots.charts(conditions) {
                written += try SVGFile.write(chart.svg(), to: "\(folder)/\(name).svg")
            }
            for (name, chart) in ComparisonPlots.strips(conditions) {
                written += try SVGFile.write(chart.svg(), to: "\(folder)/\(name).svg")
            }
            for (name, chart) in ComparePBT.charts(pbtSummaries) {
                written += try SVGFile.write(chart.svg(), to: "\(folder)/\(name).svg")
            }
        } catch {
            throw cannotWrite("--plots \(folder)", error)
        }
        // With --json, standard output stays one JSON document.
        let note = "wrote \(written.count) plot file(s) to \(folder)\n"
        if json { FileHandle.standardError.write(Data(note.utf8)) } else { print(note, terminator: "") }
    }

    /// A directory the figures cannot go to: the environment failing, one line and exit 1.
    private func cannotWrite(_ option: String, _ error: Error) -> Error {
        FileHandle.standardError.write(Data("koine: compare: \(TerminalText.safe(option)): cannot write (\(FileErrorText.reason(error)))\n".utf8))
        return ExitCode(1)
    }
}
