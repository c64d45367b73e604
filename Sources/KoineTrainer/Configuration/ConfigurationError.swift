/// A mistake in the user's configuration: one line naming the key, file or
/// value and what was expected.
public struct ConfigurationError: Error, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
