import Foundation
import KoineCollector
import KoineTelemetry
import KoineTestSupport
import XCTest

/// The real `koine collect` is SIGKILLed mid-run and restarted 3 s later on the same
/// database while a publisher keeps sending: afterwards every seq is stored.
final class CollectorRestartTests: XCTestCase {
    private func startCollector(bind: String, database: String) throws -> Process {
        let process = Process()
        process.executableURL = koineExecutable
        process.arguments = ["collect", "--bind", bind, "--db", database, "--quiet"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }

    func testKilledCollectorLosesNothing() throws {
        guard FileManager.default.isExecutableFile(atPath: koineExecutable.path) else {
            throw XCTSkip("koine is not built at \(koineExecutable.path)")
        }
        let bind = "tcp://127.0.0.1:\(freePort())"
        let path = try temporaryDatabase("restart")
        var collector = try startCollector(bind: bind, database: path)
        let notices = NoticeLog()
        let publisher = try ZeroMQPublisher(endpoint: bind, run: "restart", rank: 0, notice: { notices.append($0) })
        let start = Date()
        publisher.emit(.runStarted, step: 0, fields: [("world_size", 1), ("total_steps", 20_000)])
        var seq = 1
        var killedAt: Date?
        var restarted = false
        // About 2,000 events/s for 7.5 s: kill at 1.5 s, restart 3.5 s later.
        while Date().timeIntervalSince(start) < 7.5 {
            publisher.emit(.step, step: seq, fields: [("accuracy", .double(Double(seq % 100) / 100)), ("games_per_second", 5000.0)])
            seq += 1
            if killedAt == nil, Date().timeIntervalSince(start) >= 1.5 {
                kill(collector.processIdentifier, SIGKILL)
                collector.waitUntilExit()
                killedAt = Date()
            }
            if let killedAt, !restarted, Date().timeIntervalSince(killedAt) >= 3.5 {
                collector = try startCollector(bind: bind, database: path)
                restarted = true
            }
            usleep(500)
        }
        publisher.emit(.runFinished, step: seq, fields: [("summary", ["steps": .int(seq)])])
        seq += 1
        publisher.close()
        XCTAssertTrue(restarted)
        XCTAssertEqual(publisher.dropped, 0)
        // Give the collector a moment after the publisher's last frames, then stop it as launch does.
        let complete = waitUntil(timeout: 10) {
            ((try? TelemetryReport.load(path: path, run: "restart"))?.runs.first?.ranks.first?.events ?? 0) >= seq
        }
        kill(collector.processIdentifier, SIGTERM)
        collector.waitUntilExit()
        XCTAssertEqual(collector.terminationStatus, 0)
        XCTAssertTrue(complete, "not every event arrived within 10 s")
        XCTAssertGreaterThan(publisher.replayed, 0, "the publisher should have resent its recent frames")
        print("restart test: \(seq) events, \(publisher.replayed) resent after the reconnect")
        try assertComplete(path, run: "restart", rank: 0, count: seq)
        let report = try TelemetryReport.load(path: path)
        XCTAssertEqual(report.sessions, 2)
        XCTAssertTrue(report.runs.first?.finished ?? false)
    }
}
