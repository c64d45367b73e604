/// A strict JSON validator that also notes where each top-level member of an object sits.
///
/// The collector must accept any bytes without crashing and must only store text that
/// SQLite's JSON functions can read later, so every frame is checked in full (grammar,
/// UTF-8, nesting depth). It builds no tree: the members are byte ranges into the frame,
/// decoded only for the few fields the collector looks at.
struct JSONScanner {
    enum ValueType { case object, array, string, number, integer, bool, null }

    struct Member {
        var keyStart: Int, keyEnd: Int, keyEscaped: Bool
        var valueStart: Int, valueEnd: Int, type: ValueType
    }

    static let maximumDepth = 64

    private let bytes: UnsafeRawBufferPointer
    private var index = 0

    init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    /// Validates `bytes` as one JSON object; returns its top-level members, or nil with a reason.
    static func scanObject(_ bytes: UnsafeRawBufferPointer, into members: inout [Member]) -> String? {
        members.removeAll(keepingCapacity: true)
        var scanner = JSONScanner(bytes)
        scanner.skipWhitespace()
        guard scanner.peek == UInt8(ascii: "{") else { return "not a JSON object" }
        guard scanner.scanObjectMembers(&members) else { return "not valid JSON" }
        scanner.skipWhitespace()
        guard scanner.index == bytes.count else { return "not valid JSON (trailing bytes)" }
        return nil
    }

    private var peek: UInt8? { index < bytes.count ? bytes[index] : nil }

    private mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x09, 0x0A, 0x0D: index += 1
            default: return
            }
        }
    }

    private mutating func scanObjectMembers(_ members: inout [Member]) -> Bool {
        index += 1  // {
        skipWhitespace()
        if peek == UInt8(ascii: "}") { index += 1; return true }
        while true {
            skipWhitespace()
            let keyStart = index + 1
            guard peek == UInt8(ascii: "\""), let escaped = scanString() else { return false }
            let keyEnd = index - 1
            skipWhitespace()
            guard peek == UInt8(ascii: ":") else { return false }
            index += 1
            skipWhitespace()
            let valueStart = index
            guard let type = scanValue(depth: 1) else { return false }
            members.append(Member(keyStart: keyStart, keyEnd: keyEnd, keyEscaped: escaped,
                                  valueStart: valueStart, valueEnd: index, type: type))
            skipWhitespace()
            guard let next = peek else { return false }
            index += 1
            if next == UInt8(ascii: "}") { return true }
            guard next == UInt8(ascii: ",") else { return false }
        }
    }

    /// Scans any value at the cursor; nil when it is malformed.
    private mutating func scanValue(depth: Int) -> ValueType? {
        guard let first = peek else { return nil }
        switch first {
        case UInt8(ascii: "\""): return scanString() == nil ? nil : .string
        case UInt8(ascii: "{"):
            guard depth < Self.maximumDepth else { return nil }
            return scanContainer(close: UInt8(ascii: "}"), keyed: true, depth: depth) ? .object : nil
        case UInt8(ascii: "["):
            guard depth < Self.maximumDepth else { return nil }
            return scanContainer(close: UInt8(ascii: "]"), keyed: false, depth: depth) ? .array : nil
        case UInt8(ascii: "t"): return scanLiteral("true") ? .bool : nil
        case UInt8(ascii: "f"): return scanLiteral("false") ? .bool : nil
        case UInt8(ascii: "n"): return scanLiteral("null") ? .null : nil
        default: return scanNumber()
        }
    }

    private mutating func scanContainer(close: UInt8, keyed: Bool, depth: Int) -> Bool {
        index += 1
        skipWhitespace()
        if peek == close { index += 1; return true }
        while true {
            skipWhitespace()
            if keyed {
                guard peek == UInt8(ascii: "\""), scanString() != nil else { return false }
                skipWhitespace()
                guard peek == UInt8(ascii: ":") else { return false }
                index += 1
                skipWhitespace()
            }
            guard scanValue(depth: depth + 1) != nil else { return false }
            skipWhitespace()
            guard let next = peek else { return false }
            index += 1
            if next == close { return true }
            guard next == UInt8(ascii: ",") else { return false }
        }
    }

    private mutating func scanLiteral(_ word: StaticString) -> Bool {
        let count = word.utf8CodeUnitCount
        guard bytes.count - index >= count else { return false }
        for offset in 0..<count where bytes[index + offset] != word.utf8Start[offset] { return false }
        index += count
        return true
    }

    /// Scans a string starting at its opening quote; returns whether it held escapes, nil if malformed.
    private mutating func scanString() -> Bool? {
        index += 1
        var escaped = false
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") { index += 1; return escaped }
            if byte < 0x20 { return nil }
            if byte == UInt8(ascii: "\\") {
                escaped = true
                index += 1
                guard let code = peek else { return nil }
                switch code {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"),
                     UInt8(ascii: "f"), UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                    index += 1
                case UInt8(ascii: "u"):
                    guard bytes.count - index >= 5 else { return nil }
                    for offset in 1...4 where !isHexDigit(bytes[index + offset]) { return nil }
                    index += 5
                default: return nil
                }
                continue
            }
            if byte < 0x80 { index += 1; continue }
            guard scanUTF8Sequence() else { return nil }
        }
        return nil
    }

    /// Checks one multi-byte UTF-8 sequence (no overlongs, no surrogates, at most U+10FFFF).
    private mutating func scanUTF8Sequence() -> Bool {
        let lead = bytes[index]
        let length: Int
        var low: UInt8 = 0x80, high: UInt8 = 0xBF
        switch lead {
        case 0xC2...0xDF: length = 2
        case 0xE0: length = 3; low = 0xA0
        case 0xE1...0xEC, 0xEE...0xEF: length = 3
        case 0xED: length = 3; high = 0x9F
        case 0xF0: length = 4; low = 0x90
        case 0xF1...0xF3: length = 4
        case 0xF4: length = 4; high = 0x8F
        default: return false
        }
        guard bytes.count - index >= length else { return false }
        let second = bytes[index + 1]
        guard second >= low, second <= high else { return false }
        for offset in 2..<length where bytes[index + offset] & 0xC0 != 0x80 { return false }
        index += length
        return true
    }

    private mutating func scanNumber() -> ValueType? {
        var integral = true
        if peek == UInt8(ascii: "-") { index += 1 }
        guard let first = peek, isDigit(first) else { return nil }
        index += 1
        if first != UInt8(ascii: "0") { skipDigits() }
        if peek == UInt8(ascii: ".") {
            integral = false
            index += 1
            guard let digit = peek, isDigit(digit) else { return nil }
            skipDigits()
        }
        if peek == UInt8(ascii: "e") || peek == UInt8(ascii: "E") {
            integral = false
            index += 1
            if peek == UInt8(ascii: "+") || peek == UInt8(ascii: "-") { index += 1 }
            guard let digit = peek, isDigit(digit) else { return nil }
            skipDigits()
        }
        return integral ? .integer : .number
    }

    private mutating func skipDigits() {
        while index < bytes.count, isDigit(bytes[index]) { index += 1 }
    }
}

@inline(__always) private func isDigit(_ byte: UInt8) -> Bool { byte &- UInt8(ascii: "0") < 10 }

@inline(__always) private func isHexDigit(_ byte: UInt8) -> Bool {
    isDigit(byte) || (byte | 0x20) &- UInt8(ascii: "a") < 6
}
