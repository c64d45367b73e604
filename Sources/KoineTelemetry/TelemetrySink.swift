/// Where the trainer sends its events. It never talks to ZeroMQ directly, so tests
/// can hand it a sink that records or discards.
///
/// The sink adds the envelope — `v`, `run`, `rank`, `seq` (per rank, from 0, no gaps),
/// `time`, `kind`, `step` — and, once anything was dropped, `dropped`.
public protocol TelemetrySink: AnyObject {
    /// Sends one event without blocking; if it cannot be queued it is dropped and counted.
    func emit(_ kind: EventKind, step: Int, fields: [(String, JSONValue)])
    /// Events dropped so far because the queue was full.
    var dropped: Int { get }
    /// The `seq` of the next event; a resumed run sets it from its checkpoint
    /// so each rank's sequence continues without a gap.
    var sequence: Int { get set }
    /// Flushes what it can within a bounded time and releases the connection.
    func close()
}

/// The sink for `telemetry.endpoint: none`: every event is discarded at no cost.
public final class NullSink: TelemetrySink {
    public init() {}
    public func emit(_ kind: EventKind, step: Int, fields: [(String, JSONValue)]) { sequence += 1 }
    public var dropped: Int { 0 }
    public var sequence = 0
    public func close() {}
}

/// Makes the sink an endpoint names: `none` gives a NullSink, anything else a ZeroMQPublisher.
public func makeTelemetrySink(endpoint: String, run: String, rank: Int) throws -> TelemetrySink {
    if endpoint == "none" { return NullSink() }
    return try ZeroMQPublisher(endpoint: endpoint, run: run, rank: rank)
}
