import Foundation

/// Finding an optional helper program (rsvg-convert, setpriv) on PATH.
public enum ProgramSearch {
    public static func find(_ name: String) -> String? {
        let directories = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":")
        return directories.map { "\($0)/\(name)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }
}
