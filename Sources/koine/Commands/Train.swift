import ArgumentParser
import Foundation
import KoineTelemetry
import KoineTensor
import KoineTrainer

struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train a population on a configuration and write its run directory.")

    @Option(name: .long, help: "The YAML configuration file.")
    var config: String

    @Option(name: .customLong("set"), help: "Override a configuration key, e.g. --set train.steps=1000 (repeatable).")
    var overrides: [String] = []

    @Option(name: .long, help: "The run directory to create (default runs/<config name>-<time>).")
    var out: String?

    @Option(name: .long, help: "Where to send telemetry: tcp://HOST:PORT, ipc://PATH or none (overrides telemetry.endpoint).")
    var telemetry: String?

    @Flag(name: .long, help: "No progress line.")
    var quiet = false

    func run() throws {
        var overrides = self.overrides
        if let telemetry { overrides.append("telemetry.endpoint=\(telemetry)") }
        let configuration: Configuration
        let directory: URL
        do {
            configuration = try Configuration.load(file: config, overrides: overrides)
            directory = URL(fileURLWithPath: out ?? defaultRunDirectory())
            try RunDirectory.check(directory)
        } catch let error as ConfigurationError {
            throw UsageFailure(error.message)
        }
        BLAS.threads = ProcessInfo.processInfo.environment["OPENBLAS_NUM_THREADS"].flatMap(Int.init) ?? 1
        let runIdentifier = directory.lastPathComponent
        let sink: TelemetrySink
        do {
            sink = try makeTelemetrySink(endpoint: configuration.telemetryEndpoint, run: runIdentifier, rank: 0)
        } catch {
            throw UsageFailure("telemetry.endpoint \(configuration.telemetryEndpoint): \(error)")
        }
        let run: RunDirectory
        do {
            run = try RunDirectory(url: directory, configuration: configuration)
        } catch let error as ConfigurationError {
            throw UsageFailure(error.message)
        }
        let progress = Progress(enabled: !quiet)
        let trainer = try Trainer(configuration: configuration, run: run, telemetry: sink, progress: progress,
                                  runIdentifier: runIdentifier)
        let summary = try trainer.train()
        sink.close()
        if !quiet {
            FileHandle.standardError.write(Data((
                "wrote \(directory.path): accuracy \(String(format: "%.3f", summary.accuracy)), "
                + "topsim \(String(format: "%.3f", summary.topographicSimilarity)), "
                + "\(Int(summary.gamesPerSecond)) games/s\n").utf8))
        }
    }

    private func defaultRunDirectory() -> String {
        let name = URL(fileURLWithPath: config).deletingPathExtension().lastPathComponent
        let formatter = DateFormatter()
        formatter.dateFormat = "yyyyMMdd-HHmmss"
        formatter.timeZone = TimeZone(identifier: "UTC")
        return "runs/\(name)-\(formatter.string(from: Date()))"
    }
}
