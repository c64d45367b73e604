/// A setting's value, whatever its key's type.
public enum ConfigurationValue: Equatable {
    case integer(Int)
    case real(Double)
    case boolean(Bool)
    /// A choice's raw value or free text.
    case text(String)
    case integers([Int])

    /// The value as one line, as config.yaml writes it and the identity hashes it.
    public var text: String {
        switch self {
        case .integer(let number): return String(number)
        case .real(let number): return ConfigurationValue.format(number)
        case .boolean(let flag): return String(flag)
        case .text(let text): return text
        case .integers(let numbers): return "[" + numbers.map(String.init).joined(separator: ", ") + "]"
        }
    }

    /// Whole reals keep a `.0` so that they read as reals.
    static func format(_ number: Double) -> String {
        number == number.rounded() && abs(number) < 1e15 ? String(format: "%.1f", number) : String(number)
    }
}

/// What a key accepts.
public enum ConfigurationKind {
    case integer(minimum: Int, maximum: Int?)
    /// `minimumExcluded`: the value must be above `minimum`, not equal to it.
    case real(minimum: Double, maximum: Double?, minimumExcluded: Bool)
    case boolean
    case choice([String])
    case text
    /// A non-empty list of whole numbers, each at least `minimum`.
    case integers(minimum: Int)
}

/// One configuration key, declared once in `Configuration.keys`: where it
/// sits in the YAML, its default, what it accepts, what it means, and the
/// field of `Configuration` it fills.
public struct ConfigurationKey {
    /// Dotted path, like `agents.hidden`.
    public let path: String
    public let kind: ConfigurationKind
    public let defaultValue: ConfigurationValue
    /// One line of Markdown, for the table in docs/configuration.md.
    public let doc: String
    /// The field's value.
    let get: (Configuration) -> ConfigurationValue
    /// Stores a value of the key's kind (as the reader returns it) in the field.
    let set: (inout Configuration, ConfigurationValue) -> Void

    /// Added after checkpoints were first written: at its default the key is
    /// left out of the identity, so those checkpoints still resume.
    var addedLater = false

    /// This key, marked as added after checkpoints were first written.
    func added() -> ConfigurationKey {
        var key = self
        key.addedLater = true
        return key
    }

    /// `path` split at its dots.
    var components: [String] { path.split(separator: ".").map(String.init) }
}

extension ConfigurationKey {
    static func integer(_ path: String, _ field: WritableKeyPath<Configuration, Int>, default value: Int,
                        minimum: Int, maximum: Int? = nil, _ doc: String) -> ConfigurationKey {
        ConfigurationKey(path: path, kind: .integer(minimum: minimum, maximum: maximum), defaultValue: .integer(value), doc: doc,
                         get: { .integer($0[keyPath: field]) },
                         set: { if case .integer(let number) = $1 { $0[keyPath: field] = number } })
    }

    /// A real of at least `minimum`, or above `above`, and at most `maximum`.
    static func real(_ path: String, _ field: WritableKeyPath<Configuration, Double>, default value: Double,
                     minimum: Double? = nil, above: Double? = nil, maximum: Double? = nil, _ doc: String) -> ConfigurationKey {
        let kind = ConfigurationKind.real(minimum: above ?? minimum ?? -.infinity, maximum: maximum, minimumExcluded: above != nil)
        return ConfigurationKey(path: path, kind: kind, defaultValue: .real(value), doc: doc,
                                get: { .real($0[keyPath: field]) },
                                set: { if case .real(let number) = $1 { $0[keyPath: field] = number } })
    }

    static func boolean(_ path: String, _ field: WritableKeyPath<Configuration, Bool>, default value: Bool, _ doc: String) -> ConfigurationKey {
        ConfigurationKey(path: path, kind: .boolean, defaultValue: .boolean(value), doc: doc,
                         get: { .boolean($0[keyPath: field]) },
                         set: { if case .boolean(let flag) = $1 { $0[keyPath: field] = flag } })
    }

    /// One of the cases of `Choice`, by raw value.
    static func choice<Choice: RawRepresentable & CaseIterable>(
        _ path: String, _ field: WritableKeyPath<Configuration, Choice>, default value: Choice, _ doc: String
    ) -> ConfigurationKey where Choice.RawValue == String {
        ConfigurationKey(path: path, kind: .choice(Choice.allCases.map(\.rawValue)), defaultValue: .text(value.rawValue), doc: doc,
                         get: { .text($0[keyPath: field].rawValue) },
                         set: { if case .text(let text) = $1, let choice = Choice(rawValue: text) { $0[keyPath: field] = choice } })
    }

    static func text(_ path: String, _ field: WritableKeyPath<Configuration, String>, default value: String, _ doc: String) -> ConfigurationKey {
        ConfigurationKey(path: path, kind: .text, defaultValue: .text(value), doc: doc,
                         get: { .text($0[keyPath: field]) },
                         set: { if case .text(let text) = $1 { $0[keyPath: field] = text } })
    }

    static func integers(_ path: String, _ field: WritableKeyPath<Configuration, [Int]>, default value: [Int],
                         minimum: Int, _ doc: String) -> ConfigurationKey {
        ConfigurationKey(path: path, kind: .integers(minimum: minimum), defaultValue: .integers(value), doc: doc,
                         get: { .integers($0[keyPath: field]) },
                         set: { if case .integers(let numbers) = $1 { $0[keyPath: field] = numbers } })
    }
}

import Foundation
