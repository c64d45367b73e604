import Foundation
import KoineLaunch
import KoineTelemetry
import KoineTestSupport
import XCTest

/// End to end: the built `koine` under a real `mpirun`.
final class MultiProcessTests: XCTestCase {
    private var mpirun = ""

    override func setUpWithError() throws {
        guard let found = mpirunPath else { throw XCTSkip("mpirun is not installed") }
        mpirun = found
        XCTAssertTrue(FileManager.default.isExecutableFile(atPath: koineExecutable.path),
                      "build the koine product first: swift build --product koine")
    }

    private func mpirunKoine(_ ranks: Int, _ arguments: [String], timeout: TimeInterval = 60) throws -> ProcessResult {
        let oversubscribe = ranks > HostResources.physicalCores() ? ["--oversubscribe"] : []
        return try runProcess(mpirun, ["-np", String(ranks)] + oversubscribe + [koineExecutable.path] + arguments,
                              environment: mpiEnvironment, timeout: timeout)
    }

    private func assertEveryRankReported(_ output: String, ranks: Int, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertTrue(output.contains("koine doctor: \(ranks) ranks, MPI"), output, file: file, line: line)
        for rank in 0..<ranks {
            XCTAssertTrue(output.contains("rank \(rank) of \(ranks) on "), "rank \(rank) missing:\n\(output)", file: file, line: line)
        }
        XCTAssertTrue(output.contains("all checks passed"), output, file: file, line: line)
    }

    func testDoctorPassesWithTwoRanks() throws {
        let result = try mpirunKoine(2, ["doctor", "--floats", "4000", "--calls", "50"])
        XCTAssertFalse(result.timedOut)
        XCTAssertEqual(result.status, 0, result.standardOutput + result.standardError)
        assertEveryRankReported(result.standardOutput, ranks: 2)
        XCTAssertTrue(result.standardOutput.contains("all-reduce of 4000 floats: median"), result.standardOutput)
    }

    func testDoctorPassesWithFourOversubscribedRanks() throws {
        let result = try runProcess(mpirun, ["-np", "4", "--oversubscribe", koineExecutable.path,
                                             "doctor", "--floats", "1000", "--calls", "20", "--json"],
                                    environment: mpiEnvironment, timeout: 60)
        XCTAssertEqual(result.status, 0, result.standardOutput + result.standardError)
        let report = try JSONSerialization.jsonObject(with: Data(result.standardOutput.utf8)) as? [String: Any]
        XCTAssertEqual(report?["world_size"] as? Int, 4)
        XCTAssertEqual(report?["passed"] as? Bool, true)
        XCTAssertEqual((report?["ranks"] as? [[String: Any]])?.compactMap { $0["rank"] as? Int }, [0, 1, 2, 3])
    }

    func testFailingRankEndsTheJobWithItsError() throws {
        let start = Date()
        let result = try mpirunKoine(3, ["doctor", "--fail-rank", "1", "--floats", "1000"], timeout: 30)
        let elapsed = Date().timeIntervalSince(start)
        XCTAssertFalse(result.timedOut)
        XCTAssertLessThan(elapsed, 10, "the job took \(elapsed) s to end")
        XCTAssertNotEqual(result.status, 0)
        XCTAssertTrue(result.standardError.contains("rank 1 of 3"), result.standardError)
        XCTAssertTrue(result.standardError.contains("injected failure on rank 1"), result.standardError)
    }

    func testKilledRankEndsTheJob() throws {
        // Rank 0 waits inside MPI_Barrier, ranks 1 and 2 sleep; rank 1 is then killed.
        let running = try RunningProcess(mpirun, ["-np", "3", "--oversubscribe", koineExecutable.path,
                                                  "doctor", "--sleep", "60", "--floats", "1000"],
                                         environment: mpiEnvironment)
        XCTAssertTrue(running.waitForRanks(3, timeout: 20), "ranks did not start: \(running.output)")
        usleep(1_000_000)  // let MPI_Init finish, so rank 0 is inside the barrier
        guard let victim = running.ranks()[1] else { return XCTFail("rank 1 not found") }
        let start = Date()
        kill(victim, SIGKILL)
        let ended = running.waitForExit(timeout: 10)
        XCTAssertTrue(ended, "the job was still running 10 s after rank 1 was killed")
        XCTAssertLessThan(Date().timeIntervalSince(start), 10)
        XCTAssertNotEqual(running.status, 0)
        XCTAssertTrue(running.output.contains("signal 9"), running.output)
        XCTAssertTrue(running.ranks().isEmpty, "ranks left behind: \(running.ranks())")
    }

    func testLaunchRunsDoctorOnTwoRanks() throws {
        let result = try runKoine(["launch", "--np", "2", "--command", "doctor", "--", "--floats", "1000", "--calls", "20"],
                                  timeout: 60)
        XCTAssertEqual(result.status, 0, result.standardOutput + result.standardError)
        assertEveryRankReported(result.standardOutput, ranks: 2)
        XCTAssertTrue(result.standardError.contains("-x OPENBLAS_NUM_THREADS=1"), result.standardError)
    }

    func testLaunchTrainsOnTwoRanksWithACollectorAlongside() throws {
        let directory = try makeTemporaryDirectory("koine-launch")
        defer { try? FileManager.default.removeItem(at: directory) }
        let endpoint = "tcp://127.0.0.1:\(freePort())"
        let result = try runKoine([
            "launch", "--np", "2", "--config", packageDirectory.appendingPathComponent("configs/quick.yaml").path,
            "--set", "train.steps=60", "--set", "population.reset.listeners.every=30", "--set", "eval.every=30",
            "--telemetry", endpoint, "--out", directory.appendingPathComponent("run").path, "--", "--quiet",
        ], timeout: 120)
        XCTAssertEqual(result.status, 0, result.standardOutput + result.standardError)
        XCTAssertTrue(result.standardError.contains("collector on \(endpoint)"), result.standardError)
        let summary = try JSONSerialization.jsonObject(
            with: Data(contentsOf: directory.appendingPathComponent("run/summary.json"))) as? [String: Any]
        XCTAssertEqual(summary?["world_size"] as? Int, 2)
        XCTAssertTrue(FileManager.default.fileExists(atPath: directory.appendingPathComponent("telemetry.sqlite").path))
        XCTAssertFalse(try Endpoint(parsing: endpoint).isListening(), "the collector was left running")
    }

    func testLaunchRejectsABadConfigOnceWithExitCode2() throws {
        let result = try runKoine(["launch", "--np", "2", "--config", "/nonexistent/config.yaml"])
        XCTAssertEqual(result.status, 2, result.standardError)
        XCTAssertEqual(result.standardError.split(separator: "\n").count, 1, result.standardError)
        XCTAssertTrue(result.standardError.contains("/nonexistent/config.yaml"), result.standardError)
    }

    func testLaunchExitsWithTheFailingRanksStatus() throws {
        let result = try runKoine(["launch", "--np", "2", "--command", "doctor", "--", "--fail-rank", "0", "--floats", "10"],
                                  timeout: 30)
        XCTAssertFalse(result.timedOut)
        XCTAssertEqual(result.status, 1, result.standardOutput + result.standardError)
        XCTAssertTrue(result.standardError.contains("injected failure on rank 0"), result.standardError)
    }

    func testLaunchForwardsInterruptToEveryRank() throws {
        let running = try RunningProcess(koineExecutable.path,
                                         ["launch", "--np", "2", "--command", "doctor", "--", "--sleep", "60", "--floats", "10"])
        XCTAssertTrue(running.waitForRanks(2, timeout: 20), "ranks did not start: \(running.output)")
        usleep(500_000)
        let start = Date()
        kill(running.process.processIdentifier, SIGINT)
        XCTAssertTrue(running.waitForExit(timeout: 10), "launch was still running 10 s after Ctrl-C")
        XCTAssertLessThan(Date().timeIntervalSince(start), 10)
        XCTAssertEqual(running.status, 128 + SIGINT, running.output)
        XCTAssertTrue(running.ranks().isEmpty, "ranks left behind: \(running.ranks())")
    }

    func testLaunchAddsOversubscribeOnlyBeyondTheCores() throws {
        let cores = HostResources.physicalCores()
        let within = try runKoine(["launch", "--np", String(cores), "--command", "doctor", "--dry-run"])
        let beyond = try runKoine(["launch", "--np", String(cores + 1), "--command", "doctor", "--dry-run"])
        XCTAssertEqual(within.status, 0, within.standardError)
        XCTAssertFalse(within.standardOutput.contains("--oversubscribe"), within.standardOutput)
        XCTAssertTrue(beyond.standardOutput.contains("--oversubscribe"), beyond.standardOutput)
        XCTAssertEqual(within.standardOutput.contains("OMPI_ALLOW_RUN_AS_ROOT=1"), getuid() == 0, within.standardOutput)
        XCTAssertTrue(within.standardOutput.contains("\(koineExecutable.path) doctor"), within.standardOutput)
    }

    func testLaunchWithoutMPIRunSaysHowToInstallIt() throws {
        let result = try runKoine(["launch", "--np", "2", "--command", "doctor"], environment: ["PATH": "/nonexistent"])
        XCTAssertEqual(result.status, 2)
        XCTAssertTrue(result.standardError.contains("sudo apt-get install openmpi-bin libopenmpi-dev"), result.standardError)
        XCTAssertEqual(result.standardError.split(separator: "\n").count, 1, result.standardError)
        let named = try runKoine(["launch", "--np", "2", "--command", "doctor", "--mpirun", "/nonexistent/mpirun"])
        XCTAssertEqual(named.status, 2)
        XCTAssertTrue(named.standardError.contains("apt-get install openmpi-bin"), named.standardError)
    }

    func testDoctorRunsAloneWithoutMPI() throws {
        let result = try runKoine(["doctor", "--floats", "100"], timeout: 30)
        XCTAssertEqual(result.status, 0, result.standardError)
        XCTAssertTrue(result.standardOutput.contains("1 rank, single process, no MPI"), result.standardOutput)
    }
}
