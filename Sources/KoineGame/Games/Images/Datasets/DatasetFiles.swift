import CImageCodecs
import Foundation

/// The file system as the loaders see it: whole files read into memory (plain
/// or gzip, told apart by zlib from their content) and directories listed in
/// name order, every failure an `ImageDatasetError` naming the path.
enum DatasetFiles {
    static func isDirectory(_ path: String) -> Bool {
        var directory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &directory) && directory.boolValue
    }

    static func isFile(_ path: String) -> Bool {
        var directory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &directory) && !directory.boolValue
    }

    /// The names in directory `path` (hidden ones left out), sorted by their bytes
    /// so the order is the same on every machine and locale.
    static func entries(of path: String, expected: String) throws(ImageDatasetError) -> [String] {
        guard isDirectory(path) else {
            if isFile(path) { throw .malformed(path: path, expected: expected, found: "a file") }
            throw .missing(path: path, expected: expected)
        }
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: path) else {
            throw .malformed(path: path, expected: expected, found: "a directory that cannot be read")
        }
        return names.filter { !$0.hasPrefix(".") }.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
    }

    /// The whole content of file `path`, gunzipped if it is gzip, refused
    /// past `limit` bytes (counted as they are inflated, never all at once).
    static func read(_ path: String, expected: String, limit: Int = DatasetLimits.fileBytes) throws(ImageDatasetError) -> [UInt8] {
        let reader = try Reader(path, expected: expected)
        return try reader.rest(limit: limit)
    }

    /// A regular file, opened without blocking, read plain or through gunzip.
    /// FIFOs, devices and sockets are refused before they are opened (a FIFO's
    /// open would wait for a writer forever); the open itself does not block either.
    final class Reader {
        let path: String
        let expected: String
        let fileSize: Int
        private let file: gzFile

        init(_ path: String, expected: String) throws(ImageDatasetError) {
            self.path = path
            self.expected = expected
            var status = stat()
            guard stat(path, &status) == 0 else {
                if errno == ENOENT || errno == ENOTDIR { throw .missing(path: path, expected: expected) }
                throw .malformed(path: path, expected: expected, found: "a file that cannot be read (\(String(cString: strerror(errno))))")
            }
            guard status.st_mode & S_IFMT == S_IFREG else {
                throw .malformed(path: path, expected: expected, found: Self.kind(status.st_mode))
            }
            // open and fstat rather than FileManager: this runs once per image, 60,000 times for CIFAR-10's JPEGs.
            let descriptor = open(path, O_RDONLY | O_NONBLOCK)
            guard descriptor >= 0 else {
                if errno == ENOENT || errno == ENOTDIR { throw .missing(path: path, expected: expected) }
                throw .malformed(path: path, expected: expected, found: "a file that cannot be opened (\(String(cString: strerror(errno))))")
            }
            // Replaced between stat and open: checked again on what was opened.
            guard fstat(descriptor, &status) == 0, status.st_mode & S_IFMT == S_IFREG else {
                close(descriptor)
                throw .malformed(path: path, expected: expected, found: "a directory or special file")
            }
            guard let file = gzdopen(descriptor, "rb") else {
                close(descriptor)
                throw .malformed(path: path, expected: expected, found: "a file zlib cannot open")
            }
            self.file = file
            fileSize = Int(status.st_size)
        }

        deinit { gzclose(file) }

        static func kind(_ mode: mode_t) -> String {
            switch mode & S_IFMT {
            case S_IFDIR: return "a directory"
            case S_IFIFO: return "a FIFO (named pipe)"
            case S_IFCHR, S_IFBLK: return "a device"
            case S_IFSOCK: return "a socket"
            default: return "a special file"
            }
        }

        /// Exactly `count` bytes (fewer only at the end of the data).
        func read(_ count: Int) throws(ImageDatasetError) -> [UInt8] {
            var bytes = [UInt8](repeating: 0, count: count)
            let filled = try fill(&bytes, from: 0)
            bytes.removeSubrange(filled...)
            return bytes
        }

        /// Everything left, refused once it passes `limit` bytes.
        func rest(limit: Int) throws(ImageDatasetError) -> [UInt8] {
            // One byte more than the file, so a plain file ends in the first buffer.
            var bytes = [UInt8](repeating: 0, count: min(fileSize, limit) + 1)
            var filled = 0
            while true {
                filled = try fill(&bytes, from: filled)
                if filled < bytes.count { break }
                guard bytes.count <= limit else {
                    throw .malformed(path: path, expected: "\(expected) of at most \(MemoryLimit.format(Double(limit)))",
                                     found: "more data than that" + (fileSize <= limit ? " once gunzipped" : ""))
                }
                bytes.append(contentsOf: repeatElement(0, count: min(max(bytes.count, 1 << 16), limit + 1 - bytes.count)))
            }
            bytes.removeSubrange(filled...)
            return bytes
        }

        /// Fills `bytes` from `filled` on until it is full or the data ends; the new fill.
        private func fill(_ bytes: inout [UInt8], from start: Int) throws(ImageDatasetError) -> Int {
            var filled = start
            while filled < bytes.count {
                let read = bytes.withUnsafeMutableBytes { buffer in
                    gzread(file, buffer.baseAddress.map { $0 + filled }, UInt32(min(buffer.count - filled, 1 << 30)))
                }
                // A cut gzip stream ends with 0 bytes read and the error Z_BUF_ERROR.
                var code: Int32 = Z_OK
                let message = gzerror(file, &code)
                if read < 0 || code != Z_OK {
                    throw .malformed(path: path, expected: expected,
                                     found: "unreadable data (\(message.map { String(cString: $0) } ?? "zlib \(code)"))")
                }
                if read == 0 { break }
                filled += Int(read)
            }
            return filled
        }
    }
}
