import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A file operation that failed: the path and the system's reason.
public struct FileFailure: Error, CustomStringConvertible {
    public let path: String
    public let reason: String
    public init(_ path: String, _ reason: String) {
        self.path = path
        self.reason = reason
    }
    /// The failure of the last system call, from `errno`.
    public static func system(_ path: String) -> FileFailure { FileFailure(path, String(cString: strerror(errno))) }
    public var description: String { "\(path): \(reason)" }
}

/// Writes a file so that a crash at any moment leaves either the old file or
/// the whole new one: a temporary file, fsync, rename, then fsync of the
/// directory so the rename itself survives a power cut.
public enum DurableFile {
    public static func write(_ bytes: [UInt8], to path: String) throws {
        let url = URL(fileURLWithPath: path)
        let directory = url.deletingLastPathComponent().path
        let temporary = directory + "/." + url.lastPathComponent + ".tmp"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw FileFailure.system(temporary) }
        var failure: FileFailure?
        bytes.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = Glibc.write(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    failure = FileFailure.system(temporary)
                    return
                }
                offset += written
            }
        }
        if failure == nil && fsync(descriptor) != 0 { failure = FileFailure.system(temporary) }
        if close(descriptor) != 0 && failure == nil { failure = FileFailure.system(temporary) }
        if let failure {
            unlink(temporary)
            throw failure
        }
        guard rename(temporary, path) == 0 else {
            let renameFailure = FileFailure.system(path)
            unlink(temporary)
            throw renameFailure
        }
        try synchronizeDirectory(directory)
    }

    /// Flushes a directory's entries (created, renamed or removed files) to disk.
    public static func synchronizeDirectory(_ path: String) throws {
        let descriptor = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { throw FileFailure.system(path) }
        defer { close(descriptor) }
        guard fsync(descriptor) == 0 else { throw FileFailure.system(path) }
    }

    /// Creates a directory (and its parents); an existing one is fine.
    public static func makeDirectory(_ path: String) throws {
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue { return }
            throw FileFailure(path, "cannot create the directory (\((error as NSError).localizedDescription))")
        }
    }
}
