import Foundation
import KoineTelemetry

/// An event the collector accepted: the envelope, the figures the live view and the
/// `runs` table use, and the frame itself as the stored body.
struct ReceivedEvent {
    var run: String
    var rank: Int
    var seq: Int
    var kind: EventKind
    var step: Int?
    var time: Double
    var body: String
    var dropped: Int?

    // Figures for the live view (step and eval events).
    var gamesPerSecond: Double?
    var accuracy: Double?
    var topsim: Double?
    var resets: Int?

    // What run_started and run_finished describe.
    var worldSize: Int?
    var totalSteps: Int?
    var config: String?
    var hosts: String?
    var versions: String?
    var summary: String?
}

/// Why a frame was refused; each reason is counted and logged on its own.
enum FrameProblem: Error, CustomStringConvertible {
    case oversized(Int)
    case multipart
    case malformed(String)
    case wrongVersion(String)
    case missingField(String)
    case wrongType(String)
    /// A connection refused at the CURVE handshake; the frame is the peer's address.
    case unauthenticated

    var description: String {
        switch self {
        case let .oversized(size): return "oversized frame (\(size) bytes)"
        case .multipart: return "multipart message"
        case let .malformed(reason): return reason
        case let .wrongVersion(version): return "schema version \(version), expected \(telemetrySchemaVersion)"
        case let .missingField(name): return "missing field \(name)"
        case let .wrongType(name): return "field \(name) has the wrong type or value"
        case .unauthenticated: return "connection refused at the CURVE handshake (no key or a wrong one)"
        }
    }

    /// A short fixed label for counting by reason.
    var label: String {
        switch self {
        case .oversized: return "oversized"
        case .multipart: return "multipart"
        case .malformed: return "malformed"
        case .wrongVersion: return "wrong_version"
        case .missingField: return "missing_field"
        case .wrongType: return "wrong_type"
        case .unauthenticated: return "unauthenticated"
        }
    }
}
