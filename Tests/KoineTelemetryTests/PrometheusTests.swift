import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import KoineCollector
import KoineTelemetry
import KoineTestSupport
import XCTest

/// `GET /metrics` on the collector's Prometheus endpoint, over a real socket.
final class PrometheusTests: XCTestCase {
    func get(_ url: String) throws -> (status: Int, body: String) {
        let semaphore = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var result: (Int, String) = (0, "")
        URLSession.shared.dataTask(with: URL(string: url)!) { data, response, _ in
            result = ((response as? HTTPURLResponse)?.statusCode ?? 0, String(decoding: data ?? Data(), as: UTF8.self))
            semaphore.signal()
        }.resume()
        XCTAssertEqual(semaphore.wait(timeout: .now() + 30), .success)
        return result
    }

    func testScrapeShowsRunsRanksAndCounters() throws {
        let endpoint = "inproc://koine-prometheus-test"
        let collector = try Collector(bind: endpoint, database: try temporaryDatabase("prometheus"))
        collector.startInBackground()
        let server = try MetricsServer(address: "127.0.0.1:0") { collector.prometheusText }
        defer { server.stop() }
        let publisher = try ZeroMQPublisher(endpoint: endpoint, run: "quick \"1\"", rank: 2)
        publisher.emit(.step, step: 40, fields: [("games_per_second", 1500.5), ("accuracy", 0.75), ("resets", 3)])
        publisher.emit(.eval, step: 40, fields: [("accuracy", 0.875), ("topsim", 0.5)])
        publisher.close()
        XCTAssertTrue(waitUntil(timeout: 20) { collector.currentStatistics.stored == 2 })

        let (status, body) = try get("http://\(server.address)/metrics")
        XCTAssertEqual(status, 200)
        let labels = #"{run="quick \"1\"",rank="2"}"#
        for line in ["koine_rank_events_stored_total\(labels) 2", "koine_rank_step\(labels) 40",
                     "koine_rank_games_per_second\(labels) 1500.5", "koine_rank_accuracy\(labels) 0.875",
                     "koine_rank_topsim\(labels) 0.5", "koine_rank_events_missing\(labels) 0",
                     "koine_collector_events_stored_total 2", "# TYPE koine_collector_frames_bad_total counter"] {
            XCTAssertTrue(body.split(separator: "\n").contains(Substring(line)), "\(line) not in\n\(body)")
        }
        // Every sample line is `name{labels} value` with a number for the value.
        for line in body.split(separator: "\n") where !line.hasPrefix("#") {
            XCTAssertNotNil(Double(line.split(separator: " ").last.map(String.init) ?? ""), String(line))
        }
        XCTAssertEqual(try get("http://\(server.address)/other").status, 404)
        // Prometheus' own linter accepts the page (scripts/test installs promtool).
        let file = try makeTemporaryDirectory("prometheus").appendingPathComponent("metrics.txt")
        try body.write(to: file, atomically: true, encoding: .utf8)
        let promtool = ["/usr/bin/promtool", "/usr/local/bin/promtool"].first { FileManager.default.isExecutableFile(atPath: $0) }
        guard let promtool else { throw XCTSkip("promtool is not installed (scripts/test installs Debian's prometheus package)") }
        let lint = try runProcess("/bin/sh", ["-c", "\(promtool) check metrics < '\(file.path)'"], timeout: 60)
        XCTAssertEqual(lint.status, 0, lint.standardOutput + lint.standardError)
        XCTAssertEqual(lint.standardOutput + lint.standardError, "", "promtool found problems")
        collector.stop()
    }

    func testBadAddressesAreNamed() {
        for address in ["9464", "localhost:9464", "127.0.0.1:99999"] {
            XCTAssertThrowsError(try MetricsServer(address: address) { "" }) { error in
                XCTAssertTrue("\(error)".hasPrefix("--metrics \(address): "), "\(error)")
            }
        }
    }
}
