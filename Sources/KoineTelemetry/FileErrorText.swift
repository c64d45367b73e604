import Foundation

/// A file system error as a few words for a one-line message: the POSIX
/// reason ("No space left on device") where Foundation wraps one, rather than
/// the whole NSError with its user-info dictionary.
public enum FileErrorText {
    public static func reason(_ error: Error) -> String {
        let nsError = error as NSError
        if let underlying = nsError.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain {
            return String(cString: strerror(Int32(underlying.code)))
        }
        if nsError.domain == NSPOSIXErrorDomain { return String(cString: strerror(Int32(nsError.code))) }
        return "\(error)".split(whereSeparator: \.isNewline).joined(separator: " ")
    }
}
