import ArgumentParser
import Foundation
import KoineTelemetry
import KoineTensor
import KoineTrainer

@main
struct Koine: ParsableCommand {
    /// Runs the command; user mistakes end as one line and exit code 2.
    static func main() {
        // Past a file-size limit (ulimit -f), a write should fail with an
        // error we can report, not kill the process mid-checkpoint.
        signal(SIGXFSZ, SIG_IGN)
        // The kernels every numeric object takes when built: a request that
        // cannot be honoured stops here, before anything runs.
        if let refusal = VectorKernels.refusal(requested: VectorKernels.requested,
                                               processorRunsAVX512: VectorKernels.processorRunsAVX512) {
            if case .unknownName = refusal { UsageFailure(refusal.line).exit() }
            FileHandle.standardError.write(Data("koine: \(refusal.line)\n".utf8))
            Foundation.exit(1)
        }
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch let failure as UsageFailure {
            failure.exit()
        } catch {
            // The parser's own usage errors (a bad value, an unknown or missing
            // option) are user mistakes like any other: one line, exit code 2.
            let code = exitCode(for: error)
            if code == .validationFailure { UsageFailure(usageLine(for: error)).exit() }
            if code.isSuccess { exit(withError: error) }  // --help, --version
            // A failure of the environment (a failed write, a failing rank): its one line, shown safely.
            FileHandle.standardError.write(Data((TerminalText.safe(fullMessage(for: error)) + "\n").utf8))
            Foundation.exit(code.rawValue)
        }
    }

    /// The first line of the parser's message, without its "Error: ", and where help is.
    static func usageLine(for error: Error) -> String {
        let first = fullMessage(for: error).split(separator: "\n").first.map(String.init) ?? "\(error)"
        let message = first.hasPrefix("Error: ") ? String(first.dropFirst("Error: ".count)) : first
        return message + " (see koine help)"
    }

    static let configuration = CommandConfiguration(
        commandName: "koine",
        abstract: "Train populations of communicating agents and measure the languages they invent.",
        version: KoineVersion.string,
        subcommands: [
            Bench.self,
            Train.self, Sweep.self, Compare.self, Teach.self, CrossPlayRuns.self, ProbeCommand.self, Export.self, Pretrain.self,
            Launch.self, Doctor.self,
            Collect.self, Report.self, Keys.self,
        ]
    )
}
