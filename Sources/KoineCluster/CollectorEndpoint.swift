import Foundation

/// A ZeroMQ endpoint as `koine launch` needs to understand it: whether
/// telemetry is off, and where a collector would listen.
public enum CollectorEndpoint: Equatable {
    /// `none`: the run sends no telemetry.
    case none
    /// `tcp://host:port`.
    case tcp(host: String, port: Int)
    /// `ipc:///path/to/socket`.
    case ipc(path: String)
    /// Anything else ZeroMQ may understand but launch cannot check.
    case other(String)

    /// The endpoint the config uses when nothing overrides it.
    public static let defaultEndpoint = "tcp://127.0.0.1:5557"

    public init(_ text: String) {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if trimmed.isEmpty || trimmed.lowercased() == "none" {
            self = .none
        } else if trimmed.hasPrefix("tcp://") {
            let rest = trimmed.dropFirst("tcp://".count)
            // The port follows the last colon; an IPv6 host is bracketed.
            if let colon = rest.lastIndex(of: ":"), let port = Int(rest[rest.index(after: colon)...]),
               (1...65535).contains(port) {
                var host = String(rest[..<colon])
                if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
                self = .tcp(host: host, port: port)
            } else {
                self = .other(trimmed)
            }
        } else if trimmed.hasPrefix("ipc://") {
            self = .ipc(path: String(trimmed.dropFirst("ipc://".count)))
        } else {
            self = .other(trimmed)
        }
    }

    /// Whether a collector for this endpoint belongs on this machine.
    public var isLocal: Bool {
        switch self {
        case let .tcp(host, _):
            let local: Set<String> = ["127.0.0.1", "localhost", "0.0.0.0", "*", "::1", "::"]
            return local.contains(host.lowercased()) || host == HostName.full || host == HostName.short
        case .ipc:
            return true
        case .none, .other:
            return false
        }
    }

    /// The endpoint a local collector binds: loopback stays loopback, this
    /// host's name becomes every interface so other nodes can reach it too.
    public var bindEndpoint: String? {
        switch self {
        case let .tcp(host, port):
            switch host.lowercased() {
            case "127.0.0.1", "localhost": return "tcp://127.0.0.1:\(port)"
            case "::1": return "tcp://[::1]:\(port)"
            default: return "tcp://0.0.0.0:\(port)"
            }
        case let .ipc(path):
            return "ipc://\(path)"
        case .none, .other:
            return nil
        }
    }

    /// Whether something already accepts connections there: a TCP connect for
    /// tcp://, the socket file's presence for ipc://.
    public func isListening(timeout: TimeInterval = 0.5) -> Bool {
        switch self {
        case let .tcp(host, port):
            let target = ["0.0.0.0", "*", "::"].contains(host) ? "127.0.0.1" : host
            return TCPProbe.canConnect(host: target, port: port, timeout: timeout)
        case let .ipc(path):
            return FileManager.default.fileExists(atPath: path)
        case .none, .other:
            return false
        }
    }
}
