import KoineTelemetry

/// One member's part of one population-based training round, as a `pbt`
/// line of metrics.jsonl or a `pbt` event's body tells it: its fitness,
/// whether it copied and whom, its hyperparameters before and after.
public struct PBTMemberRound {
    public var step: Int
    public var member: Int
    /// NaN when the line has none (JSON writes NaN as null).
    public var fitness: Double
    public var copied: Bool
    /// The member copied; nil when it kept its state, or when a copy names
    /// no usable source (`copied` then tells the two apart).
    public var source: Int?
    public var sourceFitness: Double?
    /// Hyperparameters by name, in the line's order.
    public var before: [(name: String, value: Double)]
    public var after: [(name: String, value: Double)]
    /// Checksums of the member's state (hex), when the line has them.
    public var stateBefore: String?
    public var stateAfter: String?

    /// Reads `body` (a JSON object); the reason as text when it is not a
    /// round a member could have written (an action other than copy or keep).
    /// Lesser damage is kept and shown: a missing fitness reads as NaN, a
    /// copy without a whole-number source as a copy from an unknown member.
    static func read(_ body: JSONValue, step: Int, member: Int) -> Result<PBTMemberRound, Refusal> {
        let copied: Bool
        switch body["action"]?.text {
        case "copy": copied = true
        case "keep": copied = false
        case let other: return .failure(Refusal("action \(other.map { "'\($0)'" } ?? "missing"), expected copy or keep"))
        }
        return .success(PBTMemberRound(
            step: step, member: member, fitness: body["fitness"]?.number ?? .nan, copied: copied,
            source: copied ? body["source"]?.integer : nil,
            sourceFitness: copied ? body["source_fitness"]?.number ?? .nan : nil,
            before: hyperparameters(body["before"]), after: hyperparameters(body["after"]),
            stateBefore: body["state_before"]?.text, stateAfter: body["state_after"]?.text))
    }

    /// The numbers of an object by name; anything else is no hyperparameter.
    private static func hyperparameters(_ value: JSONValue?) -> [(name: String, value: Double)] {
        guard case let .object(fields)? = value else { return [] }
        return fields.compactMap { name, value in value.number.map { (name, $0) } }
    }

    /// The value of hyperparameter `name` after the round, when the line has it.
    public func after(_ name: String) -> Double? { after.first { $0.name == name }?.value }
    public func before(_ name: String) -> Double? { before.first { $0.name == name }?.value }

    /// Why a stored line is no round.
    struct Refusal: Error {
        let reason: String
        init(_ reason: String) { self.reason = reason }
    }
}
