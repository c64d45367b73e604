import KoineTelemetry
import Yams

/// Metadata as YAML, from the same `JSONValue` its JSON files are written
/// from. Strings are always double-quoted, so that none reads back as a
/// number, a boolean or nothing (a corpus named `1e3` or `yes`); numbers,
/// booleans and null are plain. Sequences are written in flow style.
enum MetadataYAML {
    static func text(_ value: JSONValue) -> String {
        // Scalars and collections built from a JSON value always make
        // well-formed events for the emitter.
        try! Yams.serialize(node: node(value), width: -1)
    }

    private static func node(_ value: JSONValue) -> Node {
        switch value {
        case .null: return .scalar(Node.Scalar("null", .implicit, .plain))
        case .bool(let flag): return .scalar(Node.Scalar(flag ? "true" : "false", .implicit, .plain))
        case .int(let number): return .scalar(Node.Scalar(String(number), .implicit, .plain))
        // The JSON writer's own spelling (shortest round trip; NaN and infinities as null).
        case .double: return .scalar(Node.Scalar(value.serialized, .implicit, .plain))
        case .string(let text): return .scalar(Node.Scalar(text, .implicit, .doubleQuoted))
        case .array(let items): return .sequence(Node.Sequence(items.map(node), .implicit, .flow))
        case .object(let members):
            return .mapping(Node.Mapping(members.map { (key($0.0), node($0.1)) }, .implicit, .block))
        }
    }

    /// Field names (`game_type`) plain; any other key (a corpus named `1e3`) quoted like a string.
    private static func key(_ name: String) -> Node {
        let plain = !name.isEmpty && name.first!.isLetter && name.allSatisfy { $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "_") }
            && !["null", "true", "false", "yes", "no", "on", "off", "y", "n"].contains(name)
        return .scalar(Node.Scalar(name, .implicit, plain ? .plain : .doubleQuoted))
    }
}
