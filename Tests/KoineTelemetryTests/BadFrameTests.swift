import Foundation
import KoineCollector
import KoineTelemetry
import KoineTestSupport
import XCTest

/// Any bytes are safe: the collector counts what it refuses and keeps every valid event.
final class BadFrameTests: XCTestCase {
    func testHundredThousandBadFramesAmongValidEvents() throws {
        let endpoint = "tcp://127.0.0.1:\(freePort())"
        let path = try temporaryDatabase("fuzz")
        let collector = try Collector(bind: endpoint, database: path)
        collector.startInBackground()
        let pusher = RawPusher(endpoint: endpoint)
        var generator = SystemRandomNumberGenerator()
        let badCount = 100_000, validCount = 5_000
        var bad = 0, valid = 0
        let oversized = [UInt8](repeating: UInt8(ascii: " "), count: (1 << 20) + 1)
        while bad < badCount || valid < validCount {
            if valid < validCount, bad >= badCount || Int.random(in: 0..<20, using: &generator) == 0 {
                pusher.send(eventFrame(run: "fuzz", rank: 0, seq: valid, extra: #","accuracy":0.5"#))
                valid += 1
                continue
            }
            let good = Array(eventFrame(run: "fuzz", rank: 1, seq: bad).utf8)
            switch bad % 10 {
            case 0, 1, 2:  // random bytes, including empty frames
                pusher.send((0..<Int.random(in: 0..<200, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) })
            case 3, 4:  // truncated valid events
                pusher.send(Array(good.prefix(Int.random(in: 0..<good.count, using: &generator))))
            case 5:  // wrong schema versions
                pusher.send(eventFrame(run: "fuzz", rank: 1, seq: bad).replacingOccurrences(of: "\"v\":1", with: ["\"v\":2", "\"v\":\"1\"", "\"v\":1.5", "\"v\":null"][bad / 10 % 4]))
            case 6:  // fields missing or of the wrong type
                let field = ["\"run\":\"fuzz\",", "\"rank\":1,", "\"seq\":\(bad),", "\"kind\":\"step\","][bad / 10 % 4]
                pusher.send(eventFrame(run: "fuzz", rank: 1, seq: bad).replacingOccurrences(of: field, with: bad % 20 == 6 ? "" : field.replacingOccurrences(of: ":", with: ":[") + "0],"))
            case 7:  // not objects, bad UTF-8, deep nesting
                pusher.send([Array("[1,2]".utf8), [0x7B, 0x22, 0xC3, 0x28, 0x22, 0x3A, 0x31, 0x7D],
                             Array((String(repeating: "[", count: 5000)).utf8), Array("null".utf8)][bad / 10 % 4])
            case 8:  // multipart messages (two parts, counted once)
                pusher.send(good, more: true)
                pusher.send(good)
            default:  // oversized now and then, else a valid body with garbage after it
                if bad % 2000 == 9 { pusher.send(oversized) } else { pusher.send(good + [0x00]) }
            }
            bad += 1
        }
        pusher.close()
        XCTAssertTrue(waitUntil(timeout: 30) {
            let statistics = collector.currentStatistics
            return statistics.bad + statistics.stored >= badCount + validCount
        }, "\(collector.currentStatistics)")
        collector.stop()
        let statistics = collector.currentStatistics
        XCTAssertEqual(statistics.bad, badCount, "\(statistics.badByReason)")
        XCTAssertEqual(statistics.stored, validCount)
        XCTAssertEqual(statistics.badByReason["oversized"], badCount / 2000)
        XCTAssertEqual(statistics.badByReason["multipart"], badCount / 10)
        try assertComplete(path, run: "fuzz", rank: 0, count: validCount)
        let report = try TelemetryReport.load(path: path)
        XCTAssertEqual(report.badFrames, badCount)
        XCTAssertEqual(report.badFramesByReason.map(\.0), statistics.badByReason.keys.sorted())
        XCTAssertEqual(Dictionary(uniqueKeysWithValues: report.badFramesByReason), statistics.badByReason)
        XCTAssertEqual(report.runs.map(\.run), ["fuzz"])
    }
}
