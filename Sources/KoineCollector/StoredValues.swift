import GRDB

/// Reads columns without trusting their types. The collector validates every event before
/// storing it, but a database may have been written by an older collector, another tool or
/// a person, and GRDB stops the process when a column it is asked for as Int holds text.
/// So reports and a restarting collector read every value through here: the wrong type
/// reads as nothing, a number out of Int's range as the nearest Int.
extension Row {
    func wholeNumber(_ column: String) -> Int? {
        switch (self[column] as DatabaseValue).storage {
        case let .int64(value): return Int(value)
        case let .double(value): return value.isNaN ? nil : Int(saturating: value)
        case let .string(text): return Int(text)
        case .null, .blob: return nil
        }
    }

    /// A whole number held within the counts the collector accepts (0 to `maximumCount`),
    /// so that counting on from it cannot overflow; nil when negative or not a number.
    func count(_ column: String) -> Int? {
        guard let value = wholeNumber(column), value >= 0 else { return nil }
        return Swift.min(value, maximumCount)
    }

    func realNumber(_ column: String) -> Double? {
        switch (self[column] as DatabaseValue).storage {
        case let .int64(value): return Double(value)
        case let .double(value): return value
        case let .string(text): return Double(text)
        case .null, .blob: return nil
        }
    }

    func text(_ column: String) -> String? {
        if case let .string(text) = (self[column] as DatabaseValue).storage { return text }
        return nil
    }

    /// SQLite's truth: a non-zero number.
    func flag(_ column: String) -> Bool { (wholeNumber(column) ?? 0) != 0 }
}

extension Int {
    /// The Int nearest to `value` (NaN excluded by the caller).
    init(saturating value: Double) {
        if value >= 0x1p63 { self = .max } else if value < -0x1p63 { self = .min } else { self = Int(value) }
    }
}
