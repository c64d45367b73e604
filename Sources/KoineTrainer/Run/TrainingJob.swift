import Foundation
import KoineCluster
import KoineTelemetry
import KoineTensor

/// What `koine train` does on every rank of a job: start the communicator,
/// read and check the input (every rank alike; only rank 0 says what is
/// wrong), create or resume the run, train it with the stop signals and the
/// peer timeout watched, and say how it ended.
public struct TrainingJob {
    /// The configuration file; with `resume`, optional (it must match the run's).
    public var config: String?
    /// `key=value` overrides of the configuration.
    public var overrides: [String]
    /// The run directory to create (default `runs/<config name>-<time>`).
    public var out: String?
    /// A run directory to continue from its newest complete checkpoint.
    public var resume: String?
    /// A telemetry endpoint overriding `telemetry.endpoint`.
    public var telemetry: String?
    /// No progress line and no final line.
    public var quiet: Bool
    /// Seconds a rank waits for the others during training (0: forever).
    public var peerTimeout: Double
    /// A rank made to fail before a step (fault tests).
    public var injectedFailure: (rank: Int, step: Int)?

    public init(config: String?, overrides: [String] = [], out: String? = nil, resume: String? = nil,
                telemetry: String? = nil, quiet: Bool = false, peerTimeout: Double = 30,
                injectedFailure: (rank: Int, step: Int)? = nil) {
        (self.config, self.overrides, self.out, self.resume, self.telemetry) = (config, overrides, out, resume, telemetry)
        (self.quiet, self.peerTimeout, self.injectedFailure) = (quiet, peerTimeout, injectedFailure)
    }

    /// Exit status 2: a mistake in the input, told in one line.
    public static let mistakeStatus: Int32 = 2

    /// Runs the job on this rank with the communicator `start` makes, and
    /// returns the process's exit status: 0 trained, `mistakeStatus` a
    /// mistake in the input (the communicator finalised), or
    /// `TrainingStopped.exitCode` stopped by a signal (checkpointed, to be
    /// resumed). Any other failure is thrown, after aborting every rank when
    /// there are several.
    public func run(startingWith start: () throws -> Communicator) throws -> Int32 {
        let communicator: Communicator
        do {
            communicator = try start()
        } catch {
            RunLifecycle.note("cannot start MPI: \(error)")
            return Self.mistakeStatus
        }
        // Every rank reads and checks the input; only rank 0 says what is wrong.
        func mistake(_ message: String) -> Int32 {
            try? communicator.finalize()
            if communicator.rank == 0 { RunLifecycle.note(message) }
            return Self.mistakeStatus
        }
        guard peerTimeout >= 0, peerTimeout.isFinite else {
            return mistake("--peer-timeout: expected a number of seconds ≥ 0 (0 waits forever), got \(peerTimeout)")
        }
        // Checked before anything is written: the publisher would refuse it only once the
        // run directory exists.
        if let key = ProcessInfo.processInfo.environment[TelemetryKeys.serverKeyVariable],
           let problem = TelemetryKeys.problem(with: key) {
            return mistake("\(TelemetryKeys.serverKeyVariable): \(problem)")
        }
        let run: TrainingRun
        do {
            let overrides = overrides + (telemetry.map { ["telemetry.endpoint=\($0)"] } ?? [])
            if let resume, out != nil { return mistake("--out and --resume: a resumed run stays in its own directory; pass only --resume \(resume)") }
            guard resume != nil || config != nil else { return mistake("--config FILE is required (or --resume DIR to continue a run)") }
            let configuration = try resume.map { try Resume.configuration(run: $0, config: config, overrides: overrides) }
                ?? Configuration.load(file: config!, overrides: overrides)
            if communicator.rank == 0 {
                // Members are ranks: a job of one has nobody to copy (allowed, as a baseline).
                let lonely = configuration.pbt.isOn && communicator.size == 1
                    ? ["pbt.every: a member is a rank, and this job has one: no member will copy another (run on several ranks: koine launch --np N)"] : []
                for warning in configuration.warnings + lonely {
                    FileHandle.standardError.write(Data("koine: warning: \(TerminalText.safe(warning))\n".utf8))
                }
            }
            BLAS.prepareComputeThread()
            if let resume {
                run = try RunLifecycle.resume(directory: resume, configuration: configuration, communicator: communicator, progress: !quiet)
            } else {
                let name = URL(fileURLWithPath: config ?? "run").deletingPathExtension().lastPathComponent
                run = try RunLifecycle.create(configuration: configuration, out: out, name: name, communicator: communicator,
                                              progress: !quiet)
            }
        } catch let error as ConfigurationError {
            return mistake(error.message)
        } catch {
            if communicator.size > 1 { communicator.abort(reporting: error, code: 1) }
            throw error
        }
        if let injectedFailure { RunLifecycle.injectFailure(run, rank: injectedFailure.rank, step: injectedFailure.step) }
        // A scheduler's SIGTERM (pre-emption, requeue, a time limit ahead)
        // checkpoints at once and ends the run, to be resumed; so does
        // SIGUSR1, which mpirun passes straight on to every rank.
        run.trainer.stopSignal = StopSignal.watching([SIGTERM, SIGUSR1])
        run.trainer.peerTimeout = peerTimeout > 0 ? peerTimeout : nil
        do {
            let summary = try run.train()
            if !quiet && communicator.rank == 0 {
                FileHandle.standardError.write(Data((
                    "wrote \(TerminalText.safe(run.path)): accuracy \(String(format: "%.3f", summary.accuracy)), "
                    + "topsim \(String(format: "%.3f", summary.topographicSimilarity)), "
                    + "\(Int(summary.gamesPerSecond)) games/s over \(communicator.size) rank(s)\n").utf8))
            }
            try communicator.finalize()
            return 0
        } catch let stopped as TrainingStopped {
            if communicator.rank == 0 {
                FileHandle.standardError.write(Data(
                    "koine: \(TerminalText.safe(stopped.description)); continue with: koine train --resume \(TerminalText.safe(run.path))\n".utf8))
            }
            try? communicator.finalize()
            return TrainingStopped.exitCode
        } catch {
            if communicator.size > 1 { communicator.abort(reporting: error, code: 1) }
            throw error
        }
    }}
