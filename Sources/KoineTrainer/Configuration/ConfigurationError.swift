import KoineTelemetry

/// A mistake in the user's configuration: one line naming the key, file or
/// value and what was expected.
public struct ConfigurationError: Error, CustomStringConvertible {
    public let message: String
    /// Control characters in the message (from a quoted key or value, a path)
    /// are shown as `\u{…}`: it stays one line and sends the terminal nothing.
    public init(_ message: String) { self.message = TerminalText.safe(message) }
    public var description: String { message }

    /// Input as a message quotes it: cut short, so that a huge value still
    /// makes a short line.
    static func shown(_ text: some StringProtocol, limit: Int = 60) -> String {
        text.count > limit ? text.prefix(limit) + "…" : String(text)
    }
}
