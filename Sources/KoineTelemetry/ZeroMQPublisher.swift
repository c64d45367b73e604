import CZMQ
import Foundation
import Synchronization

/// The sink every rank uses: one PUSH socket connected to the collector.
///
/// `emit` formats the event into a reused buffer and hands it to ZeroMQ with
/// `ZMQ_DONTWAIT`; ZeroMQ's I/O thread does the network work. When the queue is full
/// the event is dropped and counted — training never waits on telemetry. Use one
/// publisher from one thread (ZeroMQ sockets are not shared between threads).
public final class ZeroMQPublisher: TelemetrySink {
    /// Messages ZeroMQ holds while the collector is unreachable. At 1,000 events/s per
    /// rank (an event every step of a fast run) that is 100 s of outage; memory is only
    /// used while the collector is away, and `queueBytes` bounds it first for events
    /// larger than about 170 bytes.
    public static let sendHighWaterMark: Int32 = 100_000
    /// The bytes of events ZeroMQ may hold at once; a frame that would pass it is dropped
    /// and counted like one the high-water mark refuses. Without it, 100,000 step events
    /// of ~400 bytes (and ZeroMQ's allocations around them) took a trainer from 34 MB to
    /// 114 MB when no collector listened.
    public static let queueBytes = 16 << 20
    /// Recent frames kept for resending after a reconnect (see ReplayRing): covers frames
    /// in flight when a collector dies, up to 32 s of history at 1,000 events/s.
    public static let replayCapacity = 32_768
    /// The longest `close()` waits for queued events to reach a collector.
    public static let defaultLinger: TimeInterval = 2
    /// How long `close` waits instead while the collector is connected: its link
    /// may just have come back from an outage, and TCP then backs off for about as
    /// long as the outage lasted before it sends again (seen: 10 s offline, the
    /// run's last events lost with 2 s). Nothing waits when the queue is empty.
    public static let connectedLinger: TimeInterval = 20

    public let endpoint: String
    public let run: String
    public let rank: Int

    private var encoder: EventEncoder
    private var replay: ReplayRing
    private let watch: ConnectionWatch
    private let context: UnsafeMutableRawPointer
    private let ownsContext: Bool
    private var socket: UnsafeMutableRawPointer?
    private let linger: TimeInterval
    private let notice: @Sendable (String) -> Void
    private var toldOversized = false
    private var nextSeq = 0
    private let queued = QueuedBytes()
    /// Frames recorded in `replay` but not handed to ZeroMQ yet (the newest ones).
    private var unsent = 0
    private var oldestUnsent = 0.0
    private var lastEmit = -Double.infinity
    public private(set) var dropped = 0
    public var sequence: Int {
        get { nextSeq }
        set { nextSeq = newValue }
    }
    /// Frames sent again after reconnects (diagnostics and tests).
    public private(set) var replayed = 0

    private static let monitorCounter = NSLock()
    nonisolated(unsafe) private static var monitorNumber = 0

    /// Connects (never binds) to `endpoint`. Throws for a malformed endpoint; a collector
    /// that is not there yet is fine — events queue until it appears.
    /// With `serverKey` (the collector's public CURVE key; by default from the environment,
    /// `KOINE_TELEMETRY_SERVER_KEY`) the connection is authenticated and encrypted, under a
    /// client key pair made for this publisher alone.
    public init(
        endpoint: String, run: String, rank: Int,
        serverKey: String? = ProcessInfo.processInfo.environment[TelemetryKeys.serverKeyVariable],
        linger: TimeInterval = ZeroMQPublisher.defaultLinger,
        replayCapacity: Int = ZeroMQPublisher.replayCapacity,
        noticeAfter patience: TimeInterval = 3,
        notice: @escaping @Sendable (String) -> Void = ZeroMQPublisher.printNotice
    ) throws {
        if let problem = Endpoint.problem(with: endpoint, allowNone: false) {
            throw TelemetryError.invalidEndpoint(endpoint, problem)
        }
        if let serverKey, let problem = TelemetryKeys.problem(with: serverKey) {
            throw TelemetryError.invalidKey(TelemetryKeys.serverKeyVariable, problem)
        }
        self.endpoint = endpoint
        self.run = run
        self.rank = rank
        self.linger = linger
        self.notice = notice
        encoder = EventEncoder(run: run, rank: rank)
        // The ring also holds the burst not sent yet, so it is never smaller than a burst.
        replay = ReplayRing(capacity: max(replayCapacity, Self.burstSize))
        watch = ConnectionWatch(endpoint: endpoint, patience: patience, notice: notice)
        // A private context lets close() wait (bounded by linger) for the queue to drain;
        // inproc endpoints must share the process-wide context to meet their collector.
        ownsContext = !endpoint.hasPrefix("inproc://")
        context = ownsContext ? zmq_ctx_new() : ZeroMQ.sharedContext
        guard let socket = zmq_socket(context, ZMQ_PUSH) else {
            let error = ZeroMQError("zmq_socket(PUSH)")
            if ownsContext { zmq_ctx_term(context) }
            throw error
        }
        self.socket = socket
        do {
            try ZeroMQ.setOption(socket, ZMQ_SNDHWM, Self.sendHighWaterMark)
            try ZeroMQ.setOption(socket, ZMQ_LINGER, Int32(linger * 1000))
            if let serverKey {
                let client = try TelemetryKeys.makePair()
                try TelemetryKeys.set(socket, ZMQ_CURVE_SERVERKEY, serverKey)
                try TelemetryKeys.set(socket, ZMQ_CURVE_PUBLICKEY, client.publicKey)
                try TelemetryKeys.set(socket, ZMQ_CURVE_SECRETKEY, client.secretKey)
            }
            Self.monitorCounter.lock()
            Self.monitorNumber += 1
            let number = Self.monitorNumber
            Self.monitorCounter.unlock()
            // The watcher listens before the connection starts, so it cannot miss the connect event.
            let address = "inproc://koine-telemetry-monitor-\(getpid())-\(number)"
            try watch.start(socket: socket, context: context, monitorAddress: address)
            guard zmq_connect(socket, endpoint) == 0 else { throw ZeroMQError("zmq_connect(\(endpoint))") }
        } catch {
            zmq_socket_monitor(socket, nil, 0)
            watch.stop()
            zmq_close(socket)
            self.socket = nil
            if ownsContext { zmq_ctx_term(context) }
            throw error
        }
    }

    deinit { close() }

    /// The default notice: one line on standard error.
    public static let printNotice: @Sendable (String) -> Void = { message in
        FileHandle.standardError.write(Data((message + "\n").utf8))
    }

    public func emit(_ kind: EventKind, step: Int, fields: [(String, JSONValue)]) {
        guard let socket else { return }
        if watch.takeReconnect() { resendRecent(socket) }
        let seq = nextSeq
        nextSeq += 1
        let now = currentTime()
        encoder.encode(kind: kind, seq: seq, time: now, step: step, dropped: dropped, fields: fields)
        guard encoder.writer.bytes.count <= EventEncoder.maximumFrameBytes else {
            dropOversized(kind, step: step, bytes: encoder.writer.bytes.count)
            return
        }
        encoder.writer.bytes.withUnsafeBytes { replay.record($0) }
        if unsent == 0 { oldestUnsent = now }
        unsent += 1
        // Frequent events go out in small bursts: ZeroMQ wakes its I/O thread once per burst
        // instead of once per event, which is most of the cost at an event every step.
        // Rare kinds, a slow cadence, a full burst or an old one are sent at once.
        let frequent = kind == .step || kind == .heartbeat || kind == .allreduce
        if !frequent || now - lastEmit >= Self.burstGap || unsent >= Self.burstSize || now - oldestUnsent >= Self.burstAge {
            sendUnsent(socket)
        }
        lastEmit = now
    }

    /// An event the collector would refuse for its size is not sent: it is dropped and
    /// counted (its `seq` shows as a gap), and the user is told once, since a collector
    /// cannot answer over this one-way socket.
    private func dropOversized(_ kind: EventKind, step: Int, bytes: Int) {
        dropped += 1
        guard !toldOversized else { return }
        toldOversized = true
        let megabytes = String(format: "%.1f", Double(bytes) / Double(1 << 20))
        notice("koine: a telemetry \(kind.rawValue) event (step \(step)) is \(megabytes) MiB, above the collector's limit of \(EventEncoder.maximumFrameBytes >> 20) MiB; it is not sent and counted as dropped (the run folder's files keep what they record)")
    }

    /// Events per burst at most, and how long the oldest may wait (s); emits further apart
    /// than `burstGap` are sent one by one, since then per-event wake-ups cost nothing that matters.
    static let burstSize = 64
    static let burstAge = 0.05
    static let burstGap = 0.02

    /// Sends the recorded frames not yet sent, oldest first; those ZeroMQ refuses are dropped and counted.
    private func sendUnsent(_ socket: UnsafeMutableRawPointer) {
        guard unsent > 0 else { return }
        var failed = 0
        replay.forEachNewest(unsent) { frame in
            if !send(socket, frame) { failed += 1 }
        }
        unsent = 0
        guard failed > 0 else { return }
        let first = dropped == 0
        dropped += failed
        if first {
            watch.warn("koine: telemetry to \(endpoint) is not being received (queue of \(Self.sendHighWaterMark) events or \(Self.queueBytes >> 20) MiB full); training continues, events are dropped and counted")
        }
    }

    /// One non-blocking send; false when the queue is full (`sendHighWaterMark` messages or
    /// `queueBytes` bytes). ZeroMQ takes a copy it frees through `releaseFrame` once the
    /// frame has left (or was dropped), which is how the bytes it holds are counted.
    private func send(_ socket: UnsafeMutableRawPointer, _ frame: UnsafeRawBufferPointer) -> Bool {
        guard queued.bytes + frame.count <= Self.queueBytes else { return false }
        var message = zmq_msg_t()
        guard queued.handOver(frame, to: &message) else { return false }
        while true {
            if zmq_msg_send(&message, socket, ZMQ_DONTWAIT) >= 0 { return true }
            if koine_errno() != koine_eintr() {
                zmq_msg_close(&message)
                return false
            }
        }
    }

    /// Sends the kept recent frames again after a reconnect; stops quietly if the queue fills.
    private func resendRecent(_ socket: UnsafeMutableRawPointer) {
        replay.forEachOldestFirst { frame in
            guard send(socket, frame) else { return false }
            replayed += 1
            return true
        }
    }

    /// Stops the watcher, then gives queued events at most `linger` seconds to
    /// leave (`connectedLinger` while a collector is connected).
    public func close() {
        guard let socket else { return }
        if watch.takeReconnect() { resendRecent(socket) }
        sendUnsent(socket)
        if watch.isConnected && linger < Self.connectedLinger {
            try? ZeroMQ.setOption(socket, ZMQ_LINGER, Int32(Self.connectedLinger * 1000))
        }
        zmq_socket_monitor(socket, nil, 0)
        watch.stop()
        zmq_close(socket)
        self.socket = nil
        if ownsContext { zmq_ctx_term(context) }
    }
}

/// The bytes of frames a publisher has handed to ZeroMQ and ZeroMQ has not released yet.
/// ZeroMQ's I/O thread releases them, so the count is atomic.
final class QueuedBytes: Sendable {
    private let count = Atomic<Int>(0)

    var bytes: Int { count.load(ordering: .relaxed) }

    /// Makes `message` own a copy of `frame`, counted until ZeroMQ releases it. The copy
    /// starts with its length, which the release reads back; each message also holds a
    /// reference to this counter, so a message outliving its publisher still finds it.
    func handOver(_ frame: UnsafeRawBufferPointer, to message: inout zmq_msg_t) -> Bool {
        let header = MemoryLayout<Int>.size
        guard let block = malloc(header + frame.count) else { return false }
        block.storeBytes(of: frame.count, as: Int.self)
        if frame.count > 0 { memcpy(block + header, frame.baseAddress!, frame.count) }
        let hint = Unmanaged.passRetained(self).toOpaque()
        count.add(frame.count, ordering: .relaxed)
        guard zmq_msg_init_data(&message, block + header, frame.count, releaseFrame, hint) == 0 else {
            releaseFrame(block + header, hint)
            return false
        }
        return true
    }

    fileprivate func release(_ size: Int) { count.subtract(size, ordering: .relaxed) }
}

/// ZeroMQ's callback when it is done with a frame `QueuedBytes.handOver` gave it.
private let releaseFrame: @convention(c) (UnsafeMutableRawPointer?, UnsafeMutableRawPointer?) -> Void = { data, hint in
    guard let data, let hint else { return }
    let block = data - MemoryLayout<Int>.size
    let queued = Unmanaged<QueuedBytes>.fromOpaque(hint).takeRetainedValue()
    queued.release(block.load(as: Int.self))
    free(block)
}

/// Problems the telemetry module reports to its callers.
public enum TelemetryError: Error, CustomStringConvertible {
    case invalidEndpoint(String, String)
    case database(String, String)
    /// A key (named by its file or variable) that is not a CURVE key.
    case invalidKey(String, String)

    public var description: String {
        switch self {
        case let .invalidEndpoint(endpoint, problem): return "\(endpoint): \(problem)"
        case let .database(path, problem): return "\(path): \(problem)"
        case let .invalidKey(source, problem): return "\(source): \(problem)"
        }
    }
}
