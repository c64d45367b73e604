import ArgumentParser
import Foundation
import KoineMPI
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
        let job = TrainingJob(config: options.config, overrides: options.overrides, out: options.out, resume: options.resume,
                              telemetry: options.telemetry, quiet: quiet, peerTimeout: peerTimeout,
                              injectedFailure: failRank.map { (rank: $0, step: failStep) })
        let status = try job.run(startingWith: ClusterEnvironment.makeCommunicator)
        if status != 0 { Foundation.exit(status) }
    }
}
