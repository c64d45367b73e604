import Foundation

/// The run directories under a folder, found by their run id: the id is the
/// directory's name and a suffix of 8 hex digits (`quick-1a2b3c4d`), kept in
/// the directory's `run-id`, which must agree. A name the trainer had to make
/// safe for telemetry (control characters) is found through the `run-id`
/// files of the folder's directories, read once. Ids that would leave the
/// folder (a `/`, `..`) name no directory.
public struct RunFolders {
    public let root: String
    /// Run id → directory, from the `run-id` files (at most `scanned` directories).
    private let byIdentifier: [String: String]
    static let scanned = 10_000

    public init(_ root: String) {
        self.root = root
        var found: [String: String] = [:]
        let names = (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
        for name in names.prefix(Self.scanned) where !name.hasPrefix(".") {
            let directory = root + "/" + name
            guard RunFolders.isRegularFile(directory + "/run-id"), RunFolders.isRegularFile(directory + "/lexicon.tsv"),
                  let kept = try? String(contentsOfFile: directory + "/run-id", encoding: .utf8) else { continue }
            found[kept.trimmingCharacters(in: .whitespacesAndNewlines)] = directory
        }
        byIdentifier = found
    }

    public func directory(of run: String) -> String? {
        if let directory = byIdentifier[run] { return directory }
        // A run directory without a run-id file (older runs): the id itself names it.
        guard !run.isEmpty, !run.contains("/"), run != ".", run != "..",
              RunFolders.isRegularFile(root + "/" + run + "/lexicon.tsv") else { return nil }
        return root + "/" + run
    }

    /// A FIFO named lexicon.tsv would block the page's reading.
    public static func isRegularFile(_ path: String) -> Bool {
        var status = stat()
        return stat(path, &status) == 0 && status.st_mode & S_IFMT == S_IFREG
    }

    /// The size of the file at `path` in bytes, when it can be read.
    static func size(of path: String) -> Int? {
        var status = stat()
        return stat(path, &status) == 0 ? Int(status.st_size) : nil
    }
}
