import ArgumentParser

@main
struct Koine: ParsableCommand {
    /// Runs the command; user mistakes end as one line and exit code 2.
    static func main() {
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
            Collect.self, Report.self,
        ]
    )
}
