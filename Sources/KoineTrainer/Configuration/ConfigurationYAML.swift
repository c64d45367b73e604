import Yams

extension Configuration {
    /// The resolved configuration as YAML, every key present, in the order
    /// of `keys`. A YAML emitter writes it, quoting whatever needs quotes
    /// (an endpoint like `ipc:///tmp/x:`), so that it always reads back.
    public var yaml: String {
        var tree = ConfigurationTree.mapping([])
        for key in Configuration.keys {
            let value: ConfigurationTree
            switch key.get(self) {
            case .integers(let numbers): value = .sequence(numbers.map { .scalar(String($0)) })
            case let other: value = .scalar(other.text)
            }
            // The paths of `keys` are distinct and never pass through a value, so setting cannot fail.
            tree = try! tree.setting(value, at: key.components)
        }
        // A tree of strings always makes well-formed events for the emitter.
        return try! Yams.serialize(node: tree.node(level: 0), width: -1)
    }
}

extension ConfigurationTree {
    /// The tree as a YAML node: sequences, and mappings below the top level
    /// that hold only values, in flow style (`optimizer: {kind: adam, lr: 0.001}`).
    func node(level: Int) -> Node {
        switch self {
        case .mapping(let pairs):
            let flat = level > 1 && pairs.allSatisfy { if case .mapping = $0.value { false } else { true } }
            return .mapping(Node.Mapping(pairs.map { (Node($0.key), $0.value.node(level: level + 1)) }, .implicit, flat ? .flow : .block))
        case .sequence(let items):
            return .sequence(Node.Sequence(items.map { $0.node(level: level + 1) }, .implicit, .flow))
        case .scalar(let text):
            // Text that would read back as nothing is quoted; the emitter quotes the rest as it must.
            return .scalar(Node.Scalar(text, .implicit, ConfigurationTree.nullWords.contains(text) ? .singleQuoted : .any))
        case .null:
            return .scalar(Node.Scalar("null"))
        }
    }
}
