import ArgumentParser
import Foundation
import KoineTelemetry

/// `koine keys`: makes the collector's CURVE key pair for authenticated, encrypted telemetry.
struct Keys: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Make a CURVE key pair for the telemetry collector (authenticated, encrypted telemetry).",
        discussion: """
            Writes PREFIX.secret (for koine collect --secret-key) and PREFIX.public (for the ranks, \
            as KOINE_TELEMETRY_SERVER_KEY), each a Z85 key and a newline, readable by their owner \
            only. Never overwrites a file.
            Example: koine keys --out runs/collector; KOINE_TELEMETRY_SERVER_KEY=$(cat runs/collector.public)
            """)

    @Option(name: .long, help: "Where to write: PREFIX.secret and PREFIX.public.")
    var out = "collector"

    func run() throws {
        guard TelemetryKeys.isAvailable else {
            throw UsageFailure("keys: this libzmq has no CURVE support (zmq_has(\"curve\") is false)")
        }
        let pair = try TelemetryKeys.makePair()
        let secret = out + ".secret", publicFile = out + ".public"
        for file in [secret, publicFile] where FileManager.default.fileExists(atPath: file) {
            throw UsageFailure("keys: --out \(out): \(file) exists; keys are never overwritten")
        }
        do {
            try TelemetryKeys.write(pair.secretKey, to: secret)
            try TelemetryKeys.write(pair.publicKey, to: publicFile)
        } catch {
            throw UsageFailure("keys: --out \(out): \(error)")
        }
        print("wrote \(secret) (give it to koine collect --secret-key) and \(publicFile) (give its key to the ranks as \(TelemetryKeys.serverKeyVariable))")
    }
}
