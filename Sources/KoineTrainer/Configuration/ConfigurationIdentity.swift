import KoineTensor

extension Configuration {
    /// Keys a resumed run may change: its length, and where telemetry goes
    /// (a collector may have moved while the job waited in the queue).
    public static let resumableKeys: Set<String> = ["train.steps", "telemetry.endpoint"]

    /// Every resolved key with its value as text, in the order of `yaml`.
    public var settings: [(key: String, value: String)] {
        // The YAML rendering is the one place that lists every key; reading
        // it back keeps this list from drifting away from it.
        guard let tree = try? ConfigurationTree.parse(yaml, source: "resolved configuration") else { return [] }
        return tree.leafPaths.map { key in
            (key, tree.value(at: key.split(separator: ".").map(String.init)).map(ConfigurationTree.text) ?? "")
        }
    }

    /// A hash of every setting that shapes training (all but `resumableKeys`):
    /// two configurations with the same identity give the same run.
    public var identity: UInt64 {
        var text = ""
        for (key, value) in settings where !Configuration.resumableKeys.contains(key) { text += "\(key)=\(value)\n" }
        return Array(text.utf8).withUnsafeBytes { Checksum.fnv1a($0) }
    }

    /// The settings that shape training and differ from `other`'s, as
    /// `key: mine vs theirs`, in key order.
    public func differences(from other: Configuration) -> [(key: String, mine: String, theirs: String)] {
        let theirs = Dictionary(other.settings.map { ($0.key, $0.value) }, uniquingKeysWith: { a, _ in a })
        return settings.compactMap { key, value in
            guard !Configuration.resumableKeys.contains(key), let other = theirs[key], other != value else { return nil }
            return (key, value, other)
        }
    }
}

extension ConfigurationTree {
    /// A leaf as one line of text: a scalar as written, a sequence in flow style.
    static func text(_ tree: ConfigurationTree) -> String {
        switch tree {
        case .scalar(let value): return value
        case .null: return "null"
        case .sequence(let items): return "[" + items.map(text).joined(separator: ", ") + "]"
        case .mapping(let pairs): return "{" + pairs.map { "\($0.key): \(text($0.value))" }.joined(separator: ", ") + "}"
        }
    }
}
