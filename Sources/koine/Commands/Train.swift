import ArgumentParser
import Foundation
import KoineCluster
import KoineMPI
import KoineTelemetry
import KoineTensor
import KoineTrainer

struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train a population on a configuration and write its run directory.",
        discussion: "Alone it runs as one rank; under mpirun (or koine launch) every rank hosts a population.")

    @OptionGroup var options: RunOptions

    @Flag(name: .long, help: "No progress line.")
    var quiet = false

    @Option(name: .customLong("peer-timeout"),
            help: "Seconds a rank waits for the others during training before it stops the job, naming the rank it awaited (0: wait forever).")
    var peerTimeout: Double = 30

    @Option(name: .customLong("fail-rank"), help: .hidden)
    var failRank: Int?

    @Option(name: .customLong("fail-step"), help: .hidden)
    var failStep: Int = 1

    func run() throws {
        let communicator: Communicator
        do {
            communicator = try ClusterEnvironment.makeCommunicator()
        } catch {
            throw UsageFailure("cannot start MPI: \(error)")
        }
        // Every rank reads and checks the input; only rank 0 says what is wrong.
        func fail(_ message: String) -> Never {
            try? communicator.finalize()
            if communicator.rank == 0 { UsageFailure(message).exit() }
            Foundation.exit(2)
        }
        guard peerTimeout >= 0, peerTimeout.isFinite else {
            fail("--peer-timeout: expected a number of seconds ≥ 0 (0 waits forever), got \(peerTimeout)")
        }
        // Checked before anything is written: the publisher would refuse it only once the
        // run directory exists.
        if let key = ProcessInfo.processInfo.environment[TelemetryKeys.serverKeyVariable],
           let problem = TelemetryKeys.problem(with: key) {
            fail("\(TelemetryKeys.serverKeyVariable): \(problem)")
        }
        let (config, out, resume) = (options.config, options.out, options.resume)
        let run: TrainingRun
        do {
            let overrides = options.overrides + (options.telemetry.map { ["telemetry.endpoint=\($0)"] } ?? [])
            if let resume, out != nil { fail("--out and --resume: a resumed run stays in its own directory; pass only --resume \(resume)") }
            guard resume != nil || config != nil else { fail("--config FILE is required (or --resume DIR to continue a run)") }
            let configuration = try resume.map { try Resume.configuration(run: $0, config: config, overrides: overrides) }
                ?? Configuration.load(file: config!, overrides: overrides)
            if communicator.rank == 0 {
                for warning in configuration.warnings {
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
            fail(error.message)
        } catch {
            if communicator.size > 1 { communicator.abort(reporting: error, code: 1) }
            throw error
        }
        if let failRank { RunLifecycle.injectFailure(run, rank: failRank, step: failStep) }
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
        } catch let stopped as TrainingStopped {
            if communicator.rank == 0 {
                FileHandle.standardError.write(Data(
                    "koine: \(TerminalText.safe(stopped.description)); continue with: koine train --resume \(TerminalText.safe(run.path))\n".utf8))
            }
            try? communicator.finalize()
            Foundation.exit(TrainingStopped.exitCode)
        } catch {
            if communicator.size > 1 { communicator.abort(reporting: error, code: 1) }
            throw error
        }
    }
}
