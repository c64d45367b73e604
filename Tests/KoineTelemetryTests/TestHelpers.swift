import CZMQ
import Foundation
import KoineCollector
import KoineTelemetry
import XCTest

/// Polls `condition` until it holds or `timeout` passes; returns whether it held.
@discardableResult
func waitUntil(timeout: TimeInterval, _ condition: () -> Bool) -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline {
        if condition() { return true }
        usleep(20_000)
    }
    return condition()
}

/// A raw PUSH socket for sending arbitrary frames at a collector.
final class RawPusher {
    let context: UnsafeMutableRawPointer
    let socket: UnsafeMutableRawPointer

    init(endpoint: String, context: UnsafeMutableRawPointer? = nil) {
        self.context = context ?? zmq_ctx_new()
        socket = zmq_socket(self.context, ZMQ_PUSH)
        var linger: Int32 = 5000
        zmq_setsockopt(socket, ZMQ_LINGER, &linger, 4)
        zmq_connect(socket, endpoint)
    }

    /// Blocking send, so nothing is dropped on the test's side.
    func send(_ bytes: [UInt8], more: Bool = false) {
        let result = bytes.withUnsafeBytes { zmq_send(socket, $0.baseAddress, $0.count, more ? ZMQ_SNDMORE : 0) }
        precondition(result >= 0, "zmq_send failed")
    }

    func send(_ text: String) { send(Array(text.utf8)) }

    func close() {
        zmq_close(socket)
        zmq_ctx_term(context)
    }
}

/// A valid event frame as a sender outside Koine might write it.
func eventFrame(run: String, rank: Int, seq: Int, kind: String = "step", step: Int? = nil, extra: String = "") -> String {
    "{\"v\":1,\"run\":\"\(run)\",\"rank\":\(rank),\"seq\":\(seq),\"time\":1700000000.5,\"kind\":\"\(kind)\",\"step\":\(step ?? seq)\(extra)}"
}

/// Fresh database path in a temporary directory.
func temporaryDatabase(_ label: String) throws -> String {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("koine-\(label)-\(UUID().uuidString.prefix(8))")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    return directory.appendingPathComponent("telemetry.sqlite").path
}

/// Asserts that rank `rank` of `run` holds exactly the seqs 0..<count.
func assertComplete(_ path: String, run: String, rank: Int, count: Int, file: StaticString = #filePath, line: UInt = #line) throws {
    let report = try TelemetryReport.load(path: path, run: run)
    guard let stored = report.runs.first?.ranks.first(where: { $0.rank == rank }) else {
        return XCTFail("run \(run) rank \(rank) not in the database", file: file, line: line)
    }
    XCTAssertEqual(stored.events, count, "events stored", file: file, line: line)
    XCTAssertEqual(stored.maxSeq, count - 1, "highest seq", file: file, line: line)
    XCTAssertEqual(stored.missing, 0, "missing seqs", file: file, line: line)
    XCTAssertEqual(stored.gaps.count, 0, "gaps \(stored.gaps.prefix(5))", file: file, line: line)
}
