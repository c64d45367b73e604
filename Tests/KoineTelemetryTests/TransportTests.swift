import Foundation
import KoineCollector
import KoineTelemetry
import KoineTestSupport
import XCTest

/// Publisher → collector → SQLite, in one process.
final class TransportTests: XCTestCase {
    private func sendAndCheck(endpoint: String, count: Int) throws {
        let path = try temporaryDatabase("transport")
        let collector = try Collector(bind: endpoint, database: path)
        collector.startInBackground()
        let publisher = try ZeroMQPublisher(endpoint: endpoint, run: "transport", rank: 2)
        publisher.emit(.runStarted, step: 0, fields: [
            ("config", ["game": ["attributes": 2]]), ("world_size", 1), ("hosts", ["localhost"]),
            ("versions", ["koine": "test"]), ("total_steps", .int(count)),
        ])
        for step in 1..<(count - 1) {
            publisher.emit(.step, step: step, fields: [("accuracy", .double(Double(step) / Double(count))), ("games_per_second", 1000.0)])
            // Stay under the queue bound: a real run is far slower than this loop.
            if step % 10_000 == 0 { usleep(20_000) }
        }
        publisher.emit(.runFinished, step: count, fields: [("summary", ["accuracy": 0.99])])
        publisher.close()
        XCTAssertEqual(publisher.dropped, 0)
        XCTAssertTrue(waitUntil(timeout: 20) { collector.currentStatistics.stored == count },
                      "stored \(collector.currentStatistics.stored) of \(count)")
        collector.stop()
        let statistics = collector.currentStatistics
        XCTAssertEqual(statistics.bad, 0)
        XCTAssertEqual(statistics.duplicates, 0)
        try assertComplete(path, run: "transport", rank: 2, count: count)
        let report = try TelemetryReport.load(path: path)
        let run = try XCTUnwrap(report.runs.first)
        XCTAssertTrue(run.finished)
        XCTAssertEqual(run.worldSize, 1)
        XCTAssertEqual(run.totalSteps, count)
        XCTAssertEqual(run.summary?["accuracy"], .double(0.99))
        XCTAssertEqual(run.config?["game"]?["attributes"], .int(2))
        let tracker = collector.currentTracker
        XCTAssertEqual(tracker.ranks[RankKey(run: "transport", rank: 2)]?.lastStep, count)
    }

    func testTCPLoopbackDeliversEveryEvent() throws {
        try sendAndCheck(endpoint: "tcp://127.0.0.1:\(freePort())", count: 30_000)
    }

    func testInprocDeliversEveryEvent() throws {
        try sendAndCheck(endpoint: "inproc://koine-transport-test", count: 30_000)
    }

    func testSeveralRunsAndRanksAtOnce() throws {
        let endpoint = "tcp://127.0.0.1:\(freePort())"
        let path = try temporaryDatabase("runs")
        let collector = try Collector(bind: endpoint, database: path)
        collector.startInBackground()
        var publishers: [ZeroMQPublisher] = []
        let notices = NoticeLog()
        for run in ["alpha", "beta"] {
            for rank in 0..<2 {
                publishers.append(try ZeroMQPublisher(endpoint: endpoint, run: run, rank: rank, noticeAfter: 0.3,
                                                      notice: { notices.append($0) }))
            }
        }
        for step in 0..<500 {
            for publisher in publishers { publisher.emit(.step, step: step, fields: [("loss", .double(1.0 / Double(step + 1)))]) }
        }
        // Connected publishers must never claim that telemetry is not received.
        usleep(600_000)
        publishers.forEach { $0.close() }
        XCTAssertEqual(notices.messages, [])
        XCTAssertTrue(waitUntil(timeout: 20) { collector.currentStatistics.stored == 2000 })
        collector.stop()
        for run in ["alpha", "beta"] {
            for rank in 0..<2 { try assertComplete(path, run: run, rank: rank, count: 500) }
        }
    }
}
