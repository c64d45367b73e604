import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import KoineCollector
import KoineTelemetry
import KoineTestSupport
import XCTest

/// Hardening II (issue 31): the collector's other surfaces. The metrics
/// endpoint binds beyond loopback only with --insecure and answers a scrape
/// at once beside idle connections; a run folder named with control
/// characters still has its events stored; `koine report --html` shows the
/// run folder's lexicon, figures with sensible precision and the
/// configuration as YAML.
final class CollectorSurfaceTests: XCTestCase {
    func testMetricsBeyondLoopbackNeedInsecure() throws {
        let database = try temporaryDatabase("metrics-bind")
        for address in [":\(freePort())", "0.0.0.0:\(freePort())"] {
            let result = try runKoine(["collect", "--bind", "tcp://127.0.0.1:\(freePort())", "--db", database, "--metrics", address], timeout: 20)
            XCTAssertEqual(result.status, 2, result.standardError)
            XCTAssertEqual(result.standardError.split(separator: "\n").count, 1, result.standardError)
            XCTAssertTrue(result.standardError.contains("--metrics \(address): refusing to serve metrics beyond this host"), result.standardError)
            XCTAssertTrue(result.standardError.contains("without --insecure"), result.standardError)
        }
    }

    /// A socket connected to 127.0.0.1:`port`, or -1.
    func connected(_ port: UInt16) -> Int32 {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var target = sockaddr_in()
        target.sin_family = sa_family_t(AF_INET)
        target.sin_port = port.bigEndian
        target.sin_addr.s_addr = inet_addr("127.0.0.1")
        let status = withUnsafePointer(to: &target) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        if status != 0 { close(descriptor); return -1 }
        return descriptor
    }

    /// One HTTP/1.0 GET over a plain socket: the status line and the seconds it took.
    func scrape(_ address: String) -> (line: String, seconds: Double) {
        let started = Date()
        let descriptor = connected(UInt16(address.split(separator: ":").last ?? "") ?? 0)
        defer { close(descriptor) }
        guard descriptor >= 0 else { return ("no connection", 0) }
        let request = Array("GET /metrics HTTP/1.0\r\n\r\n".utf8)
        _ = request.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        var response = [UInt8](), buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = read(descriptor, &buffer, buffer.count)
            if count <= 0 { break }
            response += buffer[0..<count]
        }
        let text = String(decoding: response, as: UTF8.self)
        return (String(text.split(separator: "\r\n").first ?? ""), Date().timeIntervalSince(started))
    }

    /// 21 idle connections delayed a scrape by 17 s when the server answered one connection at a time.
    func testIdleConnectionsDoNotDelayAScrape() throws {
        let server = try MetricsServer(address: "127.0.0.1:0") { "koine_up 1\n" }
        defer { server.stop() }
        let port = UInt16(server.address.split(separator: ":").last ?? "") ?? 0
        var idle: [Int32] = []
        defer { idle.forEach { close($0) } }
        for _ in 0..<21 { idle.append(connected(port)) }
        usleep(100_000)
        let answer = scrape(server.address)
        XCTAssertEqual(answer.line, "HTTP/1.0 200 OK")
        XCTAssertLessThan(answer.seconds, 2, "answered beside 21 idle connections (21 s one at a time)")
        // Past the bound, connections are closed at once and the server still answers afterwards.
        for _ in 0..<MetricsServer.maximumConnections { idle.append(connected(port)) }
        XCTAssertTrue(waitUntil(timeout: 5) { scrape(server.address).line == "HTTP/1.0 200 OK" }, "served once the idle ones time out")
    }

    /// A run folder whose name holds control characters trained and exited 0
    /// while the collector refused every one of its events; now its id is made
    /// acceptable and every event is stored. The same run then feeds
    /// `koine report --html --runs`: its lexicon table is found by the run id
    /// without its suffix.
    func testControlCharactersInARunFolderAndTheReportPage() throws {
        let directory = try makeTemporaryDirectory("control-run")
        defer { try? FileManager.default.removeItem(at: directory) }
        let database = directory.appendingPathComponent("telemetry.sqlite").path
        let port = freePort()
        let collector = try RunningProcess(koineExecutable.path, ["collect", "--bind", "tcp://127.0.0.1:\(port)", "--db", database, "--quiet"])
        XCTAssertTrue(waitUntil(timeout: 10) { FileManager.default.fileExists(atPath: database) })
        let config = directory.appendingPathComponent("c.yaml").path
        try "game: {}\ntrain: {steps: 20, log_every: 10}\neval: {every: 10}\ntelemetry: {every: 5}\n".write(toFile: config, atomically: true, encoding: .utf8)
        let name = "bell\u{07}and\u{1B}[31mred"
        let run = directory.appendingPathComponent(name).path
        let trained = try runKoine(["train", "--config", config, "--out", run, "--telemetry", "tcp://127.0.0.1:\(port)", "--quiet"], timeout: 60)
        XCTAssertEqual(trained.status, 0, trained.standardError)
        usleep(1_500_000)
        kill(collector.process.processIdentifier, SIGTERM)
        XCTAssertTrue(collector.waitForExit(timeout: 20), collector.output)
        let identifier = try String(contentsOfFile: run + "/run-id", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        XCTAssertTrue(identifier.hasPrefix("bell_and_[31mred-"), identifier)
        let report = try runKoine(["report", "--db", database, "--json"], timeout: 30)
        XCTAssertEqual(report.status, 0, report.standardError)
        XCTAssertTrue(report.standardOutput.contains("\"bad_frames\":0") || report.standardOutput.contains("\"bad_frames\": 0"), report.standardOutput)
        XCTAssertTrue(report.standardOutput.contains(identifier), "the run's events were stored: \(report.standardOutput.prefix(400))")

        let page = directory.appendingPathComponent("report.html").path
        let html = try runKoine(["report", "--db", database, "--html", page, "--runs", directory.path], timeout: 30)
        XCTAssertEqual(html.status, 0, html.standardError)
        let text = try String(contentsOfFile: page, encoding: .utf8)
        XCTAssertTrue(text.contains("<h3>Lexicon</h3>"), "the run folder's lexicon.tsv is shown")
        // Cross-play from the run folder's last evaluation: a heat map of 1 speaker × 1 listener.
        XCTAssertTrue(text.contains("<h3>Cross-play</h3>"), "the run's cross-play matrix is shown")
        XCTAssertEqual(text.components(separatedBy: "<td style=\"background: rgba(0, 114, 178, ").count - 1, 1, "one cell")
        XCTAssertTrue(XMLParser(data: Data(text.utf8)).parse(), "the page stays well-formed XHTML")
        XCTAssertTrue(text.contains("<h3>Configuration</h3>\n<pre>"), text)
        XCTAssertFalse(text.contains("<pre>{"), "the configuration is YAML, not one line of JSON")
        // Figures keep about four significant digits: no 16-digit numbers, no quoted text.
        XCTAssertNil(text.range(of: #"<td>-?[0-9]+\.[0-9]{6,}</td>"#, options: .regularExpression), "figures with sensible precision")
        XCTAssertNil(text.range(of: #"<td>&quot;"#, options: .regularExpression), "text without JSON quotes")
    }

    /// A rank whose events the collector refuses (its CURVE key is wrong)
    /// trained on in silence; now it says so, once, while a rank with the
    /// right key hears nothing.
    func testARankTheCollectorRefusesIsTold() throws {
        guard TelemetryKeys.isAvailable else { throw XCTSkip("this libzmq has no CURVE") }
        let server = try TelemetryKeys.makePair(), other = try TelemetryKeys.makePair()
        let bind = "tcp://127.0.0.1:\(freePort())"
        let collector = try Collector(bind: bind, database: try temporaryDatabase("refused"), quiet: true, secretKey: server.secretKey)
        collector.startInBackground()
        defer { collector.stop() }
        let refused = NoticeLines(), accepted = NoticeLines()
        let wrong = try ZeroMQPublisher(endpoint: bind, run: "refused", rank: 0, serverKey: other.publicKey, linger: 0.5,
                                        notice: { refused.add($0) })
        let right = try ZeroMQPublisher(endpoint: bind, run: "accepted", rank: 0, serverKey: server.publicKey, linger: 0.5,
                                        notice: { accepted.add($0) })
        for step in 0..<10 {
            wrong.emit(.step, step: step, fields: [("accuracy", 0.5)])
            right.emit(.step, step: step, fields: [("accuracy", 0.5)])
        }
        XCTAssertTrue(waitUntil(timeout: 10) { !refused.all.isEmpty }, "the refused rank is told")
        wrong.close()
        right.close()
        XCTAssertEqual(refused.all.count, 1, "\(refused.all)")
        XCTAssertTrue(refused.all.first?.contains("refuses this rank's connection (handshake failed") ?? false, "\(refused.all)")
        XCTAssertEqual(accepted.all, [], "a rank with the right key hears nothing")
        XCTAssertTrue(waitUntil(timeout: 10) { collector.currentStatistics.stored == 10 })
    }
    /// An event larger than the collector accepts (a `run_started` with a configuration
    /// near the 1 MiB the YAML may have, an evaluation with a large cross-play matrix) was
    /// sent, refused as a bad frame, and the rank never heard: now the rank keeps it back,
    /// counts it as dropped and says so once; the events around it arrive.
    func testAnEventTooLargeForTheCollectorIsToldAndNotSent() throws {
        let bind = "tcp://127.0.0.1:\(freePort())"
        let collector = try Collector(bind: bind, database: try temporaryDatabase("oversized"), quiet: true)
        collector.startInBackground()
        defer { collector.stop() }
        let notices = NoticeLines()
        let publisher = try ZeroMQPublisher(endpoint: bind, run: "oversized", rank: 0, serverKey: nil, linger: 0.5,
                                            notice: { notices.add($0) })
        let large = JSONValue.string(String(repeating: "x", count: 1 << 20))
        for step in 0..<10 {
            publisher.emit(.step, step: step, fields: [("accuracy", 0.5)])
            if step == 4 || step == 6 { publisher.emit(.eval, step: step, fields: [("note", large)]) }
        }
        publisher.close()
        XCTAssertEqual(publisher.dropped, 2)
        XCTAssertEqual(notices.all.count, 1, "told once: \(notices.all)")
        XCTAssertTrue(notices.all.first?.contains("a telemetry eval event (step 4) is 1.0 MiB, above the collector's limit of 1 MiB") ?? false,
                      "\(notices.all)")
        XCTAssertTrue(waitUntil(timeout: 10) { collector.currentStatistics.stored == 10 }, "the events around it arrive")
        XCTAssertEqual(collector.currentStatistics.bad, 0, "the collector refused nothing")
    }
}

/// The lines a publisher's notices wrote, gathered from its watcher's thread.
private final class NoticeLines: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String] = []
    func add(_ line: String) { lock.lock(); lines.append(line); lock.unlock() }
    var all: [String] { lock.lock(); defer { lock.unlock() }; return lines }
}
