/// A JSON value as YAML, for files and pages people read: mappings in block
/// style, nested ones indented; lists, and mappings inside them, in flow style.
/// A string is written as JSON writes it (a JSON string is a YAML
/// double-quoted scalar), or plain when `plainText` allows and nothing but
/// text can be read back: it starts with a letter, holds only letters,
/// digits and `_./-`, and is no word YAML reads as a boolean or null. Keys
/// are plain by the same rule whatever `plainText` says.
extension JSONValue {
    public func yaml(plainText: Bool) -> String {
        block(indent: "", plainText: plainText)
    }

    private func block(indent: String, plainText: Bool) -> String {
        guard case .object(let fields) = self else { return indent + inline(plainText: plainText) + "\n" }
        var out = ""
        for (key, field) in fields {
            if case .object(let inner) = field, !inner.isEmpty {
                out += indent + JSONValue.key(key) + ":\n" + field.block(indent: indent + "  ", plainText: plainText)
            } else {
                out += indent + JSONValue.key(key) + ": " + field.inline(plainText: plainText) + "\n"
            }
        }
        return out
    }

    private func inline(plainText: Bool) -> String {
        switch self {
        case .string(let text): return plainText && JSONValue.readsAsText(text) ? text : serialized
        case .array(let items): return "[" + items.map { $0.inline(plainText: plainText) }.joined(separator: ", ") + "]"
        case .object(let fields):
            return "{" + fields.map { JSONValue.key($0.0) + ": " + $0.1.inline(plainText: plainText) }.joined(separator: ", ") + "}"
        default: return serialized
        }
    }

    private static func key(_ name: String) -> String {
        readsAsText(name) ? name : JSONValue.string(name).serialized
    }

    /// Whether YAML reads `text`, written plain, back as this text: numbers,
    /// dates, `.inf` and `0x1f` start with a digit, a sign or a dot.
    static func readsAsText(_ text: String) -> Bool {
        guard let first = text.unicodeScalars.first, first.isASCII, first.properties.isAlphabetic else { return false }
        let allowed = text.unicodeScalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || "_./-".unicodeScalars.contains($0)) }
        return allowed && !yamlWords.contains(text.lowercased())
    }

    static let yamlWords: Set<String> = ["true", "false", "yes", "no", "on", "off", "y", "n", "null"]
}
