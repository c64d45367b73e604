import Foundation

/// Lays out one event: the envelope first, then the kind's fields.
///
/// The part of the envelope that never changes (`{"v":1,"run":…,"rank":…,"seq":`) is
/// written once, so each event only formats what is new.
package struct EventEncoder {
    /// The largest frame a collector accepts: an event is a few hundred bytes, `run_started`
    /// with a large configuration or an evaluation with a large cross-play matrix can be
    /// more. Publishers hold their frames to it, so a collector never refuses one of theirs.
    package static let maximumFrameBytes = 1 << 20

    package private(set) var writer = JSONWriter(capacity: 4096)
    private let prefix: [UInt8]

    package init(run: String, rank: Int) {
        var head = JSONWriter(capacity: 128)
        head.appendStatic("{\"v\":")
        head.writeInt(telemetrySchemaVersion)
        head.appendStatic(",\"run\":")
        head.writeString(run)
        head.appendStatic(",\"rank\":")
        head.writeInt(rank)
        head.appendStatic(",\"seq\":")
        prefix = head.bytes
    }

    /// Encodes the event into the internal buffer; read it through `writer.bytes`.
    package mutating func encode(
        kind: EventKind, seq: Int, time: Double, step: Int, dropped: Int, fields: [(String, JSONValue)]
    ) {
        writer.reset()
        prefix.withUnsafeBytes { writer.appendRaw($0) }
        writer.writeInt(seq)
        writer.appendStatic(",\"time\":")
        writeTime(time)
        writer.appendStatic(",\"kind\":")
        writer.writeString(kind.rawValue)
        writer.appendStatic(",\"step\":")
        writer.writeInt(step)
        if dropped > 0 {
            writer.appendStatic(",\"dropped\":")
            writer.writeInt(dropped)
        }
        for (key, value) in fields {
            writer.comma()
            writer.writeKey(key)
            writer.write(value)
        }
        writer.endObject()
    }

    /// Unix time with microseconds, formatted as integer parts (no Double-to-text cost).
    private mutating func writeTime(_ time: Double) {
        guard time.isFinite, time >= 0 else { writer.writeNull(); return }
        let micros = Int((time * 1e6).rounded())
        writer.writeInt(micros / 1_000_000)
        writer.appendStatic(".")
        var fraction = micros % 1_000_000
        var divisor = 100_000
        for _ in 0..<6 {
            writer.appendByte(UInt8(ascii: "0") + UInt8(fraction / divisor))
            fraction %= divisor
            divisor /= 10
        }
    }
}

/// Wall-clock seconds since 1970, straight from the system clock.
package func currentTime() -> Double {
    var spec = timespec()
    clock_gettime(CLOCK_REALTIME, &spec)
    return Double(spec.tv_sec) + Double(spec.tv_nsec) * 1e-9
}
