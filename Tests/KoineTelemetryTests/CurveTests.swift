import CZMQ
import Foundation
import KoineCollector
import KoineTelemetry
import KoineTestSupport
import XCTest

/// Issue 13, item 4: with a secret key the collector takes events only from senders that
/// know its public key; others are refused at the handshake and counted.
final class CurveTests: XCTestCase {
    override func setUpWithError() throws {
        guard TelemetryKeys.isAvailable else { throw XCTSkip("this libzmq has no CURVE") }
    }

    func testForgedEventsWithoutTheKeyAreRejectedAndCounted() throws {
        let server = try TelemetryKeys.makePair()
        let bind = "tcp://127.0.0.1:\(freePort())"
        let path = try temporaryDatabase("curve")
        let collector = try Collector(bind: bind, database: path, secretKey: server.secretKey)
        collector.startInBackground()

        // Plain ZeroMQ, and CURVE with another collector's key: both forge run "victim".
        let plain = RawPusher(endpoint: bind)
        _ = Array(eventFrame(run: "victim", rank: 0, seq: 0).utf8).withUnsafeBytes { zmq_send(plain.socket, $0.baseAddress, $0.count, ZMQ_DONTWAIT) }
        XCTAssertTrue(waitUntil(timeout: 20) { collector.currentStatistics.badByReason["unauthenticated"] ?? 0 >= 1 },
                      "a sender without CURVE is counted")
        let other = try TelemetryKeys.makePair()
        let wrongKey = try ZeroMQPublisher(endpoint: bind, run: "victim", rank: 0, serverKey: other.publicKey, linger: 0.5,
                                           notice: { _ in })
        for seq in 0..<50 {
            let frame = Array(eventFrame(run: "victim", rank: 0, seq: seq, extra: #","accuracy":0"#).utf8)
            _ = frame.withUnsafeBytes { zmq_send(plain.socket, $0.baseAddress, $0.count, ZMQ_DONTWAIT) }
            wrongKey.emit(.step, step: seq, fields: [("accuracy", 0.0)])
        }
        let genuine = try ZeroMQPublisher(endpoint: bind, run: "victim", rank: 0, serverKey: server.publicKey)
        for step in 0..<20 { genuine.emit(.step, step: step, fields: [("accuracy", 0.96)]) }
        genuine.close()
        XCTAssertTrue(waitUntil(timeout: 20) {
            let statistics = collector.currentStatistics
            return statistics.stored == 20 && (statistics.badByReason["unauthenticated"] ?? 0) >= 2
        }, "\(collector.currentStatistics)")
        wrongKey.close()
        var linger: Int32 = 0
        zmq_setsockopt(plain.socket, ZMQ_LINGER, &linger, 4)
        plain.close()
        collector.stop()
        XCTAssertEqual(collector.currentStatistics.stored, 20)
        let report = try TelemetryReport.load(path: path)
        XCTAssertEqual(report.runs.first?.events, 20)
        XCTAssertEqual(report.runs.first?.lastFigures.first { $0.0 == "accuracy" }?.1, 0.96)
        XCTAssertGreaterThanOrEqual(report.badFramesByReason.first { $0.0 == "unauthenticated" }?.1 ?? 0, 2)
    }

    func testKeysAreCheckedBeforeUse() throws {
        XCTAssertNil(TelemetryKeys.problem(with: try TelemetryKeys.makePair().publicKey))
        for bad in ["", "short", String(repeating: "a", count: 41), String(repeating: "~", count: 40)] {
            XCTAssertNotNil(TelemetryKeys.problem(with: bad), bad)
            XCTAssertThrowsError(try ZeroMQPublisher(endpoint: "tcp://127.0.0.1:1", run: "r", rank: 0, serverKey: bad))
            XCTAssertThrowsError(try Collector(bind: "tcp://127.0.0.1:\(freePort())", database: try temporaryDatabase("bad-key"),
                                               secretKey: bad))
        }
        let pair = try TelemetryKeys.makePair()
        XCTAssertEqual(try TelemetryKeys.publicKey(secretKey: pair.secretKey), pair.publicKey)
    }

    /// `koine keys` writes both keys readable by their owner alone and never overwrites;
    /// `koine collect` refuses a non-loopback bind without keys unless --insecure.
    func testKeysAndCollectCommands() throws {
        guard FileManager.default.isExecutableFile(atPath: koineExecutable.path) else {
            throw XCTSkip("koine is not built at \(koineExecutable.path)")
        }
        let directory = try makeTemporaryDirectory("curve-keys")
        defer { try? FileManager.default.removeItem(at: directory) }
        let prefix = directory.appendingPathComponent("collector").path
        let made = try runKoine(["keys", "--out", prefix], timeout: 30)
        XCTAssertEqual(made.status, 0, made.standardError)
        for file in [prefix + ".secret", prefix + ".public"] {
            let attributes = try FileManager.default.attributesOfItem(atPath: file)
            XCTAssertEqual((attributes[.posixPermissions] as? NSNumber)?.intValue, 0o600, file)
            XCTAssertNil(TelemetryKeys.problem(with: try TelemetryKeys.read(file: file)))
        }
        XCTAssertEqual(try TelemetryKeys.publicKey(secretKey: try TelemetryKeys.read(file: prefix + ".secret")),
                       try TelemetryKeys.read(file: prefix + ".public"))
        let again = try runKoine(["keys", "--out", prefix], timeout: 30)
        XCTAssertEqual(again.status, 2)
        XCTAssertEqual(again.standardError.split(separator: "\n").count, 1, again.standardError)

        // A bad server key stops koine train before it writes anything.
        let run = directory.appendingPathComponent("run").path
        let train = try runKoine(["train", "--config", packageDirectory.appendingPathComponent("configs/quick.yaml").path,
                                  "--out", run], environment: ["KOINE_TELEMETRY_SERVER_KEY": "abc"], timeout: 60)
        XCTAssertEqual(train.status, 2, train.standardError)
        XCTAssertEqual(train.standardError.split(separator: "\n").count, 1, train.standardError)
        XCTAssertTrue(train.standardError.contains("KOINE_TELEMETRY_SERVER_KEY"), train.standardError)
        XCTAssertFalse(FileManager.default.fileExists(atPath: run))

        let database = directory.appendingPathComponent("t.sqlite").path
        let open = "tcp://0.0.0.0:\(freePort())"
        let refused = try runKoine(["collect", "--bind", open, "--db", database, "--quiet"], timeout: 30)
        XCTAssertEqual(refused.status, 2, refused.standardError)
        XCTAssertEqual(refused.standardError.split(separator: "\n").count, 1, refused.standardError)
        XCTAssertTrue(refused.standardError.contains("--insecure"), refused.standardError)
        XCTAssertFalse(FileManager.default.fileExists(atPath: database))
        try "not a key\n".write(toFile: prefix + ".bad", atomically: true, encoding: .utf8)
        let badKey = try runKoine(["collect", "--bind", open, "--db", database, "--secret-key", prefix + ".bad"], timeout: 30)
        XCTAssertEqual(badKey.status, 2, badKey.standardError)
        XCTAssertTrue(badKey.standardError.contains(prefix + ".bad"), badKey.standardError)
        XCTAssertEqual(badKey.standardError.split(separator: "\n").count, 1, badKey.standardError)
        for extra in [["--insecure"], ["--secret-key", prefix + ".secret"]] {
            let collector = try RunningProcess(koineExecutable.path, ["collect", "--bind", open, "--db", database, "--quiet"] + extra)
            XCTAssertTrue(waitUntil(timeout: 20) { FileManager.default.fileExists(atPath: database) })
            usleep(200_000)
            XCTAssertTrue(collector.process.isRunning, "\(extra): \(collector.output)")
            kill(collector.process.processIdentifier, SIGTERM)
            XCTAssertTrue(collector.waitForExit(timeout: 20))
            XCTAssertEqual(collector.status, 0, collector.output)
        }
    }
}
