import Foundation

/// What a run directory holds, which decides how a sweep continues it.
public enum RunState: Equatable {
    /// summary.json is there: nothing to do.
    case finished
    /// A complete checkpoint is there: `koine train --resume`.
    case resumable
    /// Nothing usable (no directory, or no complete checkpoint): start afresh.
    case fresh

    public static func of(_ directory: String) -> RunState {
        let files = FileManager.default
        if files.fileExists(atPath: directory + "/summary.json") { return .finished }
        let checkpoints = directory + "/checkpoints"
        let steps = (try? files.contentsOfDirectory(atPath: checkpoints)) ?? []
        if steps.contains(where: { files.fileExists(atPath: "\(checkpoints)/\($0)/COMPLETE") }) { return .resumable }
        return .fresh
    }
}
