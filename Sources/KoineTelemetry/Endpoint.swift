/// A ZeroMQ endpoint as Koine spells it: where ranks send telemetry and where a
/// collector binds. The config, `koine train`, `koine collect` and `koine launch`
/// all parse it here, so a typo is reported as such instead of surfacing later
/// as a ZeroMQ error code.
public enum Endpoint: Equatable, CustomStringConvertible {
    /// `none`: the run sends no telemetry.
    case none
    /// `tcp://host:port`; an IPv6 host is written in brackets and kept without them.
    case tcp(host: String, port: Int)
    /// `ipc:///path/to/socket`.
    case ipc(path: String)
    /// `inproc://name`: within one process (tests).
    case inproc(name: String)

    /// Where ranks send and a collector binds unless told otherwise.
    public static let defaultCollector = Endpoint.tcp(host: "127.0.0.1", port: 5557)

    /// Parses `text`, throwing an `EndpointProblem` that says what was expected.
    /// `none` is refused unless `allowNone` (a collector cannot bind nothing).
    public init(parsing text: String, allowNone: Bool = true) throws {
        let expected = allowNone
            ? "expected none, tcp://host:port, ipc://path or inproc://name"
            : "expected tcp://host:port, ipc://path or inproc://name"
        if text == "none" {
            guard allowNone else { throw EndpointProblem("\(expected) (not none)") }
            self = .none
            return
        }
        for (scheme, make) in [("ipc://", Endpoint.ipc), ("inproc://", Endpoint.inproc)] where text.hasPrefix(scheme) {
            let name = text.dropFirst(scheme.count)
            guard !name.isEmpty, !name.contains(where: { $0.isWhitespace }) else { throw EndpointProblem(expected) }
            self = make(String(name))
            return
        }
        guard text.hasPrefix("tcp://") else { throw EndpointProblem(expected) }
        let address = text.dropFirst("tcp://".count)
        guard let colon = address.lastIndex(of: ":") else { throw EndpointProblem("\(expected); the port is missing") }
        var host = address[..<colon]
        if host.hasPrefix("["), host.hasSuffix("]") { host = host.dropFirst().dropLast() }  // [::1]
        guard let port = Int(address[address.index(after: colon)...]), (1...65535).contains(port) else {
            throw EndpointProblem("\(expected); the port must be 1-65535")
        }
        guard !host.isEmpty, !host.contains(where: { $0.isWhitespace || $0 == "/" }) else {
            throw EndpointProblem("\(expected); the host is missing")
        }
        self = .tcp(host: String(host), port: port)
    }

    /// What is wrong with `text` as an endpoint, or nil when it parses.
    public static func problem(with text: String, allowNone: Bool = true) -> String? {
        do {
            _ = try Endpoint(parsing: text, allowNone: allowNone)
            return nil
        } catch {
            return "\(error)"
        }
    }

    /// Whether only this host can reach it: a loopback address, a socket file (guarded by
    /// its permissions) or an in-process name.
    public var isLoopback: Bool {
        switch self {
        case let .tcp(host, _): return host == "localhost" || host == "::1" || host.hasPrefix("127.")
        case .ipc, .inproc, .none: return true
        }
    }

    /// The endpoint as it is written (and as ZeroMQ takes it).
    public var description: String {
        switch self {
        case .none: return "none"
        case let .tcp(host, port): return host.contains(":") ? "tcp://[\(host)]:\(port)" : "tcp://\(host):\(port)"
        case let .ipc(path): return "ipc://\(path)"
        case let .inproc(name): return "inproc://\(name)"
        }
    }
}

/// Why a text is not an endpoint: what was expected, and what was missing.
public struct EndpointProblem: Error, CustomStringConvertible {
    public let description: String

    init(_ description: String) { self.description = description }
}
