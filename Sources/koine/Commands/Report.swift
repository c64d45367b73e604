import ArgumentParser
import Foundation
import KoineCollector
import KoineStudy
import KoineTelemetry

/// `koine report`: what a telemetry database says about its runs.
struct Report: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Summarize the runs in a telemetry database, and export their metrics as CSV.",
        discussion: """
            Prints per-run tables: final figures (from run_finished), resets, lost events (missing \
            seqs and events the ranks dropped) with their gaps, and the bad frames the collector refused; \
            for population-based training, every copy and whose state each member ends with.
            Example: koine report --db runs/telemetry.sqlite --csv out/ --plot plots/
            """)

    @Option(name: .long, help: "The telemetry database `koine collect` wrote.")
    var db: String

    @Option(name: .customLong("run"), help: "Only this run (its id).")
    var runIdentifier: String?

    @Option(name: .long, help: "Write one CSV of metrics per run into this directory.")
    var csv: String?

    @Option(name: .long, help: "Write SVG plots of each run's curves into this directory (and PNGs when rsvg-convert is installed).")
    var plot: String?

    @Option(name: .long, help: "Write one self-contained HTML page of the runs (plots inline) to this file.")
    var html: String?

    @Option(name: .long, help: "Where the run directories are, for the page's lexicon tables (DIR/<run>/lexicon.tsv) and population-based training's lineage and round lexicons (metrics.jsonl, pbt/).")
    var runs = "runs"

    @Flag(name: .long, help: "Print JSON instead of tables.")
    var json = false

    func run() throws {
        var report: TelemetryReport
        do {
            report = try TelemetryReport.load(path: db, run: runIdentifier)
        } catch {
            fail("--db \(error)")
        }
        if let run = runIdentifier, report.runs.isEmpty { fail("--run \(run): no such run in \(db)") }
        let folders = RunFolders(runs)
        for index in report.runs.indices {
            let run = report.runs[index]
            report.runs[index].pbt = PBTReport.combining(run.pbt, directory: folders.directory(of: run.run), worldSize: run.worldSize,
                                                         lastStep: run.totalSteps)
        }
        if let csv {
            do {
                let files = try TelemetryReport.exportCSV(path: db, run: runIdentifier, directory: csv)
                if !json { files.forEach { print("wrote \($0)") } }
            } catch {
                fail("--csv \(csv): cannot write the CSV files (\(FileErrorText.reason(error)))")
            }
        }
        if let plot {
            do {
                let files = try plotCurves(into: plot, report: report)
                if !json { files.forEach { print("wrote \($0)") } }
            } catch {
                fail("--plot \(plot): cannot write the plots (\(FileErrorText.reason(error)))")
            }
        }
        if let html {
            do {
                let page = ReportPage.render(report: report, curves: try RunCurves.load(path: db, run: runIdentifier), database: db,
                                            folders: folders)
                try page.write(toFile: html, atomically: true, encoding: .utf8)
                if !json { print("wrote \(html)") }
            } catch {
                fail("--html \(html): cannot write the page (\(FileErrorText.reason(error)))")
            }
        }
        if json {
            print(report.json().serialized)
        } else {
            print(report.text(), terminator: "")
        }
    }

    /// One chart per run and figure, a line per rank, resets as ticks on the
    /// axis; and a run's population-based training figures.
    private func plotCurves(into directory: String, report: TelemetryReport) throws -> [String] {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var files: [String] = []
        func write(_ svg: String, run: String, figure: String) throws {
            let name = "\(RunFileName.of(run))-\(RunFileName.of(figure.replacingOccurrences(of: " ", with: "-"))).svg"
            files += try SVGFile.write(svg, to: (directory as NSString).appendingPathComponent(name))
        }
        for curves in try RunCurves.load(path: db, run: runIdentifier) {
            for (figure, chart) in Self.charts(curves, titled: { "\(curves.run): \($0)" }) {
                try write(chart.svg(), run: curves.run, figure: figure)
            }
        }
        for run in report.runs {
            guard let pbt = run.pbt else { continue }
            for (figure, svg) in PBTFigures.all(pbt, titled: { "\(run.run): \($0)" }) { try write(svg, run: run.run, figure: figure) }
        }
        return files
    }

    /// A chart per figure of a run: a line per rank, its resets as ticks.
    static func charts(_ curves: RunCurves, titled title: (String) -> String) -> [(figure: String, chart: LineChart)] {
        curves.figures.map { figure in
            let series = figure.ranks.map { rank, points in
                LineChart.Series(name: "rank \(rank)", points: points.map { LineChart.Point(x: Double($0.step), y: $0.value) },
                                 marks: (curves.resets[rank] ?? []).map(Double.init))
            }
            return (figure.name, LineChart(title: title(figure.name), xLabel: "step", yLabel: figure.name, series: series))
        }
    }

    private func fail(_ message: String) -> Never {
        FileHandle.standardError.write(Data("koine report: \(message)\n".utf8))
        Foundation.exit(2)
    }
}
