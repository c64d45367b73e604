import Foundation
import KoineCluster

/// Whether the run directory's filesystem can hold the checkpoints a run
/// will keep, checked before training so a full disk is found at once.
public enum CheckpointSpace {
    /// The bytes of one checkpoint summed over every rank (a collective).
    public static func bytesPerCheckpoint(_ trainer: Trainer) throws -> Int64 {
        guard trainer.configuration.train.checkpointEvery > 0 else { return 0 }
        var payload = CheckpointPayload { _ in }     // counted, not kept
        trainer.writeCheckpoint(into: &payload, step: 0, metricsLength: 0, elapsed: 0)
        var bytes = Int64(try payload.finish().length + CheckpointHeader.size)
        try trainer.communicator.allreduceSum(&bytes, count: 1)
        return bytes
    }

    /// A one-line problem when `count` checkpoints of `bytes` do not fit
    /// beside `url`; nil when they do (or the free space is unknown).
    public static func problem(at url: URL, option: String, bytes: Int64, count: Int, free: UInt64? = nil) -> String? {
        guard bytes > 0, count > 0, let free = free ?? CheckpointStore.freeBytes(near: url) else { return nil }
        let needed = UInt64(bytes) * UInt64(count)
        guard needed > free else { return nil }
        func mebibytes(_ value: UInt64) -> String { String(format: "%.1f MiB", Double(value) / 1_048_576) }
        return "\(option): checkpoints need \(mebibytes(needed)) (\(count) of \(mebibytes(UInt64(bytes))) each) but the filesystem has \(mebibytes(free)) free; free some space, lower train.checkpoint.keep, or set train.checkpoint.every: 0"
    }
}
