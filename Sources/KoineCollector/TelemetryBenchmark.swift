import CZMQ
import Foundation
import KoineTelemetry

/// Measures the two figures the telemetry design promises (run by `koine collect --benchmark`):
/// what one `emit` costs the training thread, and how many events per second the collector
/// stores into SQLite when they arrive faster than it can take them.
public enum TelemetryBenchmark {
    public struct Figures {
        public var emitMicroseconds: Double
        public var emitCPUMicroseconds: Double
        public var emitEvents: Int
        public var ingestEventsPerSecond: Double
        public var ingestEvents: Int
        public var eventBytes: Int
    }

    /// A step event as the trainer sends it.
    static let stepFields: [(String, JSONValue)] = [
        ("games_per_second", .double(123_456.78)), ("steps_per_second", .double(482.31)),
        ("loss", .double(0.6931471805599453)), ("accuracy", .double(0.8125)), ("entropy", .double(1.3862943611198906)),
        ("speaker_loss", .double(0.4123456789)), ("listener_loss", .double(0.2812345678)), ("resets", .int(3)),
    ]

    /// Times the parts separately (encode, emit without a collector, decode, SQLite writes), to see where time goes.
    public static func components(events: Int, directory: String, log: (String) -> Void) throws {
        var encoder = EventEncoder(run: "bench-parts", rank: 0)
        var start = currentTime()
        var frames: [[UInt8]] = []
        frames.reserveCapacity(events)
        for seq in 0..<events {
            encoder.encode(kind: .step, seq: seq, time: currentTime(), step: seq, dropped: 0, fields: stepFields)
            frames.append(encoder.writer.bytes)
        }
        log(String(format: "  encode (and copy): %.2f µs per event", (currentTime() - start) / Double(events) * 1e6))
        start = currentTime()
        for seq in 0..<events {
            encoder.encode(kind: .step, seq: seq, time: 1.5e9, step: seq, dropped: 0, fields: stepFields)
        }
        log(String(format: "  encode only: %.2f µs per event", (currentTime() - start) / Double(events) * 1e6))
        let alone = try ZeroMQPublisher(endpoint: "tcp://127.0.0.1:\(try freeLoopbackPort())", run: "bench-alone", rank: 0,
                                        linger: 0, notice: { _ in })
        let aloneCount = min(events, Int(ZeroMQPublisher.sendHighWaterMark) / 2)
        start = currentTime()
        for step in 0..<aloneCount { alone.emit(.step, step: step, fields: stepFields) }
        log(String(format: "  emit, no collector (queued): %.2f µs per event", (currentTime() - start) / Double(aloneCount) * 1e6))
        alone.close()
        var decoder = EventDecoder()
        var decoded: [ReceivedEvent] = []
        decoded.reserveCapacity(events)
        start = currentTime()
        for frame in frames {
            if case let .success(event) = frame.withUnsafeBytes({ decoder.decode($0) }) { decoded.append(event) }
        }
        log(String(format: "  decode: %.2f µs per event", (currentTime() - start) / Double(events) * 1e6))
        let store = try TelemetryStore(path: directory + "/parts.sqlite")
        try store.beginSession(bind: "none", now: currentTime())
        var tracker = RunTracker()
        var statistics = CollectorStatistics()
        start = currentTime()
        var offset = 0
        while offset < decoded.count {
            let end = min(offset + 5000, decoded.count)
            try store.write(Array(decoded[offset..<end]), badFrames: [], tracker: &tracker, statistics: &statistics, now: currentTime())
            offset = end
        }
        log(String(format: "  SQLite writes: %.2f µs per event", (currentTime() - start) / Double(events) * 1e6))
    }

    public static func run(events: Int, directory: String, log: (String) -> Void) throws -> Figures {
        // 1. Emit cost, with a collector storing what arrives (as in a real run).
        let emitPath = directory + "/emit.sqlite"
        let emitEndpoint = "tcp://127.0.0.1:\(try freeLoopbackPort())"
        let collector = try Collector(bind: emitEndpoint, database: emitPath)
        collector.startInBackground()
        let publisher = try ZeroMQPublisher(endpoint: emitEndpoint, run: "bench-emit", rank: 0)
        let emitCount = min(events, Int(ZeroMQPublisher.sendHighWaterMark) / 2)
        let emitStart = currentTime()
        let emitCPUStart = threadCPUTime()
        for step in 0..<emitCount { publisher.emit(.step, step: step, fields: stepFields) }
        let emitSeconds = currentTime() - emitStart
        let emitCPUSeconds = threadCPUTime() - emitCPUStart
        publisher.close()
        _ = waitFor(timeout: 60) { collector.currentStatistics.stored >= emitCount }
        collector.stop()
        // Wall time includes being preempted by the collector's threads on a small machine;
        // the thread's CPU time is what the training thread itself spends.
        log(String(format: "emit: %.2f µs per step event wall, %.2f µs CPU of the calling thread (%d events, %d dropped)",
                   emitSeconds / Double(emitCount) * 1e6, emitCPUSeconds / Double(emitCount) * 1e6,
                   emitCount, publisher.dropped))

        // 2. Ingest: queue every frame on an unbounded sender first, then start the collector
        //    and time how long it takes to store them all.
        var encoder = EventEncoder(run: "bench-ingest", rank: 0)
        let ingestEndpoint = "tcp://127.0.0.1:\(try freeLoopbackPort())"
        let context = zmq_ctx_new()!
        let pusher = zmq_socket(context, ZMQ_PUSH)!
        try ZeroMQ.setOption(pusher, ZMQ_SNDHWM, Int32(0))
        try ZeroMQ.setOption(pusher, ZMQ_LINGER, Int32(0))
        zmq_connect(pusher, ingestEndpoint)
        var eventBytes = 0
        for seq in 0..<events {
            encoder.encode(kind: .step, seq: seq, time: currentTime(), step: seq, dropped: 0, fields: stepFields)
            eventBytes = encoder.writer.bytes.count
            _ = encoder.writer.bytes.withUnsafeBytes { zmq_send(pusher, $0.baseAddress, $0.count, 0) }
        }
        let ingestPath = directory + "/ingest.sqlite"
        let ingest = try Collector(bind: ingestEndpoint, database: ingestPath)
        let ingestStart = currentTime()
        ingest.startInBackground()
        let complete = waitFor(timeout: 600) { ingest.currentStatistics.stored >= events }
        let ingestSeconds = currentTime() - ingestStart
        ingest.stop()
        zmq_close(pusher)
        zmq_ctx_term(context)
        guard complete else { throw TelemetryError.database(ingestPath, "benchmark: not every event was stored") }
        let rate = Double(events) / ingestSeconds
        log(String(format: "ingest: %.0f events/s into SQLite (%d events of %d bytes in %.2f s, WAL, batches of %d)",
                   rate, events, eventBytes, ingestSeconds, ingest.batchSize))
        return Figures(emitMicroseconds: emitSeconds / Double(emitCount) * 1e6,
                       emitCPUMicroseconds: emitCPUSeconds / Double(emitCount) * 1e6, emitEvents: emitCount,
                       ingestEventsPerSecond: rate, ingestEvents: events, eventBytes: eventBytes)
    }

    /// CPU seconds the calling thread has used.
    private static func threadCPUTime() -> Double {
        var spec = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &spec)
        return Double(spec.tv_sec) + Double(spec.tv_nsec) * 1e-9
    }

    private static func waitFor(timeout: TimeInterval, _ condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if condition() { return true }
            usleep(5_000)
        }
        return condition()
    }

    /// A loopback port the kernel has just handed out (and that is free again).
    private static func freeLoopbackPort() throws -> Int {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, length) == 0 && getsockname(descriptor, $0, &length) == 0 }
        }
        guard bound else { throw TelemetryError.invalidEndpoint("tcp://127.0.0.1:0", "no free port") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
