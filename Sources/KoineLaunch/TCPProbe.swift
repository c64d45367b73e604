import Foundation

/// A connect-and-close test for "is anything listening on host:port".
enum TCPProbe {
    /// Whether a socket of this machine listens on TCP `port`, read from
    /// /proc/net/tcp and tcp6 (nil where they cannot be read). Unlike a
    /// connect, this sends nothing: a collector with CURVE keys would count
    /// a probe's connection as a refused, unauthenticated sender.
    static func listensLocally(port: Int) -> Bool? {
        var readable = false
        let hexPort = String(format: "%04X", port)
        for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
            guard let text = try? String(contentsOfFile: table, encoding: .utf8) else { continue }
            readable = true
            // "  sl  local_address rem_address   st ...": local "0100007F:2505", state 0A is LISTEN.
            for line in text.split(separator: "\n").dropFirst() {
                let fields = line.split(separator: " ")
                guard fields.count > 3, fields[3] == "0A", fields[1].hasSuffix(":" + hexPort) else { continue }
                return true
            }
        }
        return readable ? false : nil
    }

    static func canConnect(host: String, port: Int, timeout: TimeInterval) -> Bool {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var results: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, String(port), &hints, &results) == 0, let first = results else { return false }
        defer { freeaddrinfo(first) }
        var candidate: UnsafeMutablePointer<addrinfo>? = first
        while let address = candidate {
            if connect(address.pointee, timeout: timeout) { return true }
            candidate = address.pointee.ai_next
        }
        return false
    }

    /// A nonblocking connect bounded by `timeout`, so an unreachable host
    /// delays the launch by at most that much.
    private static func connect(_ address: addrinfo, timeout: TimeInterval) -> Bool {
        let socket = Glibc.socket(address.ai_family, address.ai_socktype, address.ai_protocol)
        guard socket >= 0 else { return false }
        defer { close(socket) }
        let flags = fcntl(socket, F_GETFL, 0)
        _ = fcntl(socket, F_SETFL, flags | O_NONBLOCK)
        if Glibc.connect(socket, address.ai_addr, address.ai_addrlen) == 0 { return true }
        guard errno == EINPROGRESS else { return false }
        var poller = pollfd(fd: socket, events: Int16(POLLOUT), revents: 0)
        guard poll(&poller, 1, Int32(timeout * 1000)) == 1 else { return false }
        var error: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        guard getsockopt(socket, SOL_SOCKET, SO_ERROR, &error, &length) == 0 else { return false }
        return error == 0
    }
}
