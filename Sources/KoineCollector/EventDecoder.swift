import Foundation
import KoineTelemetry

/// Turns a frame into a ReceivedEvent, or says exactly why it cannot be one.
///
/// Holds its member list between frames so steady-state decoding allocates only the
/// strings it keeps (run id and body).
struct EventDecoder {
    /// Frames above this size are refused unread (the limit publishers keep to).
    static let maximumFrameBytes = EventEncoder.maximumFrameBytes

    private var members: [JSONScanner.Member] = []
    /// For each known field, the index of its member in this frame (or -1); filled in one pass.
    private var found = [Int](repeating: -1, count: KnownField.allCases.count)

    init() { members.reserveCapacity(64) }

    mutating func decode(_ frame: UnsafeRawBufferPointer) -> Result<ReceivedEvent, FrameProblem> {
        guard frame.count <= Self.maximumFrameBytes else { return .failure(.oversized(frame.count)) }
        if let problem = JSONScanner.scanObject(frame, into: &members) { return .failure(.malformed(problem)) }
        for index in found.indices { found[index] = -1 }
        for (index, member) in members.enumerated() where !member.keyEscaped {
            if let field = KnownField.match(frame, member), found[field.rawValue] < 0 { found[field.rawValue] = index }
        }
        let fields = Fields(frame: frame, members: members, found: found)
        return Result { () throws(FrameProblem) in try fields.event() }
    }
}

/// The largest whole number a count field (`rank`, `seq`, `step`, `dropped`, …) may hold:
/// 2^53, the last integer every JSON reader and SQLite's REAL keep exactly. A `seq` that
/// high is 285 years of a million events a second, so anything above is a broken or forged
/// frame; and bounding every count at ingest keeps the collector's and the reports'
/// arithmetic on them (gaps, sums over ranks) far from overflow.
let maximumCount = 1 << 53

extension Fields {
    /// The event the frame describes; throws the first field that is missing or impossible.
    fileprivate func event() throws(FrameProblem) -> ReceivedEvent {
        guard let version = member(.v) else { throw .missingField("v") }
        guard version.type == .integer, integer(version) == telemetrySchemaVersion else {
            throw .wrongVersion(text(of: version, limit: 20))
        }
        guard let runMember = member(.run) else { throw .missingField("run") }
        guard let run = string(runMember), !run.isEmpty, run.utf8.count <= 256,
              !run.unicodeScalars.contains(where: Self.isControl) else {
            throw .wrongType("run")
        }
        let rank = try requiredCount(.rank)
        let seq = try requiredCount(.seq)
        guard let kindMember = member(.kind) else { throw .missingField("kind") }
        guard kindMember.type == .string, let kind = self.kind(kindMember) else { throw .wrongType("kind") }
        guard let timeMember = member(.time) else { throw .missingField("time") }
        guard let time = number(timeMember), time >= 0, time <= Double(maximumCount) else { throw .wrongType("time") }
        // A null step is an event outside training steps.
        let step = member(.step)?.type == .null ? nil : try count(.step)

        var event = ReceivedEvent(
            run: run, rank: rank, seq: seq, kind: kind, step: step, time: time,
            body: String(decoding: frame, as: UTF8.self))
        event.dropped = try count(.dropped)
        switch kind {
        case .step:
            event.gamesPerSecond = member(.gamesPerSecond).flatMap(number)
            event.accuracy = member(.accuracy).flatMap(number)
            event.resets = try count(.resets)
        case .eval:
            event.accuracy = member(.accuracy).flatMap(number)
            event.topsim = member(.topsim).flatMap(number)
        case .runStarted:
            event.worldSize = try count(.worldSize, from: 1)
            event.totalSteps = try count(.totalSteps)
            event.config = member(.config).map { raw($0) }
            event.hosts = member(.hosts).map { raw($0) }
            event.versions = member(.versions).map { raw($0) }
        case .runFinished:
            event.summary = member(.summary).map { raw($0) }
        default:
            break
        }
        return event
    }

    /// A count that must be there.
    private func requiredCount(_ field: KnownField) throws(FrameProblem) -> Int {
        guard let value = try count(field) else { throw .missingField(field.label) }
        return value
    }

    /// A count that may be absent (nil); when present it must be a whole number from
    /// `from` to `maximumCount`, else the whole frame is refused.
    private func count(_ field: KnownField, from minimum: Int = 0) throws(FrameProblem) -> Int? {
        guard let member = self.member(field) else { return nil }
        guard let value = integer(member), value >= minimum, value <= maximumCount else { throw .wrongType(field.label) }
        return value
    }

    /// C0 and C1 control characters and DEL: a run id is printed on terminals, where they
    /// would be read as escape sequences.
    private static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value)
    }
}

/// Reads the top-level members the scanner found.
private struct Fields {
    let frame: UnsafeRawBufferPointer
    let members: [JSONScanner.Member]
    let found: [Int]

    /// The first member named `name` (escaped keys never match; senders do not escape plain names).
    func member(_ name: KnownField) -> JSONScanner.Member? {
        let index = found[name.rawValue]
        return index >= 0 ? members[index] : nil
    }

    /// The event kind a string member names, matched on its bytes (no String is built).
    func kind(_ member: JSONScanner.Member) -> EventKind? {
        let name = UnsafeRawBufferPointer(rebasing: frame[(member.valueStart + 1)..<(member.valueEnd - 1)])
        return EventKind.allCases.first { kind in
            kind.rawValue.utf8.withContiguousStorageIfAvailable { name.elementsEqual($0) } ?? false
        }
    }

    func integer(_ member: JSONScanner.Member) -> Int? {
        guard member.type == .integer else {
            // 3.0 is accepted as 3: some JSON writers always print a fraction.
            if member.type == .number, let value = number(member), value.rounded() == value, abs(value) < 9e15 {
                return Int(value)
            }
            return nil
        }
        var value = 0
        var negative = false
        for index in member.valueStart..<member.valueEnd {
            let byte = frame[index]
            if byte == UInt8(ascii: "-") { negative = true; continue }
            let (times, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times.addingReportingOverflow(Int(byte - UInt8(ascii: "0")))
            if overflow1 || overflow2 { return nil }
            value = sum
        }
        return negative ? -value : value
    }

    func number(_ member: JSONScanner.Member) -> Double? {
        guard member.type == .integer || member.type == .number else { return nil }
        let length = member.valueEnd - member.valueStart
        guard length < 64 else { return nil }
        // strtod needs a terminated string; numbers are short, so a stack buffer does.
        return withUnsafeTemporaryAllocation(of: CChar.self, capacity: length + 1) { buffer in
            memcpy(buffer.baseAddress!, frame.baseAddress! + member.valueStart, length)
            buffer[length] = 0
            let value = strtod(buffer.baseAddress!, nil)
            return value.isFinite ? value : nil
        }
    }

    func string(_ member: JSONScanner.Member) -> String? {
        guard member.type == .string else { return nil }
        let inner = UnsafeRawBufferPointer(rebasing: frame[(member.valueStart + 1)..<(member.valueEnd - 1)])
        guard inner.contains(UInt8(ascii: "\\")) else { return String(decoding: inner, as: UTF8.self) }
        // Rare: let Foundation undo the escapes of this one validated string.
        let quoted = Data(UnsafeRawBufferPointer(rebasing: frame[member.valueStart..<member.valueEnd]))
        return (try? JSONSerialization.jsonObject(with: quoted, options: [.fragmentsAllowed])) as? String
    }

    /// The member's JSON text as sent.
    func raw(_ member: JSONScanner.Member) -> String {
        String(decoding: UnsafeRawBufferPointer(rebasing: frame[member.valueStart..<member.valueEnd]), as: UTF8.self)
    }

    /// The member's text, cut to `limit` bytes, for messages.
    func text(of member: JSONScanner.Member, limit: Int) -> String {
        let end = min(member.valueEnd, member.valueStart + limit)
        return String(decoding: UnsafeRawBufferPointer(rebasing: frame[member.valueStart..<end]), as: UTF8.self)
    }
}

/// The top-level fields the collector reads; every other member is only validated and stored.
enum KnownField: Int, CaseIterable {
    case v, run, rank, seq, kind, time, step, dropped
    case gamesPerSecond, accuracy, resets, topsim
    case worldSize, totalSteps, config, hosts, versions, summary

    var label: String { "\(name)" }

    var name: StaticString {
        switch self {
        case .v: return "v"
        case .run: return "run"
        case .rank: return "rank"
        case .seq: return "seq"
        case .kind: return "kind"
        case .time: return "time"
        case .step: return "step"
        case .dropped: return "dropped"
        case .gamesPerSecond: return "games_per_second"
        case .accuracy: return "accuracy"
        case .resets: return "resets"
        case .topsim: return "topsim"
        case .worldSize: return "world_size"
        case .totalSteps: return "total_steps"
        case .config: return "config"
        case .hosts: return "hosts"
        case .versions: return "versions"
        case .summary: return "summary"
        }
    }

    /// Known fields by key length, so most keys are ruled out without comparing bytes.
    private static let byLength: [[KnownField]] = {
        var table = [[KnownField]](repeating: [], count: 17)
        for field in allCases { table[field.name.utf8CodeUnitCount].append(field) }
        return table
    }()

    static func match(_ frame: UnsafeRawBufferPointer, _ member: JSONScanner.Member) -> KnownField? {
        let length = member.keyEnd - member.keyStart
        guard length < byLength.count else { return nil }
        for field in byLength[length] where memcmp(frame.baseAddress! + member.keyStart, field.name.utf8Start, length) == 0 {
            return field
        }
        return nil
    }
}
