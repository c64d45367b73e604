import Foundation
import KoineTestSupport
import XCTest

/// Issue 13, item 9: the collector `koine launch` starts ends with it, however launch ends.
final class LaunchKilledTests: XCTestCase {
    /// The pids of this test's `koine collect` processes, found by the marker in their environment.
    private func collectors(marker: String) -> [pid_t] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { entry -> pid_t? in
            guard let pid = pid_t(entry),
                  let environment = FileManager.default.contents(atPath: "/proc/\(entry)/environ"),
                  let command = FileManager.default.contents(atPath: "/proc/\(entry)/cmdline") else { return nil }
            let variables = environment.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
            let arguments = command.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
            guard variables.contains("KOINE_TEST_MARKER=\(marker)"), arguments.dropFirst().first == "collect" else { return nil }
            // A zombie has ended; only its parent has yet to read its status.
            let status = (try? String(contentsOfFile: "/proc/\(entry)/stat", encoding: .utf8)) ?? ""
            return status.contains(") Z ") ? nil : pid
        }
    }

    func testCollectorEndsWhenLaunchIsKilled() throws {
        guard mpirunPath != nil else { throw XCTSkip("mpirun is not installed") }
        let directory = try makeTemporaryDirectory("launch-killed")
        defer { try? FileManager.default.removeItem(at: directory) }
        let config = directory.appendingPathComponent("config.yaml")
        try """
            game: {attributes: [4, 4], candidates: 4}
            agents: {hidden: 16}
            train: {steps: 10000000, batch: 8, checkpoint: {every: 0}}
            eval: {every: 0, ease_of_teaching: {every: 0}}
            """.write(to: config, atomically: true, encoding: .utf8)
        let port = 20_000 + Int.random(in: 0..<20_000)
        let launch = try RunningProcess(koineExecutable.path, [
            "launch", "--np", "1", "--config", config.path, "--out", directory.appendingPathComponent("runs/killed").path,
            "--telemetry", "tcp://127.0.0.1:\(port)", "--", "--quiet",
        ], environment: mpiEnvironment)
        defer {
            launch.killRanks(signal: SIGKILL)
            for pid in collectors(marker: launch.marker) { kill(pid, SIGKILL) }
        }
        // The ranks start after the collector listens.
        XCTAssertTrue(launch.waitForRanks(1, timeout: 120), launch.output)
        let started = collectors(marker: launch.marker)
        XCTAssertEqual(started.count, 1, launch.output)
        // Not waited for with Process.waitUntilExit, which took minutes here to notice the kill.
        kill(launch.process.processIdentifier, SIGKILL)
        let killed = Date()
        let deadline = Date().addingTimeInterval(30)
        while !collectors(marker: launch.marker).isEmpty && Date() < deadline { usleep(50_000) }
        XCTAssertEqual(collectors(marker: launch.marker), [], "the collector outlived koine launch")
        print("the collector ended \(String(format: "%.2f", Date().timeIntervalSince(killed))) s after koine launch was killed")
    }
}
