import KoineTelemetry

/// The configuration tree as JSON, for the `run_started` event: each value
/// typed by its key in `Configuration.keys`.
enum ConfigurationJSON {
    static func value(of tree: ConfigurationTree) -> JSONValue {
        value(of: tree, path: "", reader: ConfigurationReader(tree: tree, source: "configuration"))
    }

    private static func value(of tree: ConfigurationTree, path: String, reader: ConfigurationReader) -> JSONValue {
        if let key = ConfigurationReader.keys[path], let typed = try? reader.parse(tree, as: key) { return typed.json }
        switch tree {
        case .mapping(let pairs):
            return .object(pairs.map { ($0.key, value(of: $0.value, path: path.isEmpty ? $0.key : "\(path).\($0.key)", reader: reader)) })
        case .sequence(let items): return .array(items.map { value(of: $0, path: path, reader: reader) })
        case .scalar(let text): return .string(text)
        case .null: return .null
        }
    }
}

extension ConfigurationValue {
    var json: JSONValue {
        switch self {
        case .integer(let number): return .int(number)
        case .real(let number): return .double(number)
        case .boolean(let flag): return .bool(flag)
        case .text(let text): return .string(text)
        case .integers(let numbers): return .array(numbers.map { .int($0) })
        }
    }
}
