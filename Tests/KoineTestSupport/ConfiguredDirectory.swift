import Foundation

/// A temporary directory holding one configuration file, for tests that run
/// `koine` on it and put their run directories beside it.
public struct ConfiguredDirectory {
    public let url: URL
    /// The configuration file's path.
    public let config: String

    public init(_ label: String, config text: String) throws {
        url = try makeTemporaryDirectory(label)
        config = url.appendingPathComponent("config.yaml").path
        try text.write(toFile: config, atomically: true, encoding: .utf8)
    }

    /// The path of `name` inside the directory.
    public func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    public func remove() { try? FileManager.default.removeItem(at: url) }
}
