import Foundation
import KoineTelemetry
import KoineTestSupport
import XCTest

/// Nobody listens: emitting never blocks, drops are counted exactly, one notice, bounded close.
final class NoCollectorTests: XCTestCase {
    func testDropsAreCountedAndCloseIsBounded() throws {
        let notices = NoticeLog()
        let publisher = try ZeroMQPublisher(endpoint: "tcp://127.0.0.1:\(freePort())", run: "alone", rank: 0,
                                            linger: 1, notice: { notices.append($0) })
        let count = Int(ZeroMQPublisher.sendHighWaterMark) + 25_000
        let start = Date()
        for step in 0..<count {
            publisher.emit(.step, step: step, fields: [("loss", 0.5)])
        }
        let perEvent = Date().timeIntervalSince(start) / Double(count)
        print("emit with no collector: \(String(format: "%.2f", perEvent * 1e6)) µs per event")
        let closing = Date()
        publisher.close()
        let closeTime = Date().timeIntervalSince(closing)
        // Everything beyond the queue's bound is dropped (counted once close() sent the last burst).
        XCTAssertEqual(publisher.dropped, count - Int(ZeroMQPublisher.sendHighWaterMark))
        XCTAssertLessThan(closeTime, 1.5, "close() took \(closeTime) s with a 1 s linger")
        XCTAssertEqual(notices.messages.count, 1, "\(notices.messages)")
        XCTAssertTrue(notices.messages.first?.contains("not being received") ?? false)
    }

    func testSaysOnceWhenNothingConnects() throws {
        let notices = NoticeLog()
        let publisher = try ZeroMQPublisher(endpoint: "tcp://127.0.0.1:\(freePort())", run: "alone", rank: 0,
                                            noticeAfter: 0.5, notice: { notices.append($0) })
        for step in 0..<100 { publisher.emit(.heartbeat, step: step, fields: []) }
        XCTAssertTrue(waitUntil(timeout: 3) { notices.messages.count == 1 })
        usleep(700_000)
        publisher.emit(.heartbeat, step: 100, fields: [])
        let closing = Date()
        publisher.close()
        XCTAssertLessThan(Date().timeIntervalSince(closing), ZeroMQPublisher.defaultLinger + 0.5)
        XCTAssertEqual(publisher.dropped, 0)
        XCTAssertEqual(notices.messages.count, 1, "\(notices.messages)")
    }
}

/// Collects notices from the publisher's watcher thread.
final class NoticeLog: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: [String] = []
    func append(_ message: String) { lock.lock(); stored.append(message); lock.unlock() }
    var messages: [String] { lock.lock(); defer { lock.unlock() }; return stored }
}
