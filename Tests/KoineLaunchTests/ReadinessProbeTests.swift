import Foundation
import KoineLaunch
import KoineTelemetry
import KoineTestSupport
import XCTest

/// Hardening II (issue 31): a clean quickstart reported "the collector refused
/// 1 bad frame (unauthenticated 1)": `koine launch`'s own readiness probe, a
/// TCP connect to a collector with CURVE keys. On this machine the probe now
/// reads the kernel's socket table and sends nothing.
final class ReadinessProbeTests: XCTestCase {
    func testTheProbeOfALocalCollectorIsNotARefusedFrame() throws {
        guard TelemetryKeys.isAvailable else { throw XCTSkip("this libzmq has no CURVE") }
        let directory = try makeTemporaryDirectory("probe")
        defer { try? FileManager.default.removeItem(at: directory) }
        let pair = try TelemetryKeys.makePair()
        let secret = directory.appendingPathComponent("server.secret").path
        try TelemetryKeys.write(pair.secretKey, to: secret)
        let database = directory.appendingPathComponent("telemetry.sqlite").path
        // A port free now (bound to port 0 and released), for the collector to take.
        let port = freePort()
        let endpoint = try Endpoint(parsing: "tcp://127.0.0.1:\(port)")
        XCTAssertFalse(endpoint.isListening(), "nothing listens before the collector starts")
        let collector = try RunningProcess(koineExecutable.path, ["collect", "--bind", "tcp://127.0.0.1:\(port)", "--db", database,
                                                                  "--secret-key", secret, "--quiet"])
        let deadline = Date().addingTimeInterval(10)
        var listening = false
        while !listening && Date() < deadline {
            listening = endpoint.isListening(timeout: 0.2)
            if !listening { usleep(50_000) }
        }
        XCTAssertTrue(listening, collector.output)
        for _ in 0..<5 { XCTAssertTrue(endpoint.isListening()) }
        usleep(500_000)
        kill(collector.process.processIdentifier, SIGTERM)
        XCTAssertTrue(collector.waitForExit(timeout: 20), collector.output)
        let report = try runKoine(["report", "--db", database], timeout: 30)
        XCTAssertEqual(report.status, 0, report.standardError)
        XCTAssertTrue(report.standardOutput.contains("0 bad frame(s)"), report.standardOutput)
    }
}
