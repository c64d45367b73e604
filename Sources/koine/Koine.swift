import ArgumentParser
import Foundation

@main
struct Koine: ParsableCommand {
    /// Runs the command; user mistakes end as one line and exit code 2.
    static func main() {
        // Past a file-size limit (ulimit -f), a write should fail with an
        // error we can report, not kill the process mid-checkpoint.
        signal(SIGXFSZ, SIG_IGN)
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch let failure as UsageFailure {
            failure.exit()
        } catch {
            exit(withError: error)
        }
    }

    static let configuration = CommandConfiguration(
        commandName: "koine",
        abstract: "Train populations of communicating agents and measure the languages they invent.",
        version: KoineVersion.string,
        subcommands: [
            Bench.self,
            Train.self,
            Launch.self, Doctor.self,
            Collect.self, Report.self, Keys.self,
        ]
    )
}
