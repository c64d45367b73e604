import CZMQ
import Foundation

/// Watches a publisher's socket from a background thread through ZeroMQ's socket monitor.
///
/// It tells the publisher when a lost connection came back (so it can resend recent
/// frames) and prints the one-line "telemetry is not being received" notice — from
/// this thread, so the training thread never waits on stderr.
final class ConnectionWatch: @unchecked Sendable {
    private let lock = NSLock()
    private var stopRequested = false
    private var connected = false
    private var everDisconnected = false
    private var reconnectPending = false
    private var warned = false
    private var pendingWarning: String?
    private let finished = DispatchSemaphore(value: 0)
    private var running = false
    private var expectsConnection = true
    private var everConnected = false

    let endpoint: String
    /// How long without a connection before the notice is printed.
    let patience: TimeInterval

    /// Where the notice goes (standard error unless a test listens).
    let notice: @Sendable (String) -> Void

    init(endpoint: String, patience: TimeInterval = 3, notice: @escaping @Sendable (String) -> Void) {
        self.endpoint = endpoint
        self.patience = patience
        self.notice = notice
    }

    /// Starts monitoring `socket` (owned by the caller's thread) on `monitorAddress`.
    func start(socket: UnsafeMutableRawPointer, context: UnsafeMutableRawPointer, monitorAddress: String) throws {
        // Handshake failures: the collector refused this rank (a wrong or missing CURVE key, another protocol).
        let events = ZMQ_EVENT_CONNECTED | ZMQ_EVENT_DISCONNECTED
            | ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH
        guard zmq_socket_monitor(socket, monitorAddress, events) == 0 else {
            throw ZeroMQError("zmq_socket_monitor")
        }
        guard let pair = zmq_socket(context, ZMQ_PAIR) else { throw ZeroMQError("zmq_socket(PAIR)") }
        guard zmq_connect(pair, monitorAddress) == 0 else {
            let error = ZeroMQError("zmq_connect(\(monitorAddress))")
            zmq_close(pair)
            throw error
        }
        running = true
        // inproc peers never report a connection; only the drop notice applies to them.
        let expectsConnection = !endpoint.hasPrefix("inproc://")
        self.expectsConnection = expectsConnection
        let handle = SocketHandle(pointer: pair)
        let thread = Thread { [self] in
            self.run(pair: handle.pointer, expectsConnection: expectsConnection)
        }
        thread.name = "koine-telemetry-watch"
        thread.start()
    }

    /// True once after the connection came back from a disconnect.
    func takeReconnect() -> Bool {
        lock.lock(); defer { lock.unlock() }
        let pending = reconnectPending
        reconnectPending = false
        return pending
    }

    var isConnected: Bool {
        lock.lock(); defer { lock.unlock() }
        return connected
    }

    /// Asks for the notice to be printed (once per publisher, whatever the reason).
    func warn(_ message: String) {
        lock.lock()
        if !warned { warned = true; pendingWarning = message }
        let printNow = !running
        lock.unlock()
        if printNow { flushWarning() }
    }

    func stop() {
        lock.lock()
        stopRequested = true
        let wasRunning = running
        lock.unlock()
        if wasRunning { finished.wait() }
        // A run shorter than the watcher's patience still hears it once.
        lock.lock()
        let neverConnected = wasRunning && expectsConnection && !everConnected
        lock.unlock()
        if neverConnected {
            warn("koine: telemetry to \(endpoint) is not being received (no collector connected during the run)")
        }
        flushWarning()
    }

    private func flushWarning() {
        lock.lock()
        let message = pendingWarning
        pendingWarning = nil
        lock.unlock()
        if let message { notice(message) }
    }

    private func run(pair: UnsafeMutableRawPointer, expectsConnection: Bool) {
        let started = Date()
        var disconnectedSince: Date? = started
        var item = zmq_pollitem_t(socket: pair, fd: 0, events: Int16(ZMQ_POLLIN), revents: 0)
        while true {
            lock.lock()
            let stopping = stopRequested
            lock.unlock()
            if stopping { break }
            _ = zmq_poll(&item, 1, 100)
            while let event = receiveEvent(pair) {
                lock.lock()
                if event == ZMQ_EVENT_CONNECTED {
                    if everDisconnected { reconnectPending = true }
                    connected = true
                    everConnected = true
                    disconnectedSince = nil
                } else if event == ZMQ_EVENT_DISCONNECTED {
                    connected = false
                    everDisconnected = true
                    disconnectedSince = Date()
                }
                lock.unlock()
                if event == ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL || event == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL
                    || event == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH {
                    // The collector is there but takes nothing from this rank: say so, once.
                    warn("koine: the collector at \(endpoint) refuses this rank's connection (handshake failed: "
                         + "\(event == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH ? "not authorised" : "a wrong or missing CURVE key, or not a Koine collector")"
                         + "); training continues, its events are not stored")
                }
            }
            // A collector that restarts mid-run is normal (the frames are queued and resent), so
            // that case waits longer before saying anything.
            let atStart = disconnectedSince == started
            let threshold = atStart ? patience : max(patience, 10)
            if expectsConnection, let since = disconnectedSince, Date().timeIntervalSince(since) >= threshold {
                let what = atStart ? "no collector connected" : "the collector went away"
                warn("koine: telemetry to \(endpoint) is not being received (\(what) for \(Int(threshold)) s); training continues, events are queued and then dropped")
                disconnectedSince = nil
            }
            flushWarning()
        }
        var linger: Int32 = 0
        zmq_setsockopt(pair, ZMQ_LINGER, &linger, MemoryLayout<Int32>.size)
        zmq_close(pair)
        finished.signal()
    }

    /// Reads one monitor message (event frame + address frame) without waiting.
    private func receiveEvent(_ pair: UnsafeMutableRawPointer) -> Int32? {
        var message = zmq_msg_t()
        zmq_msg_init(&message)
        defer { zmq_msg_close(&message) }
        guard zmq_msg_recv(&message, pair, ZMQ_DONTWAIT) >= 0 else { return nil }
        var event: UInt16 = 0
        if zmq_msg_size(&message) >= 6 {
            memcpy(&event, zmq_msg_data(&message), 2)
        }
        // Drain the address frame that follows.
        while zmq_msg_more(&message) != 0 {
            guard zmq_msg_recv(&message, pair, ZMQ_DONTWAIT) >= 0 else { break }
        }
        return Int32(event)
    }
}
