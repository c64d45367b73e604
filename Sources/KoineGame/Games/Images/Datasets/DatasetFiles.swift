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

    /// The whole content of file `path`, gunzipped if it is gzip.
    static func read(_ path: String, expected: String) throws(ImageDatasetError) -> [UInt8] {
        // open and fstat rather than FileManager: this runs once per image, 60,000 times for CIFAR-10's JPEGs.
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else {
            if errno == ENOENT || errno == ENOTDIR { throw .missing(path: path, expected: expected) }
            throw .malformed(path: path, expected: expected, found: "a file that cannot be opened (\(String(cString: strerror(errno))))")
        }
        var status = stat()
        guard fstat(descriptor, &status) == 0, status.st_mode & S_IFMT == S_IFREG else {
            close(descriptor)
            throw .malformed(path: path, expected: expected, found: "a directory or special file")
        }
        guard let file = gzdopen(descriptor, "rb") else {
            close(descriptor)
            throw .malformed(path: path, expected: expected, found: "a file zlib cannot open")
        }
        defer { gzclose(file) }
        // One byte more than the file, so a plain file ends in the first buffer.
        let size = Int(status.st_size)
        var bytes = [UInt8](repeating: 0, count: size + 1)
        var filled = 0
        while true {
            if filled == bytes.count { bytes.append(contentsOf: repeatElement(0, count: max(bytes.count, 1 << 16))) }
            let read = bytes.withUnsafeMutableBytes { buffer in
                gzread(file, buffer.baseAddress! + filled, UInt32(min(buffer.count - filled, 1 << 30)))
            }
            // A cut gzip stream ends with 0 bytes read and the error Z_BUF_ERROR.
            var code: Int32 = Z_OK
            let message = gzerror(file, &code)
            if read < 0 || code != Z_OK {
                throw .malformed(path: path, expected: expected, found: "unreadable data (\(message.map { String(cString: $0) } ?? "zlib \(code)"))")
            }
            if read == 0 { break }
            filled += Int(read)
        }
        bytes.removeSubrange(filled...)
        return bytes
    }
}
