import Foundation
import KoineCluster
import KoineTelemetry

/// What `koine launch` needs to know about a telemetry endpoint: whether a
/// collector for it belongs on this machine, what it would bind, and whether
/// one already listens.
extension Endpoint {
    /// Whether a collector for this endpoint belongs on this machine.
    public var isLocal: Bool {
        switch self {
        case let .tcp(host, _):
            let local: Set<String> = ["127.0.0.1", "localhost", "0.0.0.0", "*", "::1", "::"]
            return local.contains(host.lowercased()) || host == HostName.full || host == HostName.short
        case .ipc:
            return true
        case .none, .inproc:
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
        case .none, .inproc:
            return nil
        }
    }

    /// Whether something already accepts connections there: for tcp://, this
    /// machine's socket table when the host is this one, else a TCP connect;
    /// the socket file's presence for ipc://.
    public func isListening(timeout: TimeInterval = 0.5) -> Bool {
        switch self {
        case let .tcp(host, port):
            // On this machine, the kernel's socket table answers without connecting.
            if isLocal, let listening = TCPProbe.listensLocally(port: port) { return listening }
            let target = ["0.0.0.0", "*", "::"].contains(host) ? "127.0.0.1" : host
            return TCPProbe.canConnect(host: target, port: port, timeout: timeout)
        case let .ipc(path):
            return FileManager.default.fileExists(atPath: path)
        case .none, .inproc:
            return false
        }
    }
}
