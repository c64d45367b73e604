/// Reads typed values out of a `ConfigurationTree`, remembering every key it
/// was asked for so that anything else in the file can be reported as unknown.
final class ConfigurationReader {
    let tree: ConfigurationTree
    let source: String
    private(set) var known: [String] = []

    init(tree: ConfigurationTree, source: String) {
        self.tree = tree
        self.source = source
    }

    private func raw(_ path: String) -> ConfigurationTree? {
        known.append(path)
        let value = tree.value(at: path.split(separator: ".").map(String.init))
        if case .null? = value { return nil }
        return value
    }

    private func fail(_ path: String, _ expected: String, _ found: ConfigurationTree) -> ConfigurationError {
        ConfigurationError("\(source): \(path): expected \(expected), got \(render(found))")
    }

    private func render(_ value: ConfigurationTree) -> String {
        switch value {
        case .scalar(let text): return "'\(text)'"
        case .sequence: return "a list"
        case .mapping: return "a mapping"
        case .null: return "nothing"
        }
    }

    func integer(_ path: String, default fallback: Int, minimum: Int? = nil, maximum: Int? = nil) throws -> Int {
        guard let value = raw(path) else { return fallback }
        guard case .scalar(let text) = value, let number = Int(text.replacingOccurrences(of: "_", with: "")) else {
            throw fail(path, "a whole number", value)
        }
        try check(path, Double(number), minimum: minimum.map(Double.init), maximum: maximum.map(Double.init), text: text)
        return number
    }

    func real(_ path: String, default fallback: Double, minimum: Double? = nil, maximum: Double? = nil, exclusiveMinimum: Bool = false) throws -> Double {
        guard let value = raw(path) else { return fallback }
        guard case .scalar(let text) = value, let number = Double(text.replacingOccurrences(of: "_", with: "")), number.isFinite else {
            throw fail(path, "a number", value)
        }
        if exclusiveMinimum, let minimum, number <= minimum {
            throw ConfigurationError("\(source): \(path): expected a number above \(format(minimum)), got \(text)")
        }
        try check(path, number, minimum: minimum, maximum: maximum, text: text)
        return number
    }

    private func check(_ path: String, _ number: Double, minimum: Double?, maximum: Double?, text: String) throws {
        if let minimum, number < minimum {
            throw ConfigurationError("\(source): \(path): expected at least \(format(minimum)), got \(text)")
        }
        if let maximum, number > maximum {
            throw ConfigurationError("\(source): \(path): expected at most \(format(maximum)), got \(text)")
        }
    }

    private func format(_ x: Double) -> String {
        x == x.rounded() && abs(x) < 1e15 ? String(Int(x)) : String(x)
    }

    func boolean(_ path: String, default fallback: Bool) throws -> Bool {
        guard let value = raw(path) else { return fallback }
        guard case .scalar(let text) = value else { throw fail(path, "true or false", value) }
        switch text.lowercased() {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        default: throw fail(path, "true or false", value)
        }
    }

    func text(_ path: String, default fallback: String) throws -> String {
        guard let value = raw(path) else { return fallback }
        guard case .scalar(let text) = value else { throw fail(path, "text", value) }
        return text
    }

    func choice<T: RawRepresentable & CaseIterable>(_ path: String, default fallback: T) throws -> T where T.RawValue == String {
        guard let value = raw(path) else { return fallback }
        let options = T.allCases.map(\.rawValue)
        guard case .scalar(let text) = value, let result = T(rawValue: text) else {
            throw fail(path, "one of \(options.joined(separator: ", "))", value)
        }
        return result
    }

    func integers(_ path: String, default fallback: [Int], minimum: Int) throws -> [Int] {
        guard let value = raw(path) else { return fallback }
        guard case .sequence(let items) = value, !items.isEmpty else { throw fail(path, "a non-empty list of whole numbers", value) }
        return try items.map { item in
            guard case .scalar(let text) = item, let number = Int(text) else { throw fail(path, "a list of whole numbers", item) }
            if number < minimum {
                throw ConfigurationError("\(source): \(path): expected every value to be at least \(minimum), got \(number)")
            }
            return number
        }
    }

    /// Fails on the first key in the file that nothing read.
    func rejectUnknownKeys() throws {
        let knownSet = Set(known)
        for path in tree.leafPaths where !knownSet.contains(path) {
            // A mapping given where a scalar was expected is caught by the typed reads.
            if knownSet.contains(where: { path.hasPrefix($0 + ".") }) { continue }
            if let inside = known.first(where: { $0.hasPrefix(path + ".") }) {
                // An empty section (`game: {}` or `game:`) only asks for its defaults.
                if tree.isEmptySection(at: path) { continue }
                let found = tree.value(at: path.split(separator: ".").map(String.init)).map(render) ?? "nothing"
                throw ConfigurationError("\(source): \(path): expected a mapping of keys (like \(inside)), got \(found)")
            }
            var message = "\(source): unknown key \(path)"
            if let suggestion = nearest(path, in: known) { message += " (did you mean \(suggestion)?)" }
            throw ConfigurationError(message)
        }
    }

    private func nearest(_ path: String, in candidates: [String]) -> String? {
        var best: (String, Int)?
        let lastPart = path.split(separator: ".").last.map(String.init) ?? path
        for candidate in Set(candidates) {
            let whole = editDistance(Array(path), Array(candidate))
            let last = editDistance(Array(lastPart), Array(candidate.split(separator: ".").last.map(String.init) ?? candidate))
            let score = min(whole, last + (sameParent(path, candidate) ? 0 : 2))
            if score <= max(2, lastPart.count / 3), best == nil || score < best!.1 { best = (candidate, score) }
        }
        return best?.0
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
