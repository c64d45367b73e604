import Foundation
import KoineCollector
import KoineTestSupport
import XCTest

/// Hardening II (issue 31): the collector's writers on a full disk. A small
/// tmpfs the test mounts (root only) fills up; the collector must not crash
/// (TensorBoard's `FileHandle.write` trapped before), must say so in one line,
/// and must count exactly what it stored (it said 20,022 stored when the
/// database held 3,284) and what it did not, then exit 1.
final class FullDiskTests: XCTestCase {
    var mountPoint: String?

    override func setUpWithError() throws {
        guard getuid() == 0 else { throw XCTSkip("mounting a small tmpfs needs root") }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("koine-full-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let mounted = try runProcess("/bin/mount", ["-t", "tmpfs", "-o", "size=400k", "tmpfs", directory], timeout: 10)
        guard mounted.status == 0 else {
            try? FileManager.default.removeItem(atPath: directory)
            throw XCTSkip("cannot mount a tmpfs here: \(mounted.standardError)")
        }
        mountPoint = directory
    }

    override func tearDownWithError() throws {
        guard let mountPoint else { return }
        try runProcess("/bin/umount", [mountPoint], timeout: 10)
        try? FileManager.default.removeItem(atPath: mountPoint)
    }

    /// `count` events of about 2 KB each for run "full".
    func send(_ count: Int, to endpoint: String) {
        let pusher = RawPusher(endpoint: endpoint)
        let padding = String(repeating: "x", count: 2000)
        for seq in 0..<count { pusher.send(eventFrame(run: "full", rank: 0, seq: seq, extra: ",\"accuracy\":0.5,\"note\":\"\(padding)\"")) }
        pusher.close()
    }

    /// The events the database at `path` holds.
    func storedRows(_ path: String) throws -> Int {
        let result = try runProcess("/usr/bin/sqlite3", [path, "SELECT count(*) FROM events"], timeout: 10)
        return Int(result.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
    }

    func testTensorBoardOnAFullDiskStopsTheExportAndKeepsStoring() throws {
        let mountPoint = try XCTUnwrap(mountPoint)
        let endpoint = "tcp://127.0.0.1:\(freePort())"
        let database = try temporaryDatabase("full-tb")
        // The disk nearly full before the collector starts: a few KB left for the event files.
        FileManager.default.createFile(atPath: mountPoint + "/filler", contents: Data(count: 380 << 10))
        let collector = try Collector(bind: endpoint, database: database, quiet: true, tensorBoard: mountPoint + "/tb")
        collector.startInBackground()
        send(600, to: endpoint)
        XCTAssertTrue(waitUntil(timeout: 30) { collector.currentStatistics.stored >= 600 }, "\(collector.currentStatistics)")
        collector.stop()
        XCTAssertEqual(collector.currentStatistics.stored, 600)
        XCTAssertEqual(collector.currentStatistics.unstored, 0)
        XCTAssertTrue(collector.writerFailed, "the TensorBoard export failed and says so")
        try assertComplete(database, run: "full", rank: 0, count: 600)
    }

    func testADatabaseOnAFullDiskCountsExactlyWhatItStored() throws {
        let mountPoint = try XCTUnwrap(mountPoint)
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/sqlite3") else { throw XCTSkip("no sqlite3") }
        let port = freePort()
        let database = mountPoint + "/telemetry.sqlite"
        let collector = try RunningProcess(koineExecutable.path, ["collect", "--bind", "tcp://127.0.0.1:\(port)", "--db", database])
        let sent = 1500
        XCTAssertTrue(waitUntil(timeout: 10) { FileManager.default.fileExists(atPath: database) })
        send(sent, to: "tcp://127.0.0.1:\(port)")
        // Everything arrives (stored or counted as not stored) before the collector is asked to stop.
        usleep(1_500_000)
        kill(collector.process.processIdentifier, SIGTERM)
        XCTAssertTrue(collector.waitForExit(timeout: 30), collector.output)
        XCTAssertEqual(collector.status, 1, "a full disk is the environment failing: \(collector.output)")
        let output = collector.output
        let failures = output.split(separator: "\n").filter { $0.contains("cannot store events") }
        XCTAssertEqual(failures.count, 1, "one line: \(output)")
        let final = String(try XCTUnwrap(output.split(separator: "\n").first { $0.hasPrefix("koine collect: stopped;") }, output))
        // "koine collect: stopped; S events stored in DB, D duplicates, B bad frames, N events NOT stored"
        let stored = Int(final.components(separatedBy: "stopped; ").last?.split(separator: " ").first ?? "") ?? -1
        let notStored = Int(final.components(separatedBy: ", ").first { $0.hasSuffix("events NOT stored") }?
            .split(separator: " ").first ?? "") ?? 0
        XCTAssertEqual(stored, try storedRows(database), "the final line's count is the database's: \(final)")
        XCTAssertGreaterThan(notStored, 0, final)
        XCTAssertEqual(stored + notStored, sent, final)
    }
}
