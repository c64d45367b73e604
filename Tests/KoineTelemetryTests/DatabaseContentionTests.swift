import Foundation
import KoineCollector
import KoineTelemetry
import KoineTestSupport
import XCTest

/// Issue 13, item 1: readers and the writer wait for each other's locks. Collectors open,
/// write and close one database 100 times while reports read it without pause, in this
/// process and as `koine report`; no open and no report may fail.
final class DatabaseContentionTests: XCTestCase {
    func testCollectorsStartAndStopWhileReportsLoop() throws {
        let path = try temporaryDatabase("contention")
        defer { try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent) }
        let readers = ReaderLoop()
        for cycle in 0..<100 {
            let bind = "tcp://127.0.0.1:\(freePort())"
            let collector: Collector
            do {
                collector = try Collector(bind: bind, database: path)
            } catch {
                readers.stop()
                return XCTFail("collector start \(cycle + 1) failed: \(error)")
            }
            // Short batches: each cycle's one event is written without waiting the usual 100 ms.
            collector.flushInterval = 0.01
            collector.startInBackground()
            let pusher = RawPusher(endpoint: bind)
            pusher.send(eventFrame(run: "contended", rank: 0, seq: cycle))
            pusher.close()
            XCTAssertTrue(waitUntil(timeout: 30) { collector.currentStatistics.stored == 1 }, "cycle \(cycle + 1)")
            collector.stop()
            // Readers start once the database exists.
            if cycle == 0 { readers.start(path: path) }
        }
        let (reports, failures) = readers.stop()
        XCTAssertEqual(failures, [], "\(failures.count) of \(reports) reports failed")
        XCTAssertGreaterThan(reports, 10)
        try assertComplete(path, run: "contended", rank: 0, count: 100)
    }
}

/// Reads the database in a loop on two threads — TelemetryReport in this process and
/// `koine report` as a child — until stopped; counts reports and keeps failures.
private final class ReaderLoop: @unchecked Sendable {
    private let lock = NSLock()
    private var stopping = false
    private var reports = 0
    private var failures: [String] = []
    private let done = DispatchGroup()

    func start(path: String) {
        var readers: [() -> String?] = [{
            do {
                let report = try TelemetryReport.load(path: path)
                _ = report.text()
                return nil
            } catch {
                return "TelemetryReport.load: \(error)"
            }
        }]
        if FileManager.default.isExecutableFile(atPath: koineExecutable.path) {
            readers.append {
                guard let result = try? runKoine(["report", "--db", path, "--json"], timeout: 60) else { return "cannot run koine" }
                return result.status == 0 ? nil : "koine report: status \(result.status): \(result.standardError)"
            }
        }
        for read in readers {
            done.enter()
            Thread.detachNewThread { [self] in
                while !isStopping {
                    let failure = read()
                    lock.lock()
                    reports += 1
                    if let failure { failures.append(failure) }
                    lock.unlock()
                }
                done.leave()
            }
        }
    }

    private var isStopping: Bool {
        lock.lock(); defer { lock.unlock() }
        return stopping
    }

    @discardableResult
    func stop() -> (reports: Int, failures: [String]) {
        lock.lock()
        stopping = true
        lock.unlock()
        done.wait()
        lock.lock(); defer { lock.unlock() }
        return (reports, failures)
    }
}
