import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The `checkpoints/` folder of a run directory:
///
///     checkpoints/step-00010000/rank-0.ckpt   one file per rank
///     checkpoints/step-00010000/COMPLETE      written by rank 0 once every rank's file is in place
///
/// A step without `COMPLETE` is unfinished (a crash mid-write) and is never
/// resumed from.
public struct CheckpointStore {
    public let url: URL
    public static let marker = "COMPLETE"

    public init(run: URL) {
        url = run.appendingPathComponent("checkpoints")
    }

    /// `step-` and the step, at least 8 digits (a format of `%08d` would cut
    /// steps past 2^31 to 32 bits).
    public static func name(step: Int) -> String {
        let digits = String(step)
        return "step-" + String(repeating: "0", count: max(0, 8 - digits.count)) + digits
    }

    public func directory(step: Int) -> URL { url.appendingPathComponent(CheckpointStore.name(step: step)) }

    public func file(step: Int, rank: Int) -> URL { directory(step: step).appendingPathComponent("rank-\(rank).ckpt") }

    /// A path relative to the run directory's parent, for messages.
    public func display(_ file: URL) -> String {
        let run = url.deletingLastPathComponent()
        return run.lastPathComponent + "/" + file.path.dropFirst(run.path.count + 1)
    }

    /// Writes this rank's file of `step` durably, streaming the payload that
    /// `build` appends: a placeholder header, the payload, then the header.
    public func write(step: Int, rank: Int, worldSize: Int, configuration: UInt64,
                      build: (inout CheckpointPayload) -> Void) throws {
        try DurableFile.makeDirectory(directory(step: step).path)
        try DurableFile.write(to: file(step: step, rank: rank).path) { file in
            try file.write([UInt8](repeating: 0, count: CheckpointHeader.size))
            var payload = CheckpointPayload { try file.write($0) }
            build(&payload)
            let (length, checksum) = try payload.finish()
            let header = CheckpointHeader(rank: rank, worldSize: worldSize, step: step, configuration: configuration,
                                          payloadLength: length, payloadChecksum: checksum)
            try file.write(header.bytes, at: 0)
        }
    }

    /// Marks `step` complete (rank 0, after every rank wrote its file).
    public func markComplete(step: Int, worldSize: Int) throws {
        let text = "step \(step)\nworld_size \(worldSize)\n"
        try DurableFile.write(Array(text.utf8), to: directory(step: step).appendingPathComponent(CheckpointStore.marker).path)
    }

    /// Every step with a folder, newest first, and whether it is complete.
    public func steps() -> [(step: Int, complete: Bool)] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? []
        return names.compactMap { name -> (Int, Bool)? in
            guard name.hasPrefix("step-"), let step = Int(name.dropFirst(5)), step >= 0 else { return nil }
            let marker = directory(step: step).appendingPathComponent(CheckpointStore.marker).path
            return (step, FileManager.default.fileExists(atPath: marker))
        }.sorted { $0.0 > $1.0 }
    }

    /// The world size a complete step's marker records.
    public func worldSize(step: Int) throws -> Int {
        let marker = directory(step: step).appendingPathComponent(CheckpointStore.marker)
        guard let text = try? String(contentsOf: marker, encoding: .utf8) else {
            throw CheckpointFault(file: display(marker), "unreadable")
        }
        for line in text.split(separator: "\n") where line.hasPrefix("world_size ") {
            if let size = Int(line.dropFirst("world_size ".count)), size > 0 { return size }
        }
        throw CheckpointFault(file: display(marker), "corrupted (no world_size line)")
    }

    /// Reads and checks one rank's file of `step` against what this job expects.
    /// The header is read and checked first, against the file's size too, so a
    /// damaged or forged length is refused before anything of its size is allocated.
    public func read(step: Int, rank: Int, worldSize: Int, configuration: UInt64) throws -> ArraySlice<UInt8> {
        let file = self.file(step: step, rank: rank)
        let name = display(file)
        let data = try CheckpointStore.contents(of: file.path, name: name) { header in
            guard header.rank == rank, header.step == step else {
                throw CheckpointFault(file: name, "holds rank \(header.rank) at step \(header.step) (foreign file: not this checkpoint)")
            }
            guard header.configuration == configuration else {
                throw CheckpointFault(file: name, "written for a different configuration (foreign file: identity \(String(header.configuration, radix: 16)), this run \(String(configuration, radix: 16)))")
            }
            guard header.worldSize == worldSize else {
                throw CheckpointFault(file: name, "written by a job of \(header.worldSize) ranks, not \(worldSize)")
            }
        }
        return try CheckpointHeader.parse(data, file: name).payload
    }

    /// A whole file read straight into one array (a checkpoint can be tens of
    /// MB: no second copy through `Data`), once `check` accepted its header.
    static func contents(of path: String, name: String, check: (CheckpointHeader) throws -> Void) throws -> [UInt8] {
        // O_NONBLOCK: a FIFO named like a checkpoint opens at once (without it,
        // open waited for a writer: koine probe and crossplay hung), and is refused below.
        let descriptor = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard descriptor >= 0 else {
            throw CheckpointFault(file: name, FileManager.default.fileExists(atPath: path) ? "unreadable" : "missing")
        }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { throw CheckpointFault(file: name, "unreadable") }
        guard status.st_mode & S_IFMT == S_IFREG else {
            throw CheckpointFault(file: name, "not a regular file (a FIFO, a device or a directory)")
        }
        let size = Int(status.st_size)
        let header = try read(descriptor, min(size, CheckpointHeader.size), name: name)
        try check(try CheckpointHeader.parseHeader(header[...], fileSize: size, file: name))
        return try read(descriptor, size, name: name, after: header)
    }

    /// `count` bytes: `start`, then what follows it in an open file.
    private static func read(_ descriptor: Int32, _ count: Int, name: String, after start: [UInt8] = []) throws -> [UInt8] {
        var complete = true
        let bytes = [UInt8](unsafeUninitializedCapacity: count) { buffer, filled in
            for byte in start {
                buffer[filled] = byte
                filled += 1
            }
            while filled < count {
                let got = Glibc.read(descriptor, buffer.baseAddress! + filled, count - filled)
                if got < 0 && errno == EINTR { continue }
                if got <= 0 { break }
                filled += got
            }
            complete = filled == count
        }
        guard complete else { throw CheckpointFault(file: name, "unreadable") }
        return bytes
    }

    /// Checks every rank's file of `step`; returns the first fault, if any.
    public func verify(step: Int, worldSize: Int, configuration: UInt64) -> CheckpointFault? {
        for rank in 0..<worldSize {
            do {
                _ = try read(step: step, rank: rank, worldSize: worldSize, configuration: configuration)
            } catch let fault as CheckpointFault {
                return fault
            } catch {
                return CheckpointFault(file: display(file(step: step, rank: rank)), "\(error)")
            }
        }
        return nil
    }

    /// Removes a step's folder.
    public func remove(step: Int) {
        try? FileManager.default.removeItem(at: directory(step: step))
    }

    /// Keeps the newest `keep` complete steps; removes older ones and any
    /// unfinished step older than the newest complete one.
    public func prune(keep: Int) {
        let all = steps()
        guard let newest = all.first(where: { $0.complete })?.step else { return }
        var kept = 0
        for entry in all {
            if entry.complete {
                kept += 1
                if kept > keep { remove(step: entry.step) }
            } else if entry.step < newest {
                remove(step: entry.step)
            }
        }
        try? DurableFile.synchronizeDirectory(url.path)
    }

    /// Free bytes on the filesystem holding `path` (or its nearest existing ancestor).
    public static func freeBytes(near path: URL) -> UInt64? {
        var status = statvfs()
        guard statvfs(DurableFile.nearestExisting(path).path, &status) == 0 else { return nil }
        return UInt64(status.f_bavail) * UInt64(status.f_frsize)
    }

    /// How many checkpoints exist at once at most: `keep` plus the one being
    /// written, but never more than the run writes.
    public static func peakCount(steps: Int, every: Int, keep: Int) -> Int {
        guard every > 0 else { return 0 }
        let written = steps / every + (steps % every == 0 ? 0 : 1)
        return min(keep + 1, written)
    }
}
