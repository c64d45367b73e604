import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The files of one run (see docs/runs.md: The run directory). Files that are read as
/// a whole are written to a temporary name and renamed, so a reader never
/// sees half a file.
public final class RunDirectory {
    public let url: URL
    private var metrics: FileHandle?

    /// Checks that `url` can become a run directory (or another command's
    /// output, whose way out of a non-empty directory `remedy` names),
    /// without creating it.
    public static func check(_ url: URL, remedy: String = "choose a new one (or --resume it)") throws {
        let manager = FileManager.default
        // A symbolic link to nothing is neither there (fileExists follows it) nor creatable.
        var link = stat(), target = stat()
        if lstat(url.path, &link) == 0, link.st_mode & S_IFMT == S_IFLNK, stat(url.path, &target) != 0 {
            throw ConfigurationError("--out \(url.path): a symbolic link to nothing (\(String(cString: strerror(errno)))); choose a new one")
        }
        var isDirectory: ObjCBool = false
        if manager.fileExists(atPath: url.path, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else {
                throw ConfigurationError("--out \(url.path): exists and is not a directory")
            }
            let contents = (try? manager.contentsOfDirectory(atPath: url.path)) ?? []
            if !contents.isEmpty {
                throw ConfigurationError("--out \(url.path): directory is not empty; \(remedy)")
            }
            if let reason = probeWrite(in: url.path) {
                throw ConfigurationError("--out \(url.path): directory is not writable (\(reason))")
            }
            return
        }
        // The nearest existing ancestor must be a writable directory.
        let parent = DurableFile.nearestExisting(url.deletingLastPathComponent())
        guard manager.fileExists(atPath: parent.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw ConfigurationError("--out \(url.path): \(parent.path) is not a directory")
        }
        if let reason = probeWrite(in: parent.path) {
            throw ConfigurationError("--out \(url.path): \(parent.path) is not writable (\(reason))")
        }
    }

    /// Creates and removes a file in `directory`; the reason when that fails.
    /// (Permission bits alone mislead: root passes them on a read-only mount.)
    static func probeWrite(in directory: String) -> String? {
        let probe = directory + "/.koine-probe-\(getpid())"
        let descriptor = open(probe, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { return String(cString: strerror(errno)) }
        _ = Glibc.close(descriptor)
        unlink(probe)
        return nil
    }

    /// Creates the directory and writes the resolved configuration.
    public init(url: URL, configuration: Configuration) throws {
        self.url = url
        try RunDirectory.check(url)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        try write("config.yaml", configuration.yaml)
        let metricsURL = url.appendingPathComponent("metrics.jsonl")
        FileManager.default.createFile(atPath: metricsURL.path, contents: nil)
        metrics = try FileHandle(forWritingTo: metricsURL)
    }

    deinit { try? metrics?.close() }

    /// Writes `name` atomically (see `DurableFile`).
    public func write(_ name: String, _ text: String) throws {
        try DurableFile.write(Array(text.utf8), to: url.appendingPathComponent(name).path)
    }

    /// Reopens an existing run directory to resume it: metrics.jsonl is cut
    /// back to `metricsLength` bytes (the lines of steps about to be replayed
    /// go) and `configuration` replaces config.yaml (its steps may have grown).
    public init(resuming url: URL, configuration: Configuration, metricsLength: Int) throws {
        self.url = url
        try write("config.yaml", configuration.yaml)
        let metricsURL = url.appendingPathComponent("metrics.jsonl")
        if !FileManager.default.fileExists(atPath: metricsURL.path) {
            FileManager.default.createFile(atPath: metricsURL.path, contents: nil)
        }
        let handle = try FileHandle(forWritingTo: metricsURL)
        let length = try handle.seekToEnd()
        if length > UInt64(metricsLength) {
            try handle.truncate(atOffset: UInt64(metricsLength))
        }
        try handle.seekToEnd()
        metrics = handle
    }

    /// Flushes metrics.jsonl to disk and returns its length in bytes.
    public func synchronizeMetrics() throws -> Int {
        guard let metrics else { return 0 }
        try metrics.synchronize()
        return Int(try metrics.offset())
    }

    /// Appends one line to metrics.jsonl. A write that fails (a full disk, a
    /// file-size limit) throws a `RunFileFailure` naming the file and reason.
    public func appendMetrics(_ line: String) throws {
        guard let metrics else { return }
        let bytes = Array((line + "\n").utf8)
        var written = 0
        while written < bytes.count {
            let count = bytes.withUnsafeBytes { Glibc.write(metrics.fileDescriptor, $0.baseAddress! + written, $0.count - written) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else {
                let reason = count < 0 ? String(cString: strerror(errno)) : "nothing written"
                throw RunFileFailure(file: url.appendingPathComponent("metrics.jsonl").path, reason: reason)
            }
            written += count
        }
    }

    public func close() {
        try? metrics?.synchronize()
        try? metrics?.close()
        metrics = nil
    }
}

/// A file of the run directory that could not be written during training: the
/// environment's fault (a full disk, a file-size limit), not the input's.
public struct RunFileFailure: Error, CustomStringConvertible {
    public let file: String
    public let reason: String
    public init(file: String, reason: String) {
        self.file = file
        self.reason = reason
    }
    public var description: String { "\(file): write failed (\(reason))" }
}
