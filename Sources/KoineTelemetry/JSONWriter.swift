/// Writes compact JSON into a byte buffer that is reused from event to event.
///
/// Hand-rolled because the trainer may emit an event every step: the buffer keeps
/// its capacity, so a steady-state event costs a few hundred nanoseconds and no
/// allocation beyond what formatting a Double takes.
public struct JSONWriter {
    public private(set) var bytes: [UInt8] = []

    public init(capacity: Int = 1024) {
        bytes.reserveCapacity(capacity)
    }

    /// Empties the buffer and keeps its storage.
    public mutating func reset() {
        bytes.removeAll(keepingCapacity: true)
    }

    public var string: String { String(decoding: bytes, as: UTF8.self) }

    public mutating func write(_ value: JSONValue) {
        switch value {
        case .null: writeNull()
        case let .bool(flag): writeBool(flag)
        case let .int(number): writeInt(number)
        case let .double(number): writeDouble(number)
        case let .string(text): writeString(text)
        case let .array(elements):
            bytes.append(UInt8(ascii: "["))
            for (index, element) in elements.enumerated() {
                if index > 0 { bytes.append(UInt8(ascii: ",")) }
                write(element)
            }
            bytes.append(UInt8(ascii: "]"))
        case let .object(members):
            bytes.append(UInt8(ascii: "{"))
            for (index, member) in members.enumerated() {
                if index > 0 { bytes.append(UInt8(ascii: ",")) }
                writeKey(member.0)
                write(member.1)
            }
            bytes.append(UInt8(ascii: "}"))
        }
    }

    // MARK: Pieces, for writers that lay out an object themselves (the sinks' envelope).

    public mutating func beginObject() { bytes.append(UInt8(ascii: "{")) }
    public mutating func endObject() { bytes.append(UInt8(ascii: "}")) }
    public mutating func comma() { bytes.append(UInt8(ascii: ",")) }

    /// Writes `"key":`.
    public mutating func writeKey(_ key: String) {
        writeString(key)
        bytes.append(UInt8(ascii: ":"))
    }

    public mutating func writeNull() {
        appendStatic("null")
    }

    public mutating func writeBool(_ flag: Bool) {
        appendStatic(flag ? "true" : "false")
    }

    public mutating func writeInt(_ number: Int) {
        if number == 0 { bytes.append(UInt8(ascii: "0")); return }
        // Digits are produced backwards into a stack tuple, then copied.
        var magnitude = number.magnitude
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)
        var count = 0
        withUnsafeMutableBytes(of: &digits) { buffer in
            while magnitude > 0 {
                count += 1
                buffer[24 - count] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: magnitude % 10)
                magnitude /= 10
            }
        }
        if number < 0 { bytes.append(UInt8(ascii: "-")) }
        withUnsafeBytes(of: &digits) { buffer in
            bytes.append(contentsOf: buffer[(24 - count)...])
        }
    }

    /// Shortest round-tripping form; NaN and infinities become null (JSON has no spelling for them).
    public mutating func writeDouble(_ number: Double) {
        guard number.isFinite else { writeNull(); return }
        if number == number.rounded(.towardZero), abs(number) < 1e15 {
            // Integral values: exact and cheaper through the integer path, keeping a ".0" so readers see a float.
            writeInt(Int(number))
            bytes.append(UInt8(ascii: "."))
            bytes.append(UInt8(ascii: "0"))
            return
        }
        bytes.append(contentsOf: number.description.utf8)
    }

    /// Appends the bytes of a literal without building an array.
    public mutating func appendStatic(_ text: StaticString) {
        bytes.append(contentsOf: UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    public mutating func appendByte(_ byte: UInt8) { bytes.append(byte) }

    /// Appends bytes that are already JSON (a preformatted fragment).
    public mutating func appendRaw(_ fragment: UnsafeRawBufferPointer) {
        bytes.append(contentsOf: fragment)
    }

    public mutating func writeString(_ text: String) {
        bytes.append(UInt8(ascii: "\""))
        var text = text
        let done: Void? = text.utf8.withContiguousStorageIfAvailable { appendEscaped($0) }
        if done == nil {
            text.makeContiguousUTF8()
            text.utf8.withContiguousStorageIfAvailable { appendEscaped($0) }
        }
        bytes.append(UInt8(ascii: "\""))
    }

    /// Copies runs of plain bytes in one go and escapes `"`, `\` and control characters.
    /// Non-ASCII UTF-8 passes through unchanged (JSON text is UTF-8).
    private mutating func appendEscaped(_ source: UnsafeBufferPointer<UInt8>) {
        var runStart = 0
        for index in 0..<source.count {
            let byte = source[index]
            guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else { continue }
            if runStart < index { bytes.append(contentsOf: UnsafeBufferPointer(rebasing: source[runStart..<index])) }
            runStart = index + 1
            bytes.append(UInt8(ascii: "\\"))
            switch byte {
            case UInt8(ascii: "\""): bytes.append(UInt8(ascii: "\""))
            case UInt8(ascii: "\\"): bytes.append(UInt8(ascii: "\\"))
            case 0x0A: bytes.append(UInt8(ascii: "n"))
            case 0x0D: bytes.append(UInt8(ascii: "r"))
            case 0x09: bytes.append(UInt8(ascii: "t"))
            case 0x08: bytes.append(UInt8(ascii: "b"))
            case 0x0C: bytes.append(UInt8(ascii: "f"))
            default:
                appendStatic("u00")
                bytes.append(hexDigit(byte >> 4))
                bytes.append(hexDigit(byte & 0xF))
            }
        }
        if runStart < source.count {
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: source[runStart...]))
        }
    }
}

private func hexDigit(_ nibble: UInt8) -> UInt8 {
    nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") + nibble - 10
}
