import Foundation
import KoineLaunch
import KoineTelemetry
import XCTest

final class LaunchPlanningTests: XCTestCase {
    private func plan(ranks: Int, cores: Int, root: Bool, hostfile: String? = nil) -> MPIRunPlan {
        MPIRunPlan(mpirun: "/usr/bin/mpirun", ranks: ranks, cores: cores, runningAsRoot: root,
                   program: "/opt/koine", programArguments: ["train", "--config", "c.yaml"], hostfile: hostfile)
    }

    func testOversubscribesOnlyWhenRanksExceedCores() {
        XCTAssertFalse(plan(ranks: 1, cores: 2, root: false).arguments.contains("--oversubscribe"))
        XCTAssertFalse(plan(ranks: 2, cores: 2, root: false).arguments.contains("--oversubscribe"))
        XCTAssertTrue(plan(ranks: 3, cores: 2, root: false).arguments.contains("--oversubscribe"))
        XCTAssertTrue(plan(ranks: 4, cores: 1, root: true).arguments.contains("--oversubscribe"))
        // With a hostfile its slots decide, not this host's cores.
        let spread = plan(ranks: 8, cores: 2, root: false, hostfile: "hosts")
        XCTAssertFalse(spread.arguments.contains("--oversubscribe"))
        XCTAssertEqual(Array(spread.arguments[2...3]), ["--hostfile", "hosts"])
    }

    /// Ranks are pinned to cores only when each has cores of its own: on this
    /// host with no more ranks than cores; never when oversubscribed, nor over
    /// a hostfile whose hosts may share one machine's cores.
    func testRanksAreBoundToCoresOnlyWhenEachHasItsOwn() {
        func binding(_ built: MPIRunPlan) -> String? {
            built.arguments.firstIndex(of: "--bind-to").map { built.arguments[$0 + 1] }
        }
        XCTAssertEqual(binding(plan(ranks: 2, cores: 2, root: false)), "core")
        XCTAssertEqual(binding(plan(ranks: 1, cores: 8, root: false)), "core")
        XCTAssertEqual(binding(plan(ranks: 3, cores: 2, root: false)), "none")
        XCTAssertEqual(binding(plan(ranks: 2, cores: 2, root: false, hostfile: "hosts")), "none")
        let chosen = MPIRunPlan(mpirun: "/usr/bin/mpirun", ranks: 8, cores: 2, runningAsRoot: false, program: "/opt/koine",
                                programArguments: [], hostfile: "hosts", binding: .core)
        XCTAssertEqual(binding(chosen), "core")
        XCTAssertEqual(chosen.arguments.filter { $0 == "--bind-to" }.count, 1)
    }

    func testRootAllowancesOnlyAsRoot() {
        let user = plan(ranks: 2, cores: 2, root: false)
        XCTAssertNil(user.environment["OMPI_ALLOW_RUN_AS_ROOT"])
        XCTAssertNil(user.environment["OMPI_ALLOW_RUN_AS_ROOT_CONFIRM"])
        XCTAssertFalse(user.arguments.contains("--allow-run-as-root"))
        let root = plan(ranks: 2, cores: 2, root: true)
        XCTAssertEqual(root.environment["OMPI_ALLOW_RUN_AS_ROOT"], "1")
        XCTAssertEqual(root.environment["OMPI_ALLOW_RUN_AS_ROOT_CONFIRM"], "1")
    }

    func testOneBLASThreadPerRankAndTheProgramComesLast() {
        let built = plan(ranks: 2, cores: 4, root: false)
        XCTAssertEqual(built.executable, "/usr/bin/mpirun")
        XCTAssertEqual(built.arguments, ["-np", "2", "--bind-to", "core", "-x", "OPENBLAS_NUM_THREADS=1",
                                         "/opt/koine", "train", "--config", "c.yaml"])
        XCTAssertEqual(built.environment["OPENBLAS_NUM_THREADS"], "1")
        XCTAssertEqual(plan(ranks: 3, cores: 2, root: true).commandLine,
                       "OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OPENBLAS_NUM_THREADS=1 /usr/bin/mpirun "
                       + "-np 3 --oversubscribe --bind-to none -x OPENBLAS_NUM_THREADS=1 "
                       + "/opt/koine train --config c.yaml")
        XCTAssertEqual(ShellQuoting.quote("it's here"), "'it'\\''s here'")
    }

    func testTrainArgumentsAreForwardedInTrainsSpelling() {
        let request = LaunchRequest(config: "configs/quick.yaml", overrides: ["train.steps=10", "seed=2"],
                                    out: "runs/x", telemetry: "tcp://login:5557", passthrough: ["--quiet"])
        XCTAssertEqual(request.programArguments, [
            "train", "--config", "configs/quick.yaml", "--set", "train.steps=10", "--set", "seed=2",
            "--out", "runs/x", "--telemetry", "tcp://login:5557", "--quiet",
        ])
        XCTAssertEqual(LaunchRequest(command: "doctor", passthrough: ["--floats", "10"]).programArguments,
                       ["doctor", "--floats", "10"])
        XCTAssertEqual(LaunchRequest(config: "c.yaml", resume: "runs/old").programArguments,
                       ["train", "--config", "c.yaml", "--resume", "runs/old"])
    }

    func testConfigAndTelemetryAreFoundBeforeAndAfterTheSeparator() {
        XCTAssertNil(LaunchRequest().configFile)
        XCTAssertNil(LaunchRequest(config: "c.yaml").telemetryEndpoint)
        XCTAssertEqual(LaunchRequest(passthrough: ["--config", "p.yaml"]).configFile, "p.yaml")
        XCTAssertEqual(LaunchRequest(config: "c.yaml", passthrough: ["--config=p.yaml"]).configFile, "c.yaml")
        XCTAssertEqual(LaunchRequest(telemetry: "none", passthrough: ["--telemetry", "tcp://a:1"]).telemetryEndpoint, "none")
        XCTAssertEqual(LaunchRequest(passthrough: ["--telemetry", "tcp://a:1"]).telemetryEndpoint, "tcp://a:1")
        let settings = LaunchRequest(overrides: ["telemetry.endpoint=tcp://b:2", "seed=3"],
                                     passthrough: ["--set", "train.steps=5", "--set=telemetry.endpoint=none"])
        XCTAssertEqual(settings.allOverrides, ["telemetry.endpoint=tcp://b:2", "seed=3", "train.steps=5", "telemetry.endpoint=none"])
        XCTAssertEqual(settings.telemetryEndpoint, "none")
    }

    func testEndpointsAreParsed() throws {
        XCTAssertEqual(try Endpoint(parsing: "none"), Endpoint.none)
        XCTAssertThrowsError(try Endpoint(parsing: ""))
        XCTAssertEqual(try Endpoint(parsing: "tcp://127.0.0.1:5557"), .tcp(host: "127.0.0.1", port: 5557))
        XCTAssertEqual(try Endpoint(parsing: "tcp://[::1]:6000"), .tcp(host: "::1", port: 6000))
        XCTAssertThrowsError(try Endpoint(parsing: "tcp://login:99999"))
        XCTAssertEqual(try Endpoint(parsing: "ipc:///tmp/k.sock"), .ipc(path: "/tmp/k.sock"))
        XCTAssertEqual(try Endpoint(parsing: "inproc://koine"), .inproc(name: "koine"))
        XCTAssertEqual(Endpoint.defaultCollector.description, "tcp://127.0.0.1:5557")
        XCTAssertEqual(try Endpoint(parsing: "tcp://[::1]:6000").description, "tcp://[::1]:6000")
        XCTAssertEqual(try Endpoint(parsing: "tcp://localhost:5557").bindEndpoint, "tcp://127.0.0.1:5557")
        XCTAssertEqual(try Endpoint(parsing: "tcp://0.0.0.0:5557").bindEndpoint, "tcp://0.0.0.0:5557")
        XCTAssertTrue(try Endpoint(parsing: "tcp://127.0.0.1:5557").isLocal)
        XCTAssertFalse(try Endpoint(parsing: "tcp://login.cluster.example:5557").isLocal)
    }

    func testCollectorStartsOnlyWhenNeededAndPossible() {
        func decide(_ endpoint: String, disabled: Bool = false, command: String = "train",
                    out: String? = nil, listening: Bool = false) -> CollectorPlan {
            CollectorPlan.decide(endpoint: endpoint, disabled: disabled, command: command, runDirectory: out,
                                 isListening: { _ in listening })
        }
        XCTAssertEqual(decide("tcp://127.0.0.1:5557"), .start(bind: "tcp://127.0.0.1:5557", database: "runs/telemetry.sqlite"))
        XCTAssertEqual(decide("tcp://127.0.0.1:5557", out: "results/run-1"),
                       .start(bind: "tcp://127.0.0.1:5557", database: "results/telemetry.sqlite"))
        XCTAssertEqual(decide("tcp://127.0.0.1:5557", out: "run-1/"),
                       .start(bind: "tcp://127.0.0.1:5557", database: "telemetry.sqlite"))
        XCTAssertEqual(decide("tcp://127.0.0.1:5557", disabled: true), .skip(reason: "--no-collector"))
        XCTAssertEqual(decide("none"), .skip(reason: "telemetry is off"))
        XCTAssertEqual(decide("tcp://127.0.0.1:5557", command: "doctor"), .skip(reason: "doctor sends no telemetry"))
        XCTAssertEqual(decide("tcp://127.0.0.1:5557", listening: true),
                       .skip(reason: "a collector is already listening on tcp://127.0.0.1:5557"))
        XCTAssertEqual(decide("tcp://login.cluster.example:5557"), .warnUnreachable(endpoint: "tcp://login.cluster.example:5557"))
    }

    func testListeningProbeSeesAnOpenPortAndNotAClosedOne() throws {
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        XCTAssertGreaterThanOrEqual(listener, 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer -> Bool in
                bind(listener, pointer, length) == 0 && listen(listener, 4) == 0
                    && getsockname(listener, pointer, &length) == 0
            }
        }
        XCTAssertTrue(bound)
        let port = Int(UInt16(bigEndian: address.sin_port))
        XCTAssertTrue(try Endpoint(parsing: "tcp://127.0.0.1:\(port)").isListening())
        XCTAssertTrue(try Endpoint(parsing: "tcp://0.0.0.0:\(port)").isListening())
        close(listener)
        XCTAssertFalse(try Endpoint(parsing: "tcp://127.0.0.1:\(port)").isListening())
        XCTAssertFalse(try Endpoint(parsing: "none").isListening())
    }

    func testChildProcessReportsExitCodesAndSignalsLikeAShell() throws {
        let exits = try ChildProcess(executable: "/bin/sh", arguments: ["-c", "exit 3"])
        XCTAssertEqual(exits.wait(), 3)
        let sleeper = try ChildProcess(executable: "/bin/sleep", arguments: ["30"], ownProcessGroup: true)
        XCTAssertNil(sleeper.wait(timeout: 0.1))
        XCTAssertEqual(getpgid(sleeper.identifier), sleeper.identifier)
        sleeper.send(SIGKILL)
        XCTAssertEqual(sleeper.wait(), 128 + SIGKILL)
        XCTAssertThrowsError(try ChildProcess(executable: "/nonexistent/program", arguments: []))
    }

    func testExecutablesAreFoundOnThePath() {
        XCTAssertEqual(HostResources.findExecutable("sh", path: "/nonexistent:/bin"), "/bin/sh")
        XCTAssertNil(HostResources.findExecutable("sh", path: "/nonexistent"))
        XCTAssertGreaterThanOrEqual(HostResources.physicalCores(), 1)
        XCTAssertLessThanOrEqual(HostResources.physicalCores(), ProcessInfo.processInfo.activeProcessorCount)
    }
}
