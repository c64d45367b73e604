import ArgumentParser
import Foundation
import KoineCollector
import KoineTelemetry

/// `koine report`: what a telemetry database says about its runs.
struct Report: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Summarize the runs in a telemetry database, and export their metrics as CSV.",
        discussion: """
            Prints per-run tables: final figures (from run_finished), resets, lost events (missing \
            seqs and events the ranks dropped) with their gaps, and the bad frames the collector refused.
            Example: koine report --db runs/telemetry.sqlite --csv out/
            """)

    @Option(name: .long, help: "The telemetry database `koine collect` wrote.")
    var db: String

    @Option(name: .customLong("run"), help: "Only this run (its id).")
    var runIdentifier: String?

    @Option(name: .long, help: "Write one CSV of metrics per run into this directory.")
    var csv: String?

    @Flag(name: .long, help: "Print JSON instead of tables.")
    var json = false

    func run() throws {
        let report: TelemetryReport
        do {
            report = try TelemetryReport.load(path: db, run: runIdentifier)
        } catch {
            fail("--db \(error)")
        }
        if let run = runIdentifier, report.runs.isEmpty { fail("--run \(run): no such run in \(db)") }
        if let csv {
            do {
                let files = try TelemetryReport.exportCSV(path: db, run: runIdentifier, directory: csv)
                if !json { files.forEach { print("wrote \($0)") } }
            } catch {
                fail("--csv \(csv): cannot write the CSV files (\(error))")
            }
        }
        if json {
            print(report.json().serialized)
        } else {
            print(report.text(), terminator: "")
        }
    }

    private func fail(_ message: String) -> Never {
        FileHandle.standardError.write(Data("koine report: \(message)\n".utf8))
        Foundation.exit(2)
    }
}
