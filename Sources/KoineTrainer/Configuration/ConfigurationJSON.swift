import KoineTelemetry

/// The configuration tree as JSON, for the `run_started` event.
enum ConfigurationJSON {
    static func value(of tree: ConfigurationTree) -> JSONValue {
        switch tree {
        case .mapping(let pairs): return .object(pairs.map { ($0.key, value(of: $0.value)) })
        case .sequence(let items): return .array(items.map(value(of:)))
        case .scalar(let text):
            if let integer = Int(text) { return .int(integer) }
            if let number = Double(text) { return .double(number) }
            if text == "true" || text == "false" { return .bool(text == "true") }
            return .string(text)
        case .null: return .null
        }
    }
}
