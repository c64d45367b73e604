/// A mistake in what a study was asked to do (a missing config, bad --seeds
/// or --grid syntax, a directory that is not a run): one line for the user.
public struct StudyError: Error, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
