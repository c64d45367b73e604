import ArgumentParser
import Dispatch
import Foundation
import KoineCluster
import KoineLaunch
import KoineTelemetry
import KoineTrainer

/// `koine launch`: the local multi-process mode. Runs N ranks of `koine train`
/// on this host through `mpirun`, with a telemetry collector alongside.
struct Launch: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run N ranks of `koine train` on this host through mpirun, with a telemetry collector alongside.",
        discussion: """
            Adds --oversubscribe when N exceeds the cores, Open MPI's root allowances only when \
            running as root, and one BLAS thread per rank; pins ranks to cores only when each has \
            one of its own. SIGTERM makes every rank checkpoint and stop; Ctrl-C stops every rank at once. Exits with \
            mpirun's status, which is the failing rank's. Arguments after -- go to every rank unchanged.
            Example: koine launch --np 2 --config configs/quick.yaml
            """)

    @Option(name: .customLong("np"), help: "How many ranks.")
    var ranks: Int

    @OptionGroup var options: RunOptions

    @Flag(name: .customLong("no-collector"), help: "Do not start a telemetry collector, even when none is listening.")
    var noCollector = false

    @Option(name: .long, help: "The collector launch starts also writes TensorBoard files under DIR.")
    var tensorboard: String?

    @Option(name: .long, help: "The mpirun to use (default: mpirun on PATH).")
    var mpirun: String?

    @Option(name: .long, help: "Spread ranks over the hosts of this Open MPI hostfile instead of this host alone.")
    var hostfile: String?

    @Option(name: .customLong("bind-to"),
            help: "Pin each rank to a core (core) or not (none). Default: core on this host when every rank has a core of its own, else none (hosts in a hostfile may share one machine's cores).")
    var binding: Binding?

    @Flag(name: .customLong("dry-run"), help: "Print the mpirun command and the collector decision, and run nothing.")
    var dryRun = false

    /// Which subcommand the ranks run; `doctor` checks the MPI setup end to end.
    @Option(name: .long, help: .hidden)
    var command = "train"

    @Argument(parsing: .postTerminator, help: "Further arguments for every rank, after --.")
    var passthrough: [String] = []

    /// Why `path` cannot be a hostfile, or nil when it is a readable regular file.
    static func problem(hostfile path: String) -> String? {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { return "no such file" }
        if isDirectory.boolValue { return "is a directory, not a hostfile" }
        guard FileManager.default.isReadableFile(atPath: path) else { return "not readable" }
        return nil
    }

    func run() throws {
        guard ranks >= 1 else { throw UsageFailure("launch: --np must be at least 1, got \(ranks)") }
        guard ["train", "doctor"].contains(command) else {
            throw UsageFailure("launch: --command must be train or doctor, got \(command)")
        }
        let request = LaunchRequest(command: command, config: options.config, overrides: options.overrides, out: options.out,
                                    resume: options.resume, telemetry: options.telemetry, passthrough: passthrough)
        if let hostfile, let problem = Launch.problem(hostfile: hostfile) {
            // Checked here: mpirun would answer with a dozen lines and an internal error.
            throw UsageFailure("launch: --hostfile \(hostfile): \(problem)")
        }
        let endpoint = try resolveEndpoint(request)
        let mpirunPath = try findMPIRun()
        let program = HostResources.currentExecutable()
        let plan = MPIRunPlan(mpirun: mpirunPath, ranks: ranks, cores: HostResources.physicalCores(),
                              runningAsRoot: HostResources.isRunningAsRoot, program: program,
                              programArguments: request.programArguments, hostfile: hostfile, binding: binding)
        let collectorPlan = CollectorPlan.decide(
            endpoint: endpoint, disabled: noCollector, command: command, runDirectory: options.out ?? options.resume,
            isListening: { $0.isListening() })

        if dryRun {
            print(plan.commandLine)
            switch collectorPlan {
            case let .start(bind, database):
                print("collector: \(program) \(collectorArguments(bind: bind, database: database).joined(separator: " "))")
            case let .skip(reason): print("collector: none (\(reason))")
            case let .warnUnreachable(endpoint): print("collector: none (nothing answers on \(endpoint))")
            }
            return
        }

        note(plan.commandLine)
        let keys = try telemetryKeys(collectorPlan)
        let collector = startCollector(collectorPlan, program: program, secretKey: keys.secretKey)
        let status = try runMPIRun(plan, serverKey: keys.serverKey)
        stopCollector(collector)
        if status != 0 { throw ExitCode(status) }
    }

    /// The endpoint ranks will send to: `--telemetry`, else the config's own
    /// (reading it here also catches a bad config once, before N ranks start).
    private func resolveEndpoint(_ request: LaunchRequest) throws -> String {
        guard command == "train" else { return "none" }
        do {
            // Loaded with the same overrides the ranks get; --telemetry wins over them.
            let configuration: Configuration
            if let resume = request.resume {
                configuration = try Resume.configuration(run: resume, config: request.configFile, overrides: request.allOverrides)
            } else if let config = request.configFile {
                configuration = try Configuration.load(file: config, overrides: request.allOverrides)
            } else {
                throw UsageFailure("launch: --config is required to train (koine launch --np N --config FILE), or --resume DIR")
            }
            return request.telemetryEndpoint ?? configuration.telemetry.endpoint
        } catch let error as ConfigurationError {
            throw UsageFailure(error.message)
        }
    }

    private func findMPIRun() throws -> String {
        let install = "install Open MPI with: sudo apt-get install openmpi-bin libopenmpi-dev"
        if let mpirun {
            guard let found = HostResources.findExecutable(mpirun) else {
                throw UsageFailure("launch: --mpirun \(mpirun): no such executable; \(install)")
            }
            return found
        }
        guard let found = HostResources.findExecutable("mpirun") else {
            throw UsageFailure("launch: mpirun is not on PATH; \(install)")
        }
        return found
    }

    /// The CURVE keys of this launch: a collector it starts gets a key pair made for it
    /// alone (or the one in $KOINE_TELEMETRY_SERVER_SECRET), so only these ranks can send
    /// to it; otherwise the ranks keep whatever server key the environment gives them.
    private func telemetryKeys(_ plan: CollectorPlan) throws -> (secretKey: String?, serverKey: String?) {
        let environment = ProcessInfo.processInfo.environment
        guard case .start = plan, TelemetryKeys.isAvailable else { return (nil, environment[TelemetryKeys.serverKeyVariable]) }
        if let secret = environment[TelemetryKeys.serverSecretVariable] {
            if let problem = TelemetryKeys.problem(with: secret) {
                throw UsageFailure("launch: \(TelemetryKeys.serverSecretVariable): \(problem)")
            }
            return (secret, try TelemetryKeys.publicKey(secretKey: secret))
        }
        let pair = try TelemetryKeys.makePair()
        return (pair.secretKey, pair.publicKey)
    }

    /// Runs mpirun in its own process group and forwards Ctrl-C and SIGTERM to
    /// it (a first SIGTERM as SIGUSR1, so the ranks checkpoint): mpirun then stops every rank, and the collector (in another group)
    /// keeps running long enough to store their last events. The server key goes to
    /// the ranks through the environment (`-x` carries it to other hosts), never on a
    /// command line that every user of the machine can read.
    private func runMPIRun(_ plan: MPIRunPlan, serverKey: String?) throws -> Int32 {
        let forwarded = [SIGINT, SIGTERM, SIGHUP]
        for signal in forwarded { Foundation.signal(signal, SIG_IGN) }
        let child: ChildProcess
        do {
            var environment = plan.environment
            var arguments = plan.arguments
            if let serverKey {
                environment[TelemetryKeys.serverKeyVariable] = serverKey
                arguments.insert(contentsOf: ["-x", TelemetryKeys.serverKeyVariable], at: 0)
            }
            child = try ChildProcess(executable: plan.executable, arguments: arguments,
                                     environment: environment, ownProcessGroup: true)
        } catch {
            throw UsageFailure("launch: \(error)")
        }
        let pid = child.identifier
        let received = ReceivedSignal()
        let sources = forwarded.map { signal -> DispatchSourceSignal in
            let source = DispatchSource.makeSignalSource(signal: signal, queue: .global())
            source.setEventHandler {
                // A first SIGTERM asks the ranks to checkpoint and stop: mpirun
                // passes SIGUSR1 straight on to every rank (koine train treats
                // it as SIGTERM), while a SIGTERM it holds back a second, then
                // kills the ranks a second later. Ctrl-C, SIGHUP and a second
                // SIGTERM stop them at once.
                let first = received.record(signal)
                kill(pid, signal == SIGTERM && first ? SIGUSR1 : signal)
            }
            source.resume()
            return source
        }
        let status = child.wait()
        sources.forEach { $0.cancel() }
        for signal in forwarded { Foundation.signal(signal, SIG_DFL) }
        // Stopped on request: exit as a shell expects of an interrupted command.
        if let signal = received.first {
            note("stopped by signal \(signal); mpirun exited with status \(status)")
            return 128 + signal
        }
        return status
    }

    private func collectorArguments(bind: String, database: String) -> [String] {
        ["collect", "--bind", bind, "--db", database, "--quiet", "--parent", String(getpid())]
            + (tensorboard.map { ["--tensorboard", $0] } ?? [])
    }

    private func startCollector(_ plan: CollectorPlan, program: String, secretKey: String?) -> ChildProcess? {
        switch plan {
        case let .skip(reason):
            if !noCollector && command == "train" { note("no collector started: \(reason)") }
            return nil
        case let .warnUnreachable(endpoint):
            note("warning: nothing answers on \(endpoint); start `koine collect --bind` there, or ranks will drop their telemetry")
            return nil
        case let .start(bind, database):
            let directory = (database as NSString).deletingLastPathComponent
            if !directory.isEmpty {
                try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            }
            do {
                // Its own process group: Ctrl-C must not stop it before the ranks' last events arrive.
                let collector = try ChildProcess(executable: program, arguments: collectorArguments(bind: bind, database: database),
                                                 environment: secretKey.map { [TelemetryKeys.serverSecretVariable: $0] } ?? [:],
                                                 ownProcessGroup: true)
                // Wait until it listens, so the ranks' first events are not queued
                // against nobody; a collector that exits at once is reported.
                let endpoint = try Endpoint(parsing: bind)
                let deadline = Date().addingTimeInterval(10)
                while Date() < deadline {
                    if let status = collector.wait(timeout: 0.1) {
                        note("warning: the collector exited at once (status \(status)); continuing without it")
                        return nil
                    }
                    if endpoint.isListening(timeout: 0.2) { break }
                }
                note("collector on \(bind), storing into \(database)")
                return collector
            } catch {
                note("warning: cannot start the collector: \(error); continuing without it")
                return nil
            }
        }
    }

    /// Gives the collector a moment to drain what the ranks sent last, then
    /// asks it to flush and exit.
    private func stopCollector(_ collector: ChildProcess?) {
        guard let collector else { return }
        if collector.wait(timeout: 1.5) == nil {
            collector.send(SIGTERM)
            if collector.wait(timeout: 10) == nil {
                note("warning: the collector did not stop within 10 s of SIGTERM; killing it")
                collector.send(SIGKILL)
            }
        }
        let status = collector.wait()
        if status != 0 { note("warning: the collector exited with status \(status)") }
    }

    private func note(_ line: String) {
        FileHandle.standardError.write(Data("koine launch: \(line)\n".utf8))
    }
}

/// The first signal forwarded to mpirun, shared with the handler's queue.
private final class ReceivedSignal: @unchecked Sendable {
    private let lock = NSLock()
    private var signal: Int32?

    /// Records `value`; true when it is the first signal received.
    func record(_ value: Int32) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        if signal == nil {
            signal = value
            return true
        }
        return false
    }

    var first: Int32? {
        lock.lock()
        defer { lock.unlock() }
        return signal
    }
}

extension Binding: ExpressibleByArgument {}
