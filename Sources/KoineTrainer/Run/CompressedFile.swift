import CImageCodecs
import Foundation

/// A gzip-compressed text file, written to a temporary name and renamed, so a
/// reader never sees half of one.
enum CompressedFile {
    static func write(_ text: String, to path: String) throws {
        let url = URL(fileURLWithPath: path)
        let temporary = url.deletingLastPathComponent().appendingPathComponent("." + url.lastPathComponent + ".tmp").path
        guard let file = gzopen(temporary, "wb") else { throw RunFileFailure(file: temporary, reason: "cannot open for writing") }
        var bytes = Array(text.utf8)
        var written: Int32 = 0
        if !bytes.isEmpty {
            written = bytes.withUnsafeMutableBytes { gzwrite(file, $0.baseAddress, UInt32($0.count)) }
        }
        let closed = gzclose(file)
        guard (bytes.isEmpty || written == Int32(bytes.count)), closed == Z_OK else {
            unlink(temporary)
            throw RunFileFailure(file: path, reason: "compressed write failed")
        }
        bytes.removeAll()
        guard rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw RunFileFailure(file: path, reason: reason)
        }
    }
}

extension CompressedFile {
    /// Calls `body` with each line of the gzip-compressed text file at `path`
    /// and its number (from 1), reading a chunk at a time so that a large
    /// file is never held whole. A line longer than `longestLine` bytes, a cut
    /// or damaged stream, or text that is not UTF-8 is a `ConfigurationError`
    /// naming the file: these files are a run's, read back as input.
    static func forEachLine(of path: String, longestLine: Int, _ body: (Substring, Int) throws -> Void) throws {
        // gzopen blocks on a FIFO until a writer comes (koine export hung); only a regular file is read.
        var status = stat()
        guard stat(path, &status) == 0 else {
            throw ConfigurationError("\(path): cannot open (\(String(cString: strerror(errno))))")
        }
        guard status.st_mode & S_IFMT == S_IFREG else {
            throw ConfigurationError("\(path): expected a gzip-compressed file, not a directory or special file (a FIFO, a device)")
        }
        guard let file = gzopen(path, "rb") else {
            throw ConfigurationError("\(path): cannot open (\(String(cString: strerror(errno))))")
        }
        defer { gzclose(file) }
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        var pending: [UInt8] = []
        var number = 0
        func emit(_ bytes: ArraySlice<UInt8>) throws {
            number += 1
            guard bytes.count <= longestLine else {
                throw ConfigurationError("\(path):\(number): a line longer than \(longestLine) bytes; expected one game a line")
            }
            guard let line = String(validating: bytes, as: UTF8.self) else {
                throw ConfigurationError("\(path):\(number): expected UTF-8 text")
            }
            try body(Substring(line), number)
        }
        while true {
            let read = chunk.withUnsafeMutableBytes { gzread(file, $0.baseAddress, UInt32($0.count)) }
            // A cut stream ends with 0 bytes read and an error, not a clean end.
            var code: Int32 = Z_OK
            let message = gzerror(file, &code)
            if read < 0 || code != Z_OK {
                throw ConfigurationError("\(path): damaged gzip data (\(message.map { String(cString: $0) } ?? "zlib \(code)"))")
            }
            if read == 0 { break }
            var start = 0
            for index in 0..<Int(read) where chunk[index] == UInt8(ascii: "\n") {
                pending += chunk[start..<index]
                try emit(pending[...])
                pending.removeAll(keepingCapacity: true)
                start = index + 1
            }
            pending += chunk[start..<Int(read)]
            // A line with no end in sight is refused before it can grow further.
            guard pending.count <= longestLine else {
                throw ConfigurationError("\(path):\(number + 1): a line longer than \(longestLine) bytes; expected one game a line")
            }
        }
        if !pending.isEmpty { try emit(pending[...]) }
    }
}
