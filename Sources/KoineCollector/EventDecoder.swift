import Foundation
import KoineTelemetry

/// Turns a frame into a ReceivedEvent, or says exactly why it cannot be one.
///
/// Holds its member list between frames so steady-state decoding allocates only the
/// strings it keeps (run id and body).
struct EventDecoder {
    /// Frames above this size are refused unread (an event is a few hundred bytes;
    /// run_started with a large config a few kilobytes).
    static let maximumFrameBytes = 1 << 20

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

        guard let version = fields.member(.v) else { return .failure(.missingField("v")) }
        guard version.type == .integer, fields.integer(version) == telemetrySchemaVersion else {
            return .failure(.wrongVersion(fields.text(of: version, limit: 20)))
        }
        guard let runMember = fields.member(.run) else { return .failure(.missingField("run")) }
        guard let run = fields.string(runMember), !run.isEmpty, run.utf8.count <= 256 else {
            return .failure(.wrongType("run"))
        }
        guard let rankMember = fields.member(.rank) else { return .failure(.missingField("rank")) }
        guard let rank = fields.integer(rankMember), rank >= 0 else { return .failure(.wrongType("rank")) }
        guard let seqMember = fields.member(.seq) else { return .failure(.missingField("seq")) }
        guard let seq = fields.integer(seqMember), seq >= 0 else { return .failure(.wrongType("seq")) }
        guard let kindMember = fields.member(.kind) else { return .failure(.missingField("kind")) }
        guard kindMember.type == .string, let kind = fields.kind(kindMember) else {
            return .failure(.wrongType("kind"))
        }
        guard let timeMember = fields.member(.time) else { return .failure(.missingField("time")) }
        guard let time = fields.number(timeMember), time.isFinite else { return .failure(.wrongType("time")) }
        var step: Int?
        if let stepMember = fields.member(.step), stepMember.type != .null {
            guard let value = fields.integer(stepMember) else { return .failure(.wrongType("step")) }
            step = value
        }

        var event = ReceivedEvent(
            run: run, rank: rank, seq: seq, kind: kind, step: step, time: time,
            body: String(decoding: frame, as: UTF8.self))
        event.dropped = fields.member(.dropped).flatMap(fields.integer)
        switch kind {
        case .step:
            event.gamesPerSecond = fields.member(.gamesPerSecond).flatMap(fields.number)
            event.accuracy = fields.member(.accuracy).flatMap(fields.number)
            event.resets = fields.member(.resets).flatMap(fields.integer)
        case .eval:
            event.accuracy = fields.member(.accuracy).flatMap(fields.number)
            event.topsim = fields.member(.topsim).flatMap(fields.number)
        case .runStarted:
            event.worldSize = fields.member(.worldSize).flatMap(fields.integer)
            event.totalSteps = fields.member(.totalSteps).flatMap(fields.integer)
            event.config = fields.member(.config).map { fields.raw($0) }
            event.hosts = fields.member(.hosts).map { fields.raw($0) }
            event.versions = fields.member(.versions).map { fields.raw($0) }
        case .runFinished:
            event.summary = fields.member(.summary).map { fields.raw($0) }
        default:
            break
        }
        return .success(event)
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
