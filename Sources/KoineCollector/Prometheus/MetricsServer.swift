import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A minimal HTTP/1.0 server for Prometheus: `GET /metrics` answers with
/// `render()`, anything else with 404. Connections are answered concurrently,
/// up to `maximumConnections` at once (each has one second to send its
/// request), so idle or slow clients cannot delay a scrape by more than that;
/// beyond the bound a connection is closed at once. The collector's ingest
/// never waits for it.
public final class MetricsServer: @unchecked Sendable {
    public let address: String
    private let socket: Int32
    private let render: () -> String
    private var stopped = false
    /// Connections being answered at once, at most `maximumConnections`.
    public static let maximumConnections = 32
    private var active = 0
    private let lock = NSLock()

    public enum Failure: Error, CustomStringConvertible {
        case address(String, String)
        public var description: String {
            switch self {
            case let .address(address, problem): return "--metrics \(address): \(problem)"
            }
        }
    }

    /// Binds `address` (`HOST:PORT`, an IPv4 host; port 0 picks a free one) and starts serving.
    public init(address: String, render: @escaping () -> String) throws {
        guard let colon = address.lastIndex(of: ":"), let port = UInt16(address[address.index(after: colon)...]) else {
            throw Failure.address(address, "expected HOST:PORT, e.g. 127.0.0.1:9464")
        }
        let host = String(address[..<colon])
        var socketAddress = sockaddr_in()
        socketAddress.sin_family = sa_family_t(AF_INET)
        socketAddress.sin_port = port.bigEndian
        guard inet_pton(AF_INET, host.isEmpty ? "0.0.0.0" : host, &socketAddress.sin_addr) == 1 else {
            throw Failure.address(address, "expected an IPv4 address as HOST, got '\(host)'")
        }
        let descriptor = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var yes: Int32 = 1
        setsockopt(descriptor, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        let bound = withUnsafePointer(to: &socketAddress) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard descriptor >= 0, bound == 0, listen(descriptor, 16) == 0 else {
            let problem = String(cString: strerror(errno))
            if descriptor >= 0 { close(descriptor) }
            throw Failure.address(address, "cannot listen (\(problem))")
        }
        var actual = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &actual) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        self.address = "\(host.isEmpty ? "0.0.0.0" : host):\(UInt16(bigEndian: actual.sin_port))"
        socket = descriptor
        self.render = render
        let thread = Thread { [self] in serve() }
        thread.name = "koine-metrics-server"
        thread.start()
    }

    /// Stops accepting connections.
    public func stop() {
        stopped = true
        shutdown(socket, Int32(SHUT_RDWR))
        close(socket)
    }

    private func serve() {
        while !stopped {
            let connection = accept(socket, nil, nil)
            guard connection >= 0 else { if stopped { return } else { continue } }
            lock.lock()
            let admitted = active < Self.maximumConnections
            if admitted { active += 1 }
            lock.unlock()
            guard admitted else {
                // Resources stay bounded: beyond the limit a connection is closed unanswered.
                close(connection)
                continue
            }
            // A thread each (at most maximumConnections): a pool sized by the cores would let idle clients queue a scrape.
            let thread = Thread { [self] in
                answer(connection)
                close(connection)
                lock.lock()
                active -= 1
                lock.unlock()
            }
            thread.name = "koine-metrics-connection"
            thread.start()
        }
    }

    private func answer(_ connection: Int32) {
        // A slow or silent client must not hold the server: one second to send its request line.
        var timeout = timeval(tv_sec: 1, tv_usec: 0)
        setsockopt(connection, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = read(connection, &buffer, buffer.count)
        guard count > 0 else { return }
        let request = String(decoding: buffer[0..<count], as: UTF8.self)
        let line = request.split(separator: "\r\n", maxSplits: 1).first.map(String.init) ?? ""
        let parts = line.split(separator: " ")
        let found = parts.count >= 2 && parts[0] == "GET" && (parts[1] == "/metrics" || parts[1].hasPrefix("/metrics?"))
        let body = found ? render() : "not found: try /metrics\n"
        let head = "HTTP/1.0 \(found ? "200 OK" : "404 Not Found")\r\n"
            + "Content-Type: \(found ? PrometheusExposition.contentType : "text/plain")\r\n"
            + "Content-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n"
        let bytes = Array((head + body).utf8)
        var sent = 0
        while sent < bytes.count {
            let written = bytes[sent...].withUnsafeBytes { write(connection, $0.baseAddress, $0.count) }
            if written <= 0 { return }
            sent += written
        }
    }
}
