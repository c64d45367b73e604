/// Checks the endpoint spellings Koine accepts, so a typo is reported as such
/// instead of surfacing later as a ZeroMQ error code.
public enum Endpoint {
    /// nil when `text` is `tcp://host:port`, `ipc://path` or `inproc://name`
    /// (and `none` when `allowNone`); otherwise what was expected.
    public static func problem(with text: String, allowNone: Bool) -> String? {
        if text == "none" {
            return allowNone ? nil : "expected tcp://host:port, ipc://path or inproc://name (not none)"
        }
        let expected = allowNone
            ? "expected none, tcp://host:port, ipc://path or inproc://name"
            : "expected tcp://host:port, ipc://path or inproc://name"
        if text.hasPrefix("ipc://") || text.hasPrefix("inproc://") {
            let name = text.hasPrefix("ipc://") ? text.dropFirst(6) : text.dropFirst(9)
            return name.isEmpty || name.contains(where: { $0.isWhitespace }) ? expected : nil
        }
        guard text.hasPrefix("tcp://") else { return expected }
        let address = text.dropFirst(6)
        guard let colon = address.lastIndex(of: ":") else { return "\(expected); the port is missing" }
        var host = address[..<colon]
        if host.hasPrefix("["), host.hasSuffix("]") { host = host.dropFirst().dropLast() }  // [::1]
        let port = address[address.index(after: colon)...]
        guard let number = Int(port), (1...65535).contains(number) else {
            return "\(expected); the port must be 1-65535"
        }
        guard !host.isEmpty, !host.contains(where: { $0.isWhitespace || $0 == "/" }) else {
            return "\(expected); the host is missing"
        }
        return nil
    }
}

extension ZeroMQPublisher {
    /// An error message for an endpoint a publisher cannot connect to, or nil when it is fine
    /// (`none`, `tcp://host:port`, `ipc://path`, `inproc://name`).
    public static func validateEndpoint(_ text: String) -> String? {
        Endpoint.problem(with: text, allowNone: true)
    }
}
