import Foundation

/// Reads the keys of `Configuration.keys` out of a `ConfigurationTree`,
/// checking each value against its key's kind, and reports anything else
/// in the tree as unknown.
struct ConfigurationReader {
    let tree: ConfigurationTree
    let source: String

    /// Keys by path.
    static let keys = Dictionary(uniqueKeysWithValues: Configuration.keys.map { ($0.path, $0) })

    /// Every path that holds keys (`train`, `train.optimizer`, ...), with the
    /// first key below it, for messages.
    static let sections: [String: String] = {
        var sections: [String: String] = [:]
        for key in Configuration.keys {
            var components = key.components
            while components.count > 1 {
                components.removeLast()
                let section = components.joined(separator: ".")
                if sections[section] == nil { sections[section] = key.path }
            }
        }
        return sections
    }()

    /// The key's value in the tree, or its default when absent or empty.
    func value(of key: ConfigurationKey) throws -> ConfigurationValue {
        guard let value = tree.value(at: key.components), value != .null else { return key.defaultValue }
        return try parse(value, as: key)
    }

    /// `value` as a value of `key`, checked against its kind.
    func parse(_ value: ConfigurationTree, as key: ConfigurationKey) throws -> ConfigurationValue {
        let path = key.path
        switch key.kind {
        case .integer(let minimum, let maximum):
            guard case .scalar(let text) = value, let number = Int(text.replacingOccurrences(of: "_", with: "")) else {
                throw fail(path, "a whole number", value)
            }
            try check(path, Double(number), minimum: Double(minimum), maximum: maximum.map(Double.init), text: text)
            return .integer(number)
        case .real(let minimum, let maximum, let minimumExcluded):
            guard case .scalar(let text) = value, let number = Double(text.replacingOccurrences(of: "_", with: "")), number.isFinite else {
                throw fail(path, "a number", value)
            }
            if minimumExcluded, number <= minimum {
                throw ConfigurationError("\(source): \(path): expected a number above \(Self.format(minimum)), got \(ConfigurationError.shown(text))")
            }
            try check(path, number, minimum: minimum, maximum: maximum, text: text)
            return .real(number)
        case .boolean:
            guard case .scalar(let text) = value else { throw fail(path, "true or false", value) }
            switch text.lowercased() {
            case "true", "yes", "on": return .boolean(true)
            case "false", "no", "off": return .boolean(false)
            default: throw fail(path, "true or false", value)
            }
        case .choice(let options):
            guard case .scalar(let text) = value, options.contains(text) else {
                throw fail(path, "one of \(options.joined(separator: ", "))", value)
            }
            return .text(text)
        case .text:
            guard case .scalar(let text) = value else { throw fail(path, "text", value) }
            return .text(text)
        case .integers(let minimum):
            guard case .sequence(let items) = value, !items.isEmpty else { throw fail(path, "a non-empty list of whole numbers", value) }
            return .integers(try items.map { item in
                guard case .scalar(let text) = item, let number = Int(text) else { throw fail(path, "a list of whole numbers", item) }
                if number < minimum {
                    throw ConfigurationError("\(source): \(path): expected every value to be at least \(minimum), got \(number)")
                }
                return number
            })
        }
    }

    private func fail(_ path: String, _ expected: String, _ found: ConfigurationTree) -> ConfigurationError {
        ConfigurationError("\(source): \(path): expected \(expected), got \(render(found))")
    }

    private func render(_ value: ConfigurationTree) -> String {
        switch value {
        case .scalar(let text): return "'\(ConfigurationError.shown(text))'"
        case .sequence: return "a list"
        case .mapping: return "a mapping"
        case .null: return "nothing"
        }
    }

    private func check(_ path: String, _ number: Double, minimum: Double, maximum: Double?, text: String) throws {
        if number < minimum {
            throw ConfigurationError("\(source): \(path): expected at least \(Self.format(minimum)), got \(ConfigurationError.shown(text))")
        }
        if let maximum, number > maximum {
            throw ConfigurationError("\(source): \(path): expected at most \(Self.format(maximum)), got \(ConfigurationError.shown(text))")
        }
    }

    /// A bound as messages write it: whole ones without a decimal point.
    static func format(_ x: Double) -> String {
        x == x.rounded() && abs(x) < 1e15 ? String(Int(x)) : String(x)
    }

    /// Fails on the first path in the tree that is no key. Each path is
    /// looked up by hashing, so a file of many keys is checked in linear time.
    func rejectUnknownKeys() throws {
        for path in tree.leafPaths where Self.keys[path] == nil {
            // A mapping given where a key's value was expected is caught by the typed reads.
            if isBelowKey(path) { continue }
            if let inside = Self.sections[path] {
                // An empty section (`game: {}` or `game:`) only asks for its defaults.
                if tree.isEmptySection(at: path) { continue }
                let found = tree.value(at: path.split(separator: ".").map(String.init)).map(render) ?? "nothing"
                throw ConfigurationError("\(source): \(path): expected a mapping of keys (like \(inside)), got \(found)")
            }
            var message = "\(source): unknown key \(ConfigurationError.shown(path))"
            if let suggestion = nearest(path) { message += " (did you mean \(suggestion)?)" }
            throw ConfigurationError(message)
        }
    }

    private func isBelowKey(_ path: String) -> Bool {
        var prefix = Substring(path)
        while let dot = prefix.lastIndex(of: ".") {
            prefix = prefix[..<dot]
            if Self.keys[String(prefix)] != nil { return true }
        }
        return false
    }

    /// The key closest to `path` in spelling, if close enough to be the one meant.
    private func nearest(_ path: String) -> String? {
        let lastPart = path.split(separator: ".").last.map(String.init) ?? path
        let limit = max(2, lastPart.count / 3)
        var best: (path: String, score: Int)?
        for candidate in Configuration.keys.map(\.path) {
            let candidateLast = candidate.split(separator: ".").last.map(String.init) ?? candidate
            let penalty = sameParent(path, candidate) ? 0 : 2
            // Lengths bound the distances from below: a long path is not compared letter by letter.
            let whole = abs(path.count - candidate.count) > limit ? Int.max : editDistance(Array(path), Array(candidate))
            let last = abs(lastPart.count - candidateLast.count) + penalty > limit
                ? Int.max : editDistance(Array(lastPart), Array(candidateLast)) + penalty
            let score = min(whole, last)
            if score <= limit, best == nil || score < best!.score { best = (candidate, score) }
        }
        return best?.path
    }

    private func sameParent(_ a: String, _ b: String) -> Bool {
        a.split(separator: ".").dropLast() == b.split(separator: ".").dropLast()
    }

    private func editDistance(_ a: [Character], _ b: [Character]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous = Array(0...b.count), current = previous
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                current[j] = min(previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1), previous[j] + 1, current[j - 1] + 1)
            }
            swap(&previous, &current)
        }
        return previous[b.count]
    }
}

extension ConfigurationTree {
    /// Whether the value at a dotted path is an empty mapping or nothing.
    func isEmptySection(at path: String) -> Bool {
        switch value(at: path.split(separator: ".").map(String.init)) {
        case .mapping(let pairs)?: return pairs.isEmpty
        case .null?: return true
        default: return false
        }
    }
}
