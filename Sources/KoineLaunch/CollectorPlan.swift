import Foundation
import KoineTelemetry

/// Whether `koine launch` should start a telemetry collector beside the ranks.
public enum CollectorPlan: Equatable {
    /// Start `koine collect --bind <bind> --db <database> --quiet`.
    case start(bind: String, database: String)
    /// Leave it: telemetry is off, the collector was declined, or one is running.
    case skip(reason: String)
    /// Telemetry goes to another host where nothing answers: ranks will drop
    /// their events (training never waits on telemetry), so only warn.
    case warnUnreachable(endpoint: String)

    /// - Parameters:
    ///   - endpoint: what ranks connect to (`--telemetry`, or the config default).
    ///   - disabled: `--no-collector`.
    ///   - command: only `train` sends telemetry.
    ///   - runDirectory: the run's `--out` (or `--resume`) directory, or nil.
    ///     The database goes beside it, not inside: `koine train` wants a new,
    ///     empty run directory, and one database serves many runs.
    ///   - isListening: whether something already accepts connections there.
    public static func decide(
        endpoint: String, disabled: Bool, command: String, runDirectory: String?,
        isListening: (Endpoint) -> Bool
    ) -> CollectorPlan {
        if disabled { return .skip(reason: "--no-collector") }
        if command != "train" { return .skip(reason: "\(command) sends no telemetry") }
        let parsed = try? Endpoint(parsing: endpoint)
        if parsed == Endpoint.none { return .skip(reason: "telemetry is off") }
        guard let parsed, let bind = parsed.bindEndpoint else { return .skip(reason: "cannot check endpoint \(endpoint)") }
        if isListening(parsed) { return .skip(reason: "a collector is already listening on \(endpoint)") }
        guard parsed.isLocal else { return .warnUnreachable(endpoint: endpoint) }
        return .start(bind: bind, database: databasePath(runDirectory: runDirectory))
    }

    /// `runs/telemetry.sqlite` by default; `<parent of the run directory>/telemetry.sqlite` otherwise.
    public static func databasePath(runDirectory: String?) -> String {
        guard let runDirectory else { return "runs/telemetry.sqlite" }
        var trimmed = runDirectory
        while trimmed.count > 1 && trimmed.hasSuffix("/") { trimmed.removeLast() }
        let parent = (trimmed as NSString).deletingLastPathComponent
        return parent.isEmpty ? "telemetry.sqlite" : "\(parent)/telemetry.sqlite"
    }
}
