import CYaml

/// Bounds on a configuration's YAML, checked on libyaml's event stream before
/// Yams builds a tree: a huge file, a deeply nested one, one of very many
/// nodes, or anchors and aliases (a "billion laughs" file expands
/// exponentially while it is composed) are refused without building anything.
/// A configuration holds about fifty values; the limits are far above that.
public enum YAMLLimits {
    /// Bytes of YAML text in one file or one `--set` value.
    public static let bytes = 1 << 20
    /// Mappings and sequences nested inside each other.
    public static let depth = 32
    /// Scalars, mappings and sequences in one document.
    public static let nodes = 10_000

    /// Throws a `ConfigurationError` naming `source` when `text` breaks a
    /// limit or uses an anchor or alias. Malformed YAML passes: the reader
    /// reports it with libyaml's own words.
    static func check(_ text: String, source: String) throws {
        let count = text.utf8.count
        if count > bytes { throw tooLarge(source, bytes: count) }
        var utf8 = Array(text.utf8)
        var parser = yaml_parser_t()
        guard yaml_parser_initialize(&parser) == 1 else { return }
        defer { yaml_parser_delete(&parser) }
        try utf8.withUnsafeMutableBufferPointer { buffer in
            yaml_parser_set_input_string(&parser, buffer.baseAddress, buffer.count)
            yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING)
            var level = 0, nodes = 0
            while true {
                var event = yaml_event_t()
                guard yaml_parser_parse(&parser, &event) == 1 else { return }
                defer { yaml_event_delete(&event) }
                let line = event.start_mark.line + 1
                var anchored = false
                switch event.type {
                case YAML_STREAM_END_EVENT:
                    return
                case YAML_ALIAS_EVENT:
                    anchored = true
                case YAML_SCALAR_EVENT:
                    anchored = event.data.scalar.anchor != nil
                    nodes += 1
                case YAML_SEQUENCE_START_EVENT:
                    anchored = event.data.sequence_start.anchor != nil
                    nodes += 1
                    level += 1
                case YAML_MAPPING_START_EVENT:
                    anchored = event.data.mapping_start.anchor != nil
                    nodes += 1
                    level += 1
                case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
                    level -= 1
                default:
                    break
                }
                if anchored {
                    throw ConfigurationError("\(source): line \(line): YAML anchors and aliases are not supported; write the values out")
                }
                if level > depth {
                    throw ConfigurationError("\(source): line \(line): YAML nested more than \(depth) levels deep")
                }
                if nodes > YAMLLimits.nodes {
                    throw ConfigurationError("\(source): line \(line): more than \(YAMLLimits.nodes) YAML values; a configuration holds about 50")
                }
            }
        }
    }

    static func tooLarge(_ source: String, bytes count: some BinaryInteger) -> ConfigurationError {
        ConfigurationError("\(source): \(count) bytes of YAML; a configuration may hold at most \(bytes) (1 MiB)")
    }
}
