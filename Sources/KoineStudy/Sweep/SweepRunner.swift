import Foundation

/// Runs a sweep's unfinished runs on this machine, `jobs` at a time, each a
/// separate `koine train` process: a fresh run is trained from its config, a
/// run with a complete checkpoint is resumed, a finished one is left alone.
/// Prints one line per finished run with an estimate of the time left.
public final class SweepRunner {
    public struct Settings {
        /// The `koine` executable the runs use.
        public var koine: String
        public var jobs: Int
        /// OpenBLAS threads per run.
        public var threads: Int
        /// Passed to every run as `--telemetry`.
        public var telemetry: String
        /// MPI ranks per run: above 1, each run is `koine launch --np ranks` (mpirun on this host).
        public var ranks: Int

        public init(koine: String, jobs: Int, threads: Int, telemetry: String, ranks: Int = 1) {
            self.koine = koine; self.jobs = jobs; self.threads = threads; self.telemetry = telemetry; self.ranks = ranks
        }
    }

    /// What a sweep invocation did.
    public struct Outcome {
        public var trained = 0, skipped = 0, failed = 0
    }

    private struct Job {
        let run: Int
        let process: Process
        let started: Date
    }

    let sweep: String
    let settings: Settings
    let say: (String) -> Void
    public private(set) var index: SweepIndex

    public init(sweep: String, index: SweepIndex, settings: Settings, say: @escaping (String) -> Void) {
        self.sweep = sweep
        self.index = index
        self.settings = settings
        self.say = say
    }

    public func run() throws -> Outcome {
        var outcome = Outcome()
        try FileManager.default.createDirectory(atPath: sweep + "/logs", withIntermediateDirectories: true)
        var queue: [Int] = []
        for (position, run) in index.runs.enumerated() {
            if RunState.of(directory(of: run)) == .finished {
                index.runs[position].status = .done
                outcome.skipped += 1
            } else {
                index.runs[position].status = .pending
                queue.append(position)
            }
        }
        try index.save(to: sweep)
        let resuming = queue.filter { RunState.of(directory(of: index.runs[$0])) == .resumable }.count
        say("sweep \(sweep): \(index.runs.count) runs, \(outcome.skipped) finished, \(queue.count) to run"
            + (resuming > 0 ? " (\(resuming) resumed from checkpoints)" : "") + ", \(settings.jobs) at a time")

        var running: [Job] = []
        var wallTimes: [Double] = []
        while !queue.isEmpty || !running.isEmpty {
            while running.count < settings.jobs, !queue.isEmpty {
                let position = queue.removeFirst()
                running.append(Job(run: position, process: try start(index.runs[position]), started: Date()))
                index.runs[position].status = .running
                try index.save(to: sweep)
            }
            usleep(100_000)
            for job in running where !job.process.isRunning {
                running.removeAll { $0.run == job.run }
                let seconds = Date().timeIntervalSince(job.started)
                let run = index.runs[job.run]
                let succeeded = job.process.terminationReason == .exit && job.process.terminationStatus == 0
                    && RunState.of(directory(of: run)) == .finished
                index.runs[job.run].status = succeeded ? .done : .failed
                try index.save(to: sweep)
                let done = index.runs.filter { $0.status == .done }.count
                var line = "[\(done)/\(index.runs.count)] \(run.name) "
                if succeeded {
                    outcome.trained += 1
                    wallTimes.append(seconds)
                    line += "done in \(Duration.text(seconds))" + figures(of: run)
                } else {
                    outcome.failed += 1
                    line += failure(job.process, log: logPath(of: run))
                }
                say(line + " · " + estimate(left: queue.count + running.count, wallTimes: wallTimes))
            }
        }
        return outcome
    }

    func directory(of run: SweepRun) -> String { sweep + "/" + run.directory }
    func logPath(of run: SweepRun) -> String { sweep + "/logs/" + run.name + ".log" }

    /// The `koine train` arguments that continue `run` from what its directory holds;
    /// with several ranks, the `koine launch` arguments that run them under mpirun.
    func arguments(for run: SweepRun) throws -> [String] {
        let directory = directory(of: run)
        var source: [String]
        if RunState.of(directory) == .resumable {
            source = ["--resume", directory]
        } else {
            // A directory without a complete checkpoint holds nothing to keep, and
            // `koine train` wants its --out empty.
            if FileManager.default.fileExists(atPath: directory) { try FileManager.default.removeItem(atPath: directory) }
            source = ["--config", run.config, "--out", directory] + run.overrides.flatMap { ["--set", $0] }
        }
        source += ["--telemetry", settings.telemetry]
        guard settings.ranks > 1 else { return ["train"] + source + ["--quiet"] }
        // The sweep's telemetry setting decides; launch starts no collector of its own.
        // Runs side by side would each pin their ranks to the first cores.
        let binding = settings.jobs > 1 ? ["--bind-to", "none"] : []
        return ["launch", "--np", String(settings.ranks), "--no-collector"] + binding + source + ["--", "--quiet"]
    }

    private func start(_ run: SweepRun) throws -> Process {
        let process = Process()
        var arguments = [settings.koine] + (try arguments(for: run))
        // Through setpriv, a run dies with the sweep (kill -9 included) instead
        // of training on unseen beside the rerun that resumes it. `koine launch`
        // gets SIGTERM instead, which it passes to mpirun's ranks (a kill would
        // leave them orphaned); they checkpoint and stop.
        if let setpriv = ProgramSearch.find("setpriv") {
            arguments = ["--pdeathsig", settings.ranks > 1 ? "TERM" : "KILL", "--"] + arguments
            process.executableURL = URL(fileURLWithPath: setpriv)
        } else {
            process.executableURL = URL(fileURLWithPath: arguments.removeFirst())
        }
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        environment["OPENBLAS_NUM_THREADS"] = String(settings.threads)
        process.environment = environment
        let log = logPath(of: run)
        if !FileManager.default.fileExists(atPath: log) { _ = FileManager.default.createFile(atPath: log, contents: nil) }
        guard let handle = FileHandle(forWritingAtPath: log) else { throw StudyError("cannot write \(log)") }
        handle.seekToEndOfFile()
        handle.write(Data("$ koine \(arguments.drop { $0 != "train" && $0 != "launch" }.joined(separator: " "))\n".utf8))
        process.standardOutput = handle
        process.standardError = handle
        process.standardInput = FileHandle.nullDevice
        try process.run()
        return process
    }

    /// The headline figures of a finished run, when its summary has them.
    private func figures(of run: SweepRun) -> String {
        guard let summary = try? RunRecord.summary(of: directory(of: run)) else { return "" }
        let shown = ["accuracy", "topsim", "topsim_li_bowling"].compactMap { name in
            summary[name].map { "\(name) \(String(format: "%.3f", $0))" }
        }
        return shown.isEmpty ? "" : ": " + shown.joined(separator: ", ")
    }

    private func failure(_ process: Process, log: String) -> String {
        let cause = process.terminationReason == .uncaughtSignal
            ? "killed (signal \(process.terminationStatus)); rerun the sweep to resume it"
            : "failed (exit \(process.terminationStatus))"
        let lastLine = (try? String(contentsOfFile: log, encoding: .utf8))?
            .split(separator: "\n").last.map { ": \($0)" } ?? ""
        return cause + lastLine + " (log \(log))"
    }

    /// Time left, from the mean wall time of the runs finished so far.
    private func estimate(left: Int, wallTimes: [Double]) -> String {
        if left == 0 { return "none left" }
        guard !wallTimes.isEmpty else { return "\(left) left" }
        let mean = wallTimes.reduce(0, +) / Double(wallTimes.count)
        let rounds = (Double(left) / Double(settings.jobs)).rounded(.up)
        return "\(left) left, about \(Duration.text(mean * rounds))"
    }
}

/// Durations as people read them: 42s, 3m05s, 2h10m.
enum Duration {
    static func text(_ seconds: Double) -> String {
        let whole = Int(seconds.rounded())
        if whole < 60 { return "\(whole)s" }
        if whole < 3600 { return String(format: "%dm%02ds", whole / 60, whole % 60) }
        return String(format: "%dh%02dm", whole / 3600, (whole % 3600) / 60)
    }
}
