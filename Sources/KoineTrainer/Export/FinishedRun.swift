import Foundation

/// A run directory that `koine train` finished: its resolved configuration,
/// its summary's figures and the evaluations whose games it dumped. What a
/// finished run lacks, or holds malformed, is a `ConfigurationError` naming
/// the file and what was expected, before anything reads further.
public struct FinishedRun {
    public let directory: URL
    public let configuration: Configuration
    /// summary.json's numeric fields, by name.
    public let summary: [String: Double]
    /// Ranks that trained (summary.json's `world_size`).
    public let worldSize: Int

    /// summary.json is far smaller than this; a larger file is not a run's.
    static let largestSummary = 1 << 20

    public init(directory path: String) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw ConfigurationError("\(path): no such run directory")
        }
        directory = URL(fileURLWithPath: path)
        let config = directory.appendingPathComponent("config.yaml").path
        guard FileManager.default.fileExists(atPath: config) else {
            throw ConfigurationError("\(path): not a koine run directory (no config.yaml)")
        }
        configuration = try Configuration.load(file: config)
        let file = directory.appendingPathComponent("summary.json").path
        guard FileManager.default.fileExists(atPath: file) else {
            throw ConfigurationError("\(file): not found; the run has not finished (koine train --resume \(path) finishes it)")
        }
        let text = try TextFile.read(file, largest: Self.largestSummary, what: "summary")
        guard let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else {
            throw ConfigurationError("\(file): expected a JSON object of the run's final figures")
        }
        summary = object.compactMapValues { ($0 as? NSNumber)?.doubleValue }
        guard let ranks = summary["world_size"], ranks >= 1, ranks <= Double(1 << 20), ranks.rounded() == ranks else {
            throw ConfigurationError("\(file): world_size: expected the number of ranks that trained, a whole number of at least 1")
        }
        worldSize = Int(ranks)
    }

    /// The run directory's name, which names the corpus unless told otherwise.
    public var name: String { directory.lastPathComponent }

    /// A file of the run, by its path inside the run directory.
    public func path(_ name: String) -> String { directory.appendingPathComponent(name).path }
}
