import CZMQ
import Foundation
import KoineTelemetry

/// Receives every rank's events on one PULL socket and stores them in SQLite.
///
/// One thread does everything after ZeroMQ's own I/O thread: receive, validate, batch,
/// write. A batch is written when it holds `batchSize` events or its oldest event has
/// waited `flushInterval`, so the database sees few, large transactions under load and
/// events still appear within ~100 ms when the run is slow.
public final class Collector: @unchecked Sendable {
    public static let defaultBind = Endpoint.defaultCollector.description
    public static let defaultDatabase = "runs/telemetry.sqlite"
    /// Frames ZeroMQ itself refuses (and disconnects the sender for); anything between
    /// `EventDecoder.maximumFrameBytes` and this is received and counted as oversized.
    public static let hardFrameLimit: Int64 = 64 << 20
    /// Refused frames kept in `bad_frames` per session; beyond that they are only counted.
    public static let badFramesKept = 1000

    public let bind: String
    public let databasePath: String
    public var batchSize = 5000
    public var flushInterval: TimeInterval = 0.1

    private let store: TelemetryStore
    private var socket: UnsafeMutableRawPointer?
    private var decoder = EventDecoder()
    private var writer: BatchWriter!
    private var batch: [ReceivedEvent] = []
    private var badFrames: [BadFrameRecord] = []
    private var badFramesLogged = 0
    private var badFramesSinceLog = 0
    private var lastBadLog = Date.distantPast
    private var statistics = CollectorStatistics()
    private let view: LiveView?
    private let quiet: Bool
    /// Reports connections refused at the CURVE handshake (only with a secret key).
    private var handshakes: UnsafeMutableRawPointer?

    private let lock = NSLock()
    private var stopRequested = false
    private let finished = DispatchSemaphore(value: 0)
    private var runningInBackground = false

    /// Opens the database and binds the socket; throws `CollectorError` naming what was wrong.
    /// `quiet` prints nothing but errors; otherwise the live view goes to standard output.
    /// With `secretKey` (Z85, from `koine keys`) the socket is a CURVE server: only senders
    /// that know its public key get through, and each refused handshake is counted as a
    /// bad frame (`unauthenticated`). `tensorBoard`: a directory that also receives every
    /// stored event as TensorBoard files.
    public init(bind: String = Collector.defaultBind, database: String = Collector.defaultDatabase,
                quiet: Bool = true, secretKey: String? = nil, tensorBoard: String? = nil) throws {
        if let problem = Endpoint.problem(with: bind, allowNone: false) {
            throw CollectorError.invalidBind(bind, problem)
        }
        self.bind = bind
        databasePath = database
        self.quiet = quiet
        let tracker: RunTracker
        do {
            store = try TelemetryStore(path: database)
            tracker = try store.loadTracker()
        } catch let error as TelemetryError {
            throw CollectorError.database(database, error.description)
        } catch {
            throw CollectorError.database(database, "\(error)")
        }
        view = quiet ? nil : LiveView()
        guard let socket = zmq_socket(ZeroMQ.sharedContext, ZMQ_PULL) else {
            throw CollectorError.socket(ZeroMQError("zmq_socket(PULL)").description)
        }
        do {
            try ZeroMQ.setOption(socket, ZMQ_RCVHWM, Int32(100_000))
            try ZeroMQ.setOption(socket, ZMQ_MAXMSGSIZE, Self.hardFrameLimit)
            try ZeroMQ.setOption(socket, ZMQ_LINGER, Int32(0))
            if let secretKey {
                if let problem = TelemetryKeys.problem(with: secretKey) { throw CollectorError.key(problem) }
                try ZeroMQ.setOption(socket, ZMQ_CURVE_SERVER, Int32(1))
                try TelemetryKeys.set(socket, ZMQ_CURVE_SECRETKEY, secretKey)
                handshakes = try Self.monitorHandshakes(socket)
            }
            guard zmq_bind(socket, bind) == 0 else {
                let error = ZeroMQError("zmq_bind")
                if error.isAddressInUse { throw CollectorError.addressInUse(bind) }
                throw CollectorError.invalidBind(bind, "cannot bind (\(String(cString: zmq_strerror(error.code))))")
            }
            try store.beginSession(bind: bind, now: currentTime())
        } catch {
            if let handshakes { zmq_close(handshakes) }
            zmq_close(socket)
            if let error = error as? CollectorError { throw error }
            throw CollectorError.socket("\(error)")
        }
        self.socket = socket
        batch.reserveCapacity(batchSize)
        writer = BatchWriter(store: store, tracker: tracker, tensorBoard: tensorBoard.map(TensorBoardExport.init))
    }

    /// Counters as of the last written batch (safe from any thread).
    public var currentStatistics: CollectorStatistics { writer.snapshot.statistics }
    /// Whether the database or the TensorBoard files could not be written (a full disk).
    public var writerFailed: Bool { writer.failed }

    /// Runs and ranks as of the last written batch (safe from any thread).
    public var currentTracker: RunTracker { writer.snapshot.tracker }

    /// The collector's state for a Prometheus scrape (safe from any thread).
    public var prometheusText: String {
        let snapshot = writer.snapshot
        return PrometheusExposition.render(statistics: snapshot.statistics, tracker: snapshot.tracker, now: currentTime())
    }

    /// Asks `run()` to flush and return; safe from any thread or a signal handler's queue.
    public func stop() {
        lock.lock()
        stopRequested = true
        let background = runningInBackground
        lock.unlock()
        if background { finished.wait() }
    }

    /// Runs `run()` on a thread of its own; `stop()` then waits for it to finish.
    public func startInBackground() {
        lock.lock()
        runningInBackground = true
        lock.unlock()
        let thread = Thread { [self] in
            do { try self.run() } catch {
                FileHandle.standardError.write(Data("koine collect: \(error)\n".utf8))
            }
            self.finished.signal()
        }
        thread.name = "koine-collector"
        thread.start()
    }

    /// Receives and stores until `stop()`; then stores what is left and closes.
    public func run() throws {
        guard let socket else { return }
        defer {
            if let handshakes {
                zmq_socket_monitor(socket, nil, 0)
                zmq_close(handshakes)
                self.handshakes = nil
            }
            zmq_close(socket)
            self.socket = nil
        }
        var items = [zmq_pollitem_t(socket: socket, fd: 0, events: Int16(ZMQ_POLLIN), revents: 0)]
        if let handshakes { items.append(zmq_pollitem_t(socket: handshakes, fd: 0, events: Int16(ZMQ_POLLIN), revents: 0)) }
        var oldestPending: Date?
        var message = zmq_msg_t()
        zmq_msg_init(&message)
        defer { zmq_msg_close(&message) }
        while !isStopRequested {
            var timeout = 100
            if let oldestPending {
                timeout = max(0, Int((flushInterval - Date().timeIntervalSince(oldestPending)) * 1000))
            }
            if zmq_poll(&items, Int32(items.count), timeout) > 0 {
                if receiveAvailable(socket, &message) > 0, oldestPending == nil { oldestPending = Date() }
                if countRefusedHandshakes() > 0, oldestPending == nil { oldestPending = Date() }
            }
            if let since = oldestPending,
               batch.count >= batchSize || Date().timeIntervalSince(since) >= flushInterval {
                flush()
                oldestPending = nil
            }
            if let view, view.isDue {
                let snapshot = writer.snapshot
                view.refresh(tracker: snapshot.tracker, statistics: snapshot.statistics)
            }
        }
        // Take what already arrived, then write it all.
        while receiveAvailable(socket, &message) > 0 {
            if batch.count >= batchSize { flush() }
        }
        flush(stopping: true)
        if let view {
            let snapshot = writer.snapshot
            view.refresh(tracker: snapshot.tracker, statistics: snapshot.statistics, force: true)
            view.finish()
        }
    }

    private var isStopRequested: Bool {
        lock.lock(); defer { lock.unlock() }
        return stopRequested
    }

    /// Takes frames until none is waiting or the batch is full; returns how many were taken.
    private func receiveAvailable(_ socket: UnsafeMutableRawPointer, _ message: inout zmq_msg_t) -> Int {
        var taken = 0
        while batch.count < batchSize {
            guard zmq_msg_recv(&message, socket, ZMQ_DONTWAIT) >= 0 else { break }
            taken += 1
            statistics.received += 1
            let size = zmq_msg_size(&message)
            let frame = UnsafeRawBufferPointer(start: zmq_msg_data(&message), count: size)
            if zmq_msg_more(&message) != 0 {
                refuse(.multipart, frame: frame)
                // Swallow the remaining parts of the message.
                while zmq_msg_more(&message) != 0, zmq_msg_recv(&message, socket, ZMQ_DONTWAIT) >= 0 {}
                continue
            }
            switch decoder.decode(frame) {
            case let .success(event): batch.append(event)
            case let .failure(problem): refuse(problem, frame: frame)
            }
        }
        return taken
    }

    /// Watches `socket` for connections refused at the handshake (no key, a wrong key, or
    /// not CURVE at all): those senders' frames never reach us, so this is where they count.
    private static func monitorHandshakes(_ socket: UnsafeMutableRawPointer) throws -> UnsafeMutableRawPointer {
        monitorCounter.lock()
        monitorNumber += 1
        let address = "inproc://koine-collector-handshakes-\(getpid())-\(monitorNumber)"
        monitorCounter.unlock()
        let events = ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH
        guard zmq_socket_monitor(socket, address, events) == 0 else { throw ZeroMQError("zmq_socket_monitor") }
        guard let pair = zmq_socket(ZeroMQ.sharedContext, ZMQ_PAIR) else { throw ZeroMQError("zmq_socket(PAIR)") }
        guard zmq_connect(pair, address) == 0 else {
            zmq_close(pair)
            throw ZeroMQError("zmq_connect(\(address))")
        }
        return pair
    }

    private static let monitorCounter = NSLock()
    nonisolated(unsafe) private static var monitorNumber = 0

    /// Counts the refused handshakes reported so far; returns how many.
    private func countRefusedHandshakes() -> Int {
        guard let handshakes else { return 0 }
        var refused = 0
        var message = zmq_msg_t()
        zmq_msg_init(&message)
        defer { zmq_msg_close(&message) }
        while zmq_msg_recv(&message, handshakes, ZMQ_DONTWAIT) >= 0 {
            // Each event is two parts: the event, then the peer's address.
            if zmq_msg_more(&message) != 0, zmq_msg_recv(&message, handshakes, ZMQ_DONTWAIT) >= 0 {
                refused += 1
                let address = UnsafeRawBufferPointer(start: zmq_msg_data(&message), count: zmq_msg_size(&message))
                refuse(.unauthenticated, frame: address)
            }
        }
        return refused
    }

    /// Counts a refused frame, keeps the first ones in the database and logs a few.
    private func refuse(_ problem: FrameProblem, frame: UnsafeRawBufferPointer) {
        statistics.bad += 1
        statistics.badByReason[problem.label, default: 0] += 1
        if statistics.bad <= Self.badFramesKept {
            let head = Data(UnsafeRawBufferPointer(rebasing: frame[..<min(frame.count, 200)]))
            badFrames.append(BadFrameRecord(time: currentTime(), reason: problem.description, size: frame.count, head: head))
        }
        guard !quiet else { return }
        // The first few are logged one by one, then a count at most every 10 s.
        if badFramesLogged < 5 {
            badFramesLogged += 1
            view?.log("bad frame: \(problem) (\(frame.count) bytes)")
        } else {
            badFramesSinceLog += 1
            if Date().timeIntervalSince(lastBadLog) >= 10 {
                view?.log("\(badFramesSinceLog) more bad frames (\(statistics.bad) in all; see the bad_frames table)")
                badFramesSinceLog = 0
                lastBadLog = Date()
            }
        }
    }

    /// Hands the batch to the writer thread (the last one waits until it is written).
    private func flush(stopping: Bool = false) {
        let work = BatchWriter.Work(events: batch, badFrames: badFrames, received: statistics.received,
                                    bad: statistics.bad, badByReason: statistics.badByReason, stopping: stopping)
        if stopping { writer.finish(work) } else { writer.submit(work) }
        batch = []
        batch.reserveCapacity(batchSize)
        badFrames.removeAll(keepingCapacity: true)
    }
}

/// Why a collector could not start; the message names the flag and value at fault.
public enum CollectorError: Error, CustomStringConvertible {
    case invalidBind(String, String)
    case addressInUse(String)
    case database(String, String)
    case socket(String)
    case key(String)

    public var description: String {
        switch self {
        case let .invalidBind(endpoint, problem): return "--bind \(endpoint): \(problem)"
        case let .addressInUse(endpoint):
            return "--bind \(endpoint): address already in use (is another collector running?)"
        case let .database(path, problem):
            let detail = problem.hasPrefix(path + ": ") ? String(problem.dropFirst(path.count + 2)) : problem
            return "--db \(path): \(detail)"
        case let .socket(problem): return "cannot create the collector socket: \(problem)"
        case let .key(problem): return "--secret-key: \(problem)"
        }
    }
}
