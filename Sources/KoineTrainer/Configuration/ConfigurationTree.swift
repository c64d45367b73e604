import Yams

/// A parsed YAML document reduced to what a configuration holds: mappings
/// (in file order), sequences and scalars.
public indirect enum ConfigurationTree: Equatable {
    case mapping([(key: String, value: ConfigurationTree)])
    case sequence([ConfigurationTree])
    case scalar(String)
    case null

    public static func == (a: ConfigurationTree, b: ConfigurationTree) -> Bool {
        switch (a, b) {
        case (.mapping(let x), .mapping(let y)):
            return x.count == y.count && zip(x, y).allSatisfy { $0.key == $1.key && $0.value == $1.value }
        case (.sequence(let x), .sequence(let y)): return x == y
        case (.scalar(let x), .scalar(let y)): return x == y
        case (.null, .null): return true
        default: return false
        }
    }

    /// Plain scalars that YAML reads as nothing.
    static let nullWords: Set<String> = ["", "~", "null", "Null", "NULL"]

    /// Parses YAML text; `source` names it in errors.
    public static func parse(_ text: String, source: String) throws -> ConfigurationTree {
        try YAMLLimits.check(text, source: source)
        let node: Node?
        do {
            node = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            throw ConfigurationError("\(source): malformed YAML: \(describe(error))")
        } catch {
            throw ConfigurationError("\(source): malformed YAML: \(error)")
        }
        guard let node else { return .mapping([]) }
        return try convert(node, path: "", source: source)
    }

    private static func describe(_ error: YamlError) -> String {
        let text = "\(error)".replacingOccurrences(of: "\n", with: " ")
        // libyaml quotes the offending line, which may be huge.
        return ConfigurationError.shown(text.split(separator: " ").joined(separator: " "), limit: 200)
    }

    private static func convert(_ node: Node, path: String, source: String) throws -> ConfigurationTree {
        switch node {
        case .scalar(let scalar):
            if scalar.style == .plain && nullWords.contains(scalar.string) { return .null }
            return .scalar(scalar.string)
        case .sequence(let sequence):
            return .sequence(try sequence.enumerated().map { try convert($1, path: "\(path)[\($0)]", source: source) })
        case .mapping(let mapping):
            var pairs: [(key: String, value: ConfigurationTree)] = []
            // A set, not a scan of the pairs: a mapping of many keys is read in linear time.
            var names: Set<String> = []
            for (key, value) in mapping {
                guard case .scalar(let name) = key else {
                    throw ConfigurationError("\(source): \(path.isEmpty ? "top level" : ConfigurationError.shown(path)): keys must be plain names")
                }
                let child = path.isEmpty ? name.string : "\(path).\(name.string)"
                if name.string.contains(".") {
                    // A dotted key would otherwise pass for the nested key it spells.
                    throw ConfigurationError("\(source): \(ConfigurationError.shown(child)): a key cannot contain '.'; nest it instead")
                }
                if !names.insert(name.string).inserted {
                    throw ConfigurationError("\(source): key \(ConfigurationError.shown(child)) appears twice")
                }
                pairs.append((name.string, try convert(value, path: child, source: source)))
            }
            return .mapping(pairs)
        case .alias:
            throw ConfigurationError("\(source): \(ConfigurationError.shown(path)): YAML anchors and aliases are not supported")
        }
    }

    /// The value at a dotted path, if present.
    public func value(at path: [String]) -> ConfigurationTree? {
        guard let first = path.first else { return self }
        guard case .mapping(let pairs) = self, let child = pairs.first(where: { $0.key == first }) else { return nil }
        return child.value.value(at: Array(path.dropFirst()))
    }

    /// A copy with `value` set at `path`, creating mappings on the way.
    public func setting(_ value: ConfigurationTree, at path: [String]) throws -> ConfigurationTree {
        guard let first = path.first else { return value }
        var pairs: [(key: String, value: ConfigurationTree)]
        switch self {
        case .mapping(let existing): pairs = existing
        case .null: pairs = []
        default: throw ConfigurationError("--set \(ConfigurationError.shown(path.joined(separator: "."))): its parent is not a mapping")
        }
        if let index = pairs.firstIndex(where: { $0.key == first }) {
            pairs[index].value = try pairs[index].value.setting(value, at: Array(path.dropFirst()))
        } else {
            pairs.append((first, try ConfigurationTree.null.setting(value, at: Array(path.dropFirst()))))
        }
        return .mapping(pairs)
    }

    /// Every dotted path to a scalar, sequence or empty mapping.
    public var leafPaths: [String] {
        switch self {
        case .mapping(let pairs):
            if pairs.isEmpty { return [] }
            return pairs.flatMap { pair -> [String] in
                let below = pair.value.leafPaths
                if case .mapping(let inner) = pair.value, !inner.isEmpty {
                    return below.map { "\(pair.key).\($0)" }
                }
                return [pair.key]
            }
        default:
            return []
        }
    }
}

extension ConfigurationTree {
    /// Applies a `key.path=value` override; the value is read as YAML.
    public func overriding(_ assignment: String) throws -> ConfigurationTree {
        guard let equals = assignment.firstIndex(of: "=") else {
            throw ConfigurationError("--set \(ConfigurationError.shown(assignment)): expected key.path=value")
        }
        let key = String(assignment[..<equals]).trimmingCharacters(in: .whitespaces)
        let text = String(assignment[assignment.index(after: equals)...])
        let path = key.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard !key.isEmpty, path.allSatisfy({ !$0.isEmpty && $0.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" } }) else {
            throw ConfigurationError("--set \(ConfigurationError.shown(assignment)): expected key.path=value with a dotted key like train.steps")
        }
        let value = try ConfigurationTree.parse(text.isEmpty ? "\"\"" : text, source: "--set \(ConfigurationError.shown(key))")
        for end in 1..<path.count {
            switch self.value(at: Array(path[..<end])) {
            case .scalar?, .sequence?:
                let parent = path[..<end].joined(separator: ".")
                throw ConfigurationError("--set \(ConfigurationError.shown(key)): its parent \(ConfigurationError.shown(parent)) is not a mapping")
            default: continue
            }
        }
        return try setting(value, at: path)
    }
}

import Foundation
