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
        try write(to: path) { try $0.write(bytes) }
    }

    /// An open temporary file that `write(to:body:)` fills.
    public struct Writer {
        let descriptor: Int32
        let path: String

        public func write(_ raw: UnsafeRawBufferPointer) throws {
            var offset = 0
            while offset < raw.count {
                let written = Glibc.write(descriptor, raw.baseAddress! + offset, raw.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    throw FileFailure.system(path)
                }
                offset += written
            }
        }

        public func write(_ bytes: [UInt8]) throws {
            try bytes.withUnsafeBytes { try write($0) }
        }

        /// Overwrites bytes at `offset` (a header filled in last).
        public func write(_ bytes: [UInt8], at offset: Int) throws {
            try bytes.withUnsafeBytes { raw in
                guard pwrite(descriptor, raw.baseAddress!, raw.count, off_t(offset)) == raw.count else {
                    throw FileFailure.system(path)
                }
            }
        }
    }

    /// Lets `body` fill a temporary file, then makes it `path` durably.
    public static func write(to path: String, body: (Writer) throws -> Void) throws {
        let url = URL(fileURLWithPath: path)
        let directory = url.deletingLastPathComponent().path
        let temporary = directory + "/." + url.lastPathComponent + ".tmp"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw FileFailure.system(temporary) }
        var failure: Error?
        do {
            try body(Writer(descriptor: descriptor, path: temporary))
        } catch {
            failure = error
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

    /// `url` itself if it exists, else its nearest existing ancestor.
    public static func nearestExisting(_ url: URL) -> URL {
        var probe = url
        while !FileManager.default.fileExists(atPath: probe.path), probe.path != "/" { probe = probe.deletingLastPathComponent() }
        return probe
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
