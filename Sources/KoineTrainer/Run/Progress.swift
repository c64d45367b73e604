import Foundation

/// The progress line on standard error: rewritten in place on a terminal,
/// one line per update otherwise.
public final class Progress {
    private let enabled: Bool
    private let terminal: Bool
    private var lastLength = 0

    public init(enabled: Bool) {
        self.enabled = enabled
        terminal = isatty(STDERR_FILENO) != 0
    }

    public func show(_ line: String) {
        guard enabled else { return }
        if terminal {
            let padding = String(repeating: " ", count: max(0, lastLength - line.count))
            FileHandle.standardError.write(Data("\r\(line)\(padding)".utf8))
            lastLength = line.count
        } else {
            FileHandle.standardError.write(Data("\(line)\n".utf8))
        }
    }

    /// Ends the in-place line so later output starts on a fresh one.
    public func finish() {
        guard enabled, terminal, lastLength > 0 else { return }
        FileHandle.standardError.write(Data("\n".utf8))
        lastLength = 0
    }

    /// A note on its own line.
    public func note(_ text: String) {
        guard enabled else { return }
        finish()
        FileHandle.standardError.write(Data("\(text)\n".utf8))
    }
}

/// Numbers as a person reads them in a progress line.
public enum Format {
    static func thousands(_ value: Double) -> String {
        let whole = Int(value.rounded())
        var digits = String(abs(whole))
        var groups: [String] = []
        while digits.count > 3 {
            groups.insert(String(digits.suffix(3)), at: 0)
            digits = String(digits.dropLast(3))
        }
        groups.insert(digits, at: 0)
        return (whole < 0 ? "-" : "") + groups.joined(separator: ",")
    }

    static func fixed(_ value: Double, _ places: Int) -> String {
        value.isFinite ? String(format: "%.\(places)f", value) : "-"
    }

    /// Seconds as `m:ss`, or `h:mm:ss` from an hour.
    public static func duration(_ seconds: Double) -> String {
        guard seconds.isFinite, seconds < 1e7 else { return "-" }
        let whole = Int(seconds.rounded())
        let (hours, minutes, rest) = (whole / 3600, whole / 60 % 60, whole % 60)
        return hours > 0 ? String(format: "%d:%02d:%02d", hours, minutes, rest) : String(format: "%d:%02d", minutes, rest)
    }
}
