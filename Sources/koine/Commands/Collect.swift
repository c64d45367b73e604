import ArgumentParser
import Dispatch
import Foundation
import KoineCollector
import KoineTelemetry

extension Collect {
    /// The secret key from `--secret-key FILE`, else from the environment, else nil.
    func givenSecretKey() throws -> String? {
        do {
            if let secretKey { return try TelemetryKeys.read(file: secretKey) }
            guard let key = ProcessInfo.processInfo.environment[TelemetryKeys.serverSecretVariable] else { return nil }
            if let problem = TelemetryKeys.problem(with: key) { throw TelemetryError.invalidKey(TelemetryKeys.serverSecretVariable, problem) }
            return key
        } catch let error as TelemetryError {
            throw UsageFailure("collect: \(secretKey == nil ? "" : "--secret-key ")\(error)")
        }
    }
}

/// Stops `collector` once `parent` is no longer this process's parent: an orphan is
/// adopted by another process, so polling getppid works on every system and needs no
/// cooperation from a parent that was killed.
private func watch(parent: Int32, _ collector: Collector) {
    Thread.detachNewThread {
        while getppid() == parent { usleep(100_000) }
        collector.stop()
    }
}

/// `koine collect`: receives every rank's telemetry and stores it in SQLite, showing the
/// runs live until SIGINT or SIGTERM.
struct Collect: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Receive telemetry from every rank, store it in SQLite and show the runs live.",
        discussion: """
            Binds a ZeroMQ PULL socket (loopback by default; use tcp://0.0.0.0:PORT or a host's \
            address to listen on another interface) and stores every event in the database, in \
            WAL mode. Runs until interrupted (Ctrl-C or SIGTERM), then stores what is left and exits 0.
            Example: koine collect --db runs/telemetry.sqlite
            """)

    @Option(name: .long, help: "Endpoint to bind: tcp://HOST:PORT, ipc://PATH or inproc://NAME.")
    var bind = Collector.defaultBind

    @Option(name: .long, help: "SQLite database to store into (created with its directory if missing).")
    var db = Collector.defaultDatabase

    @Flag(name: .long, help: "Print nothing but errors (for scripts).")
    var quiet = false

    @Option(name: .long, help: "Also write every stored event as TensorBoard files under DIR (one run per Koine run and rank).")
    var tensorboard: String?

    @Option(name: .long, help: "Serve Prometheus metrics at http://HOST:PORT/metrics; a port alone binds loopback (e.g. 9464).")
    var metrics: String?

    @Option(name: .customLong("secret-key"), help: ArgumentHelp(
        "The collector's CURVE secret key file from `koine keys` (or the key in $KOINE_TELEMETRY_SERVER_SECRET): only ranks given its public key can send, encrypted.",
        valueName: "file"))
    var secretKey: String?

    @Flag(name: .long, help: "Listen beyond this host without keys: anyone who can reach the port can then send (forge) and read telemetry.")
    var insecure = false

    @Option(name: .long, help: .hidden)
    var benchmark: Int?

    /// Set by `koine launch`: stop (storing what arrived) once that process is gone, however
    /// it ended — kill -9 included, when it has no chance to stop us.
    @Option(name: .customLong("parent"), help: .hidden)
    var parent: Int32?

    func run() throws {
        if let events = benchmark {
            // Hidden: measures emit cost and ingest rate in a scratch directory (scripts/bench-telemetry).
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("koine-bench-\(getpid())")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: directory) }
            if ProcessInfo.processInfo.environment["KOINE_BENCH_PARTS"] != nil {
                try TelemetryBenchmark.components(events: events, directory: directory.path) { print($0) }
            }
            _ = try TelemetryBenchmark.run(events: events, directory: directory.path) { print($0) }
            return
        }
        let key = try givenSecretKey()
        if key == nil, !insecure, let endpoint = try? Endpoint(parsing: bind, allowNone: false), !endpoint.isLoopback {
            throw UsageFailure("collect: --bind \(bind): refusing to listen beyond this host without keys, where anyone could forge or read telemetry; give --secret-key FILE (from koine keys) or --insecure")
        }
        // An address without a host (":9473") would be every interface: refused, like --bind, without --insecure.
        let metricsAddress = metrics.map { $0.contains(":") ? $0 : "127.0.0.1:\($0)" } ?? ""
        let metricsHost = metricsAddress.split(separator: ":", omittingEmptySubsequences: false).first.map(String.init) ?? ""
        if metrics != nil, !metricsHost.hasPrefix("127."), !insecure {
            throw UsageFailure("collect: --metrics \(metrics ?? ""): refusing to serve metrics beyond this host (\(metricsHost.isEmpty ? "every interface" : metricsHost)) without --insecure; give 127.0.0.1:PORT, or --insecure")
        }
        let collector: Collector
        do {
            collector = try Collector(bind: bind, database: db, quiet: quiet, secretKey: key, tensorBoard: tensorboard)
        } catch let error as CollectorError {
            FileHandle.standardError.write(Data("koine collect: \(error)\n".utf8))
            throw ExitCode(2)
        }
        var server: MetricsServer?
        if let metrics {
            do {
                server = try MetricsServer(address: metricsAddress) { collector.prometheusText }
            } catch {
                FileHandle.standardError.write(Data("koine collect: \(error)\n".utf8))
                throw ExitCode(2)
            }
            if !quiet, let server {
                let beyond = metricsHost.hasPrefix("127.") ? "" : " (beyond this host: anyone who reaches it can read them)"
                print("koine collect: Prometheus metrics at http://\(server.address)/metrics" + beyond)
            }
        }
        defer { server?.stop() }
        // Signals become a stop request, so the last batch is always written.
        var sources: [DispatchSourceSignal] = []
        for number in [SIGINT, SIGTERM] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { collector.stop() }
            source.resume()
            sources.append(source)
        }
        if let parent { watch(parent: parent, collector) }
        try collector.run()
        sources.forEach { $0.cancel() }
        let statistics = collector.currentStatistics
        if !quiet || statistics.unstored > 0 {
            print("koine collect: stopped; \(statistics.stored) events stored in \(db), \(statistics.duplicates) duplicates, \(statistics.bad) bad frames"
                  + (statistics.unstored > 0 ? ", \(statistics.unstored) events NOT stored" : ""))
        }
        // A full disk (database or TensorBoard files) is the environment failing: exit 1.
        if collector.writerFailed { throw ExitCode(1) }
    }
}
