import ArgumentParser
import Foundation
import KoineTelemetry
import KoineTrainer

/// A user mistake: one line on standard error and exit code 2.
struct UsageFailure: Error, CustomStringConvertible {
    let message: String
    init(_ message: String) { self.message = message }
    var description: String { message }
}

extension UsageFailure {
    /// Prints the line and exits with status 2.
    func exit() -> Never {
        FileHandle.standardError.write(Data("koine: \(TerminalText.safe(message))\n".utf8))
        Foundation.exit(2)
    }
}
