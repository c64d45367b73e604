import Foundation

/// This machine's name from `gethostname`, which, unlike Foundation's
/// `ProcessInfo.hostName`, never waits on a DNS lookup.
public enum HostName {
    public static var full: String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "localhost" }
        return String(cString: buffer)
    }

    /// Without its domain, as people write it in endpoints.
    public static var short: String {
        let name = full
        return String(name.split(separator: ".").first ?? Substring(name))
    }
}
