import Foundation

/// One key a sweep varies and the values it takes: `--grid agents.cell=lstm,gru`.
public struct GridAxis: Equatable {
    public let key: String
    public let values: [String]

    public init(key: String, values: [String]) {
        self.key = key; self.values = values
    }

    /// Splits KEY=V1,V2,... at the commas outside brackets, so a YAML list
    /// can be one value: `game.attributes=[8,4],[4,4]`.
    public static func parse(_ text: String) throws -> GridAxis {
        let syntax = "--grid: \"\(text)\" is not KEY=VALUE,VALUE,... (e.g. --grid agents.cell=lstm,gru)"
        guard let equals = text.firstIndex(of: "=") else { throw StudyError(syntax) }
        let key = String(text[..<equals])
        guard !key.isEmpty, !key.contains(where: \.isWhitespace) else { throw StudyError(syntax) }
        var values: [String] = [], current = "", depth = 0
        for character in text[text.index(after: equals)...] {
            switch character {
            case "[", "{": depth += 1
            case "]", "}": depth -= 1
            default: break
            }
            if character == "," && depth == 0 {
                values.append(current); current = ""
            } else {
                current.append(character)
            }
        }
        values.append(current)
        guard depth == 0, !values.contains(where: { $0.trimmingCharacters(in: .whitespaces).isEmpty }) else { throw StudyError(syntax) }
        guard Set(values).count == values.count else { throw StudyError("--grid: \(key) lists a value twice in \"\(text)\"") }
        return GridAxis(key: key, values: values)
    }
}
