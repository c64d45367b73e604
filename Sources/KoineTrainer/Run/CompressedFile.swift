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
