import Foundation
import KoineTestSupport
import XCTest

/// Hosts made of Linux network namespaces on a private bridge (scripts/netns-hosts): each
/// has its own address on a subnet that exists only inside the namespaces, its own
/// /etc/hosts and, per command, its own host name. mpirun runs on the first host and
/// reaches the others through scripts/netns-rsh, so ranks on different hosts talk over TCP
/// across the veths as they would across machines.
final class NamespaceHosts {
    static let script = packageDirectory.appendingPathComponent("scripts/netns-hosts").path
    static let agent = packageDirectory.appendingPathComponent("scripts/netns-rsh").path
    /// Every set a test makes is `base` + its pid + a letter; `prune` removes those of dead pids.
    static let base = "kmh"
    static let subnet = "10.213.0.0/24"
    private static var made = 0

    let prefix: String
    let names: [String]

    /// Why namespaces cannot be made here, or nil when they can.
    static func unavailable() -> String? {
        guard getuid() == 0 else { return "network namespaces need root (uid is \(getuid()))" }
        for tool in ["ip", "unshare", "bridge"] where which(tool) == nil { return "`\(tool)` is not installed" }
        guard let result = try? runProcess(which("unshare")!, ["--net", "--uts", "--mount", "true"], timeout: 30),
              result.status == 0 else {
            return "this system refuses new namespaces (unshare --net --uts --mount fails)"
        }
        return nil
    }

    static func which(_ tool: String) -> String? {
        let path = (ProcessInfo.processInfo.environment["PATH"] ?? "") + ":/usr/sbin:/sbin:/usr/bin:/bin"
        for directory in path.split(separator: ":") where FileManager.default.isExecutableFile(atPath: "\(directory)/\(tool)") {
            return "\(directory)/\(tool)"
        }
        return nil
    }

    @discardableResult
    static func run(_ arguments: [String], timeout: TimeInterval = 60) throws -> ProcessResult {
        var environment = ProcessInfo.processInfo.environment
        environment["PATH"] = (environment["PATH"] ?? "/usr/bin:/bin") + ":/usr/sbin:/sbin"
        let result = try runProcess(script, arguments, environment: environment, timeout: timeout)
        guard result.status == 0 else {
            throw NSError(domain: "netns-hosts", code: Int(result.status), userInfo: [
                NSLocalizedDescriptionKey: "netns-hosts \(arguments.joined(separator: " ")): \(result.standardError)"])
        }
        return result
    }

    /// Makes `count` hosts (removing what a crashed earlier test left first).
    init(_ count: Int) throws {
        try NamespaceHosts.run(["prune", NamespaceHosts.base])
        let letter = Character(UnicodeScalar(UInt8(ascii: "a") + UInt8(NamespaceHosts.made % 26)))
        NamespaceHosts.made += 1
        let prefix = "\(NamespaceHosts.base)\(getpid())\(letter)"
        self.prefix = prefix
        names = "abcdefghijklmnopqrstuvwxyz".prefix(count).map { "\(prefix)-\($0)" }
        try NamespaceHosts.run(["up", String(count), prefix])
    }

    func remove() { _ = try? NamespaceHosts.run(["down", prefix]) }

    func address(_ host: String) throws -> String {
        try NamespaceHosts.run(["addr", host]).standardOutput.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Unplugs (`false`) or plugs back (`true`) a host's cable at the switch.
    func link(_ host: String, up: Bool) throws { try NamespaceHosts.run(["link", host, up ? "up" : "down"]) }

    /// The pids still running inside a host's namespace.
    func processes(_ host: String) -> [String] {
        let result = try? runProcess(NamespaceHosts.which("ip") ?? "/usr/sbin/ip", ["netns", "pids", host], timeout: 30)
        return (result?.standardOutput ?? "").split(separator: "\n").map(String.init)
    }

    /// `command` run inside `host`'s namespace under its host name.
    func exec(_ host: String, _ command: [String]) -> (String, [String]) {
        (NamespaceHosts.script, ["exec", host] + command)
    }

    /// The daemons' keepalive: a host that stops answering ends the job in ~5 + 2 × 3 s
    /// (Open MPI 4.1's default is 300 + 20 × 9 s; its TCP BTL has no timeout of its own).
    /// Koine's peer timeout names the lost rank first, then leaves the runtime this time.
    /// And a daemon that cannot reach mpirun at once tries again every second for 10 s
    /// (the default, 2 tries at once, makes it exit, and mpirun then waits for it forever).
    static let keepalive = ["--mca", "oob_tcp_keepalive_time", "5", "--mca", "oob_tcp_keepalive_intvl", "2",
                            "--mca", "oob_tcp_keepalive_probes", "3",
                            "--mca", "oob_tcp_peer_retries", "10", "--mca", "oob_tcp_retry_delay", "1"]

    /// Caps TCP's retransmission backoff in `host`'s namespace (Linux 6.15 and later; false
    /// where the kernel has no such setting). After an outage of T s, a sender backing off
    /// from 200 ms may wait up to about T s more before it sends again; capped, at most `ms`.
    func capRetransmissionBackoff(_ host: String, ms: Int) -> Bool {
        let (program, arguments) = exec(host, ["/bin/sh", "-c", "echo \(ms) > /proc/sys/net/ipv4/tcp_rto_max_ms"])
        return (try? runProcess(program, arguments, timeout: 30))?.status == 0
    }

    /// mpirun on the first of `hosts`, one rank per host, ranks and daemons over TCP on the
    /// private subnet only, no binding (the "hosts" share this machine's cores), then `arguments`.
    func mpirun(on hosts: [String], hostfile: String, _ arguments: [String], exports: [String] = [],
                binding: String = "none") throws -> (String, [String]) {
        try hosts.map { "\($0) slots=1\n" }.joined().write(toFile: hostfile, atomically: true, encoding: .utf8)
        let mpirun = try XCTUnwrap(mpirunPath)
        let options = ["--hostfile", hostfile, "-np", String(hosts.count), "--bind-to", binding,
                       "--mca", "plm_rsh_agent", NamespaceHosts.agent, "--mca", "plm_rsh_no_tree_spawn", "1",
                       "--mca", "pml", "ob1", "--mca", "btl", "tcp,self",
                       "--mca", "btl_tcp_if_include", NamespaceHosts.subnet, "--mca", "oob_tcp_if_include", NamespaceHosts.subnet]
            + NamespaceHosts.keepalive + ["-x", "OPENBLAS_NUM_THREADS"] + exports.flatMap { ["-x", $0] }
        return exec(hosts[0], [mpirun] + options + arguments)
    }
}

/// Koine across hosts: ranks on two namespace "hosts" over TCP, a CURVE collector on a
/// third; a host's cable pulled mid-run, and the collector's.
final class MultiHostTests: XCTestCase {
    static let config = """
        seed: 3
        game: {attributes: [4, 4], candidates: 4, vocab: 8, message_length: 2}
        agents: {hidden: 64}
        population: {listeners: 2, cross_rank: 0.25, reset: {listeners: {mode: staggered, every: 1500}}}
        train: {steps: 4000, batch: 64, log_every: 500, checkpoint: {every: 1000}}
        eval: {every: 2000, ease_of_teaching: {every: 0}}
        telemetry: {every: 10}
        """

    var hosts: NamespaceHosts!
    var directory: ConfiguredDirectory!
    var collectors: [RunningProcess] = []

    override func setUpWithError() throws {
        if let reason = NamespaceHosts.unavailable() { throw XCTSkip("no namespace hosts: \(reason)") }
        guard mpirunPath != nil else { throw XCTSkip("mpirun is not installed") }
        XCTAssertTrue(FileManager.default.isExecutableFile(atPath: koineExecutable.path), "koine is not built at \(koineExecutable.path)")
        directory = try ConfiguredDirectory("multihost", config: MultiHostTests.config)
        hosts = try NamespaceHosts(3)
    }

    override func tearDownWithError() throws {
        for collector in collectors where collector.process.isRunning { kill(collector.process.processIdentifier, SIGKILL) }
        hosts?.remove()
        directory?.remove()
    }

    var environment: [String: String] {
        var environment = mpiEnvironment
        environment["PATH"] = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin") + ":/usr/sbin:/sbin"
        return environment
    }

    /// `koine ARGUMENTS` under mpirun, one rank on each of the first two hosts.
    func acrossTwoHosts(_ arguments: [String], exports: [String] = [], binding: String = "none") throws -> (String, [String]) {
        try hosts.mpirun(on: Array(hosts.names.prefix(2)), hostfile: directory.path("hostfile"),
                         [koineExecutable.path] + arguments, exports: exports, binding: binding)
    }

    func train(_ extra: [String]) -> [String] { ["train", "--config", directory.config, "--quiet"] + extra }

    /// The reference: 2 ranks on this host, shared memory, no namespaces.
    func trainOnOneHost(out: String, _ extra: [String] = []) throws {
        let result = try runProcess(try XCTUnwrap(mpirunPath), ["-np", "2", "-x", "OPENBLAS_NUM_THREADS", koineExecutable.path]
                                        + train(["--out", out, "--telemetry", "none"] + extra),
                                    environment: mpiEnvironment, timeout: 120)
        XCTAssertEqual(result.status, 0, result.standardError)
    }

    /// A CURVE collector on the third host, bound to every interface; its public key.
    func startCollector(database: String) throws -> String {
        let keys = directory.path("collector")
        let made = try runKoine(["keys", "--out", keys], timeout: 30)
        XCTAssertEqual(made.status, 0, made.standardError)
        let (program, arguments) = hosts.exec(hosts.names[2], [koineExecutable.path, "collect", "--bind", "tcp://0.0.0.0:5557",
                                                              "--db", database, "--secret-key", keys + ".secret", "--quiet"])
        collectors.append(try RunningProcess(program, arguments, environment: environment))
        let deadline = Date().addingTimeInterval(30)
        while !FileManager.default.fileExists(atPath: database) && Date() < deadline { usleep(20_000) }
        usleep(300_000)
        return try String(contentsOfFile: keys + ".public", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Stops the collector and checks that every event of the run's two ranks was stored:
    /// none missing or dropped, seq without gaps, and as many as the run sent.
    func checkEveryEventStored(database: String, run: String, steps: Int, telemetryEvery: Int, evalEvery: Int,
                               file: StaticString = #filePath, line: UInt = #line) throws {
        let collector = try XCTUnwrap(collectors.last)
        kill(collector.process.processIdentifier, SIGTERM)
        XCTAssertTrue(collector.waitForExit(timeout: 30), "the collector did not stop", file: file, line: line)
        let report = try runKoine(["report", "--db", database, "--json"], timeout: 60)
        XCTAssertEqual(report.status, 0, report.standardError, file: file, line: line)
        let parsed = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(report.standardOutput.utf8)) as? [String: Any])
        let runs = try XCTUnwrap(parsed["runs"] as? [[String: Any]])
        XCTAssertEqual(runs.count, 1, report.standardOutput, file: file, line: line)
        let stored = try XCTUnwrap(runs.first)
        XCTAssertEqual(stored["finished_ranks"] as? Int, 2, file: file, line: line)
        XCTAssertEqual(stored["missing"] as? Int, 0, file: file, line: line)
        XCTAssertEqual(stored["dropped"] as? Int, 0, file: file, line: line)
        // Each rank: a step and an allreduce event every `telemetryEvery` steps, an eval
        // every `evalEvery`, one per reset (the same schedule on every rank), run_started
        // and run_finished.
        let resets = try XCTUnwrap(RunFiles.summary(run)["resets"] as? Int) / 2
        let expected = 2 * (steps / telemetryEvery) + steps / evalEvery + resets + 2
        let ranks = try XCTUnwrap(stored["ranks"] as? [[String: Any]])
        XCTAssertEqual(ranks.count, 2, file: file, line: line)
        for rank in ranks {
            XCTAssertEqual(rank["events"] as? Int, expected, "rank \(rank["rank"] ?? "?")", file: file, line: line)
            XCTAssertEqual(rank["max_seq"] as? Int, expected - 1, "seq has gaps on rank \(rank["rank"] ?? "?")", file: file, line: line)
            XCTAssertEqual((rank["gaps"] as? [Any])?.count, 0, file: file, line: line)
            XCTAssertEqual(rank["finished"] as? Bool, true, file: file, line: line)
        }
    }

    /// Two hosts over TCP give exactly the run two ranks give on one host over shared
    /// memory; `koine doctor` sees both hosts; a CURVE collector on a third host stores
    /// every event.
    func testTwoHostsOverTCPMatchOneHostAndTheCollectorStoresEveryEvent() throws {
        let reference = directory.path("one-host"), run = directory.path("two-hosts"), database = directory.path("telemetry.sqlite")
        try trainOnOneHost(out: reference)

        var environment = self.environment
        environment["KOINE_TELEMETRY_SERVER_KEY"] = try startCollector(database: database)
        let collector = "tcp://\(try hosts.address(hosts.names[2])):5557"
        let (program, arguments) = try acrossTwoHosts(train(["--out", run, "--telemetry", collector]),
                                                      exports: ["KOINE_TELEMETRY_SERVER_KEY"])
        let trained = try runProcess(program, arguments, environment: environment, timeout: 120)
        XCTAssertEqual(trained.status, 0, trained.standardOutput + trained.standardError)
        XCTAssertFalse(trained.standardError.contains("not being received"), trained.standardError)
        XCTAssertEqual(try RunFiles.figures(run), try RunFiles.figures(reference))
        XCTAssertEqual(try RunFiles.deterministicMetrics(run), try RunFiles.deterministicMetrics(reference))

        let (doctorProgram, doctorArguments) = try acrossTwoHosts(["doctor", "--json", "--floats", "1300"])
        let doctor = try runProcess(doctorProgram, doctorArguments, environment: environment, timeout: 60)
        XCTAssertEqual(doctor.status, 0, doctor.standardOutput + doctor.standardError)
        let report = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(doctor.standardOutput.utf8)) as? [String: Any])
        let ranks = try XCTUnwrap(report["ranks"] as? [[String: Any]])
        XCTAssertEqual(Set(ranks.compactMap { $0["host"] as? String }), Set(hosts.names.prefix(2)), doctor.standardOutput)
        XCTAssertEqual(report["passed"] as? Bool, true, doctor.standardOutput)

        try checkEveryEventStored(database: database, run: run, steps: 4000, telemetryEvery: 10, evalEvery: 2000)
    }

    /// The trap of hosts that share one machine's cores: mpirun pins each host's rank to
    /// "its" core 0, the same physical core (the issue measured 62 steps/s instead of
    /// 2,280). Koine finds the two ranks by their common kernel, unpins them with one
    /// warning line naming both, and trains the same run.
    func testRanksPinnedToOneCoreAcrossHostsAreFoundAndUnpinned() throws {
        let reference = directory.path("one-host"), run = directory.path("pinned")
        let steps = ["--set", "train.steps=2000"]
        try trainOnOneHost(out: reference, steps)
        let (program, arguments) = try acrossTwoHosts(train(["--out", run, "--telemetry", "none"] + steps), binding: "core")
        let result = try runProcess(program, arguments, environment: environment, timeout: 120)
        XCTAssertEqual(result.status, 0, result.standardOutput + result.standardError)
        let warnings = result.standardError.split(separator: "\n").filter { $0.contains("pinned to the same cores of one machine") }
        XCTAssertEqual(warnings.count, 1, result.standardError)
        let warning = String(warnings.first ?? "")
        XCTAssertTrue(warning.contains("rank 0 on \(hosts.names[0]) (core 0)") && warning.contains("rank 1 on \(hosts.names[1]) (core 0)"),
                      warning)
        XCTAssertEqual(try RunFiles.figures(run)["parameters_checksum"], try RunFiles.figures(reference)["parameters_checksum"])
    }

    /// Koine's own line: the rank that waited in vain names the rank and host it awaited.
    static func namesTheLostPeer(_ output: String, waiting: String, host: String) -> Bool {
        output.split(separator: "\n").contains {
            $0.hasPrefix("koine: rank 0 of 2 on \(waiting): error: no answer from rank 1 on \(host) for 5 s in ")
        }
    }

    /// Pulling the second host's cable mid-run ends the job within 60 s (`--peer-timeout 5`:
    /// about 5 s), non-zero, with one line naming the rank and host lost; the newest complete checkpoint then resumes, across the same two hosts, to
    /// exactly the run that was never interrupted.
    func testALostHostEndsTheJobAndItsCheckpointResumesExactly() throws {
        let reference = directory.path("uninterrupted"), run = directory.path("cut")
        let steps = ["--set", "train.steps=12000"]
        try trainOnOneHost(out: reference, steps)

        let (program, arguments) = try acrossTwoHosts(train(["--out", run, "--telemetry", "none", "--peer-timeout", "5"] + steps))
        let running = try RunningProcess(program, arguments, environment: environment)
        let marker = run + "/checkpoints/step-00002000/COMPLETE"
        let deadline = Date().addingTimeInterval(60)
        while !FileManager.default.fileExists(atPath: marker) && running.process.isRunning && Date() < deadline { usleep(5_000) }
        XCTAssertTrue(running.process.isRunning, "the run ended before its cable was pulled: \(running.output)")
        let lost = hosts.names[1]
        try hosts.link(lost, up: false)
        let cut = Date()
        let ended = running.waitForExit(timeout: 60)
        let seconds = Date().timeIntervalSince(cut)
        try hosts.link(lost, up: true)
        XCTAssertTrue(ended, "the job was still running 60 s after \(lost) dropped off: \(running.output)")
        XCTAssertNotEqual(running.status, 0, running.output)
        XCTAssertTrue(MultiHostTests.namesTheLostPeer(running.output, waiting: hosts.names[0], host: lost), running.output)
        XCTAssertFalse(FileManager.default.fileExists(atPath: run + "/summary.json"), "the run finished despite the cut")
        // The lost host's daemon gives up too, and takes its rank with it.
        let gone = Date().addingTimeInterval(30)
        while !hosts.processes(lost).isEmpty && Date() < gone { usleep(100_000) }
        XCTAssertEqual(hosts.processes(lost), [], "processes left on \(lost)")
        print("MultiHostTests: the job ended \(String(format: "%.1f", seconds)) s after the cut, status \(running.status)")

        let (resumeProgram, resumeArguments) = try acrossTwoHosts(["train", "--resume", run, "--quiet", "--telemetry", "none"])
        let resumed = try runProcess(resumeProgram, resumeArguments, environment: environment, timeout: 120)
        XCTAssertEqual(resumed.status, 0, resumed.standardOutput + resumed.standardError)
        XCTAssertTrue(resumed.standardError.contains("resuming"), resumed.standardError)
        XCTAssertEqual(try RunFiles.figures(run), try RunFiles.figures(reference))
        XCTAssertEqual(try RunFiles.deterministicMetrics(run), try RunFiles.deterministicMetrics(reference))
    }

    /// The collector's host off the network for 10 s mid-run: the ranks queue their events
    /// (ZeroMQ over a TCP connection that outlives the outage) and, once it is back, every
    /// event is stored.
    func testTheCollectorsHostOfflineFor10SecondsLosesNothing() throws {
        let run = directory.path("offline"), database = directory.path("telemetry.sqlite")
        // So that the ranks send again within a second of the collector's return, not up to
        // 10 s later: the run must still be going when they do, or its last 2 s (the
        // publisher's linger at exit) would not be enough to empty the queue. A kernel
        // without the setting needs a longer run.
        let capped = hosts.names.prefix(2).allSatisfy { hosts.capRetransmissionBackoff($0, ms: 1000) }
        let steps = capped ? 40_000 : 100_000
        var environment = self.environment
        environment["KOINE_TELEMETRY_SERVER_KEY"] = try startCollector(database: database)
        let collector = "tcp://\(try hosts.address(hosts.names[2])):5557"
        let (program, arguments) = try acrossTwoHosts(train(["--out", run, "--telemetry", collector,
                                                             "--set", "train.steps=\(steps)"]),
                                                      exports: ["KOINE_TELEMETRY_SERVER_KEY"])
        let running = try RunningProcess(program, arguments, environment: environment)
        // Until the run has logged its first figures (and so sent its first events).
        let deadline = Date().addingTimeInterval(60)
        while loggedStep(run) == 0 && running.process.isRunning && Date() < deadline { usleep(20_000) }
        try hosts.link(hosts.names[2], up: false)
        sleep(10)
        try hosts.link(hosts.names[2], up: true)
        // The step the ranks had reached when the collector came back: every event up to it
        // was queued during the outage, and must arrive while the run goes on.
        let back = loggedStep(run)
        var caughtUp = false
        while running.process.isRunning && !caughtUp {
            usleep(250_000)
            caughtUp = storedRanks(database).count == 2 && storedRanks(database).allSatisfy {
                ($0["last_step"] as? Int ?? 0) >= back && $0["events"] as? Int == ($0["max_seq"] as? Int ?? -2) + 1
            }
        }
        XCTAssertTrue(caughtUp || back == steps, "the run ended before the collector had caught up: make it longer")
        XCTAssertTrue(running.waitForExit(timeout: 120), running.output)
        XCTAssertEqual(running.status, 0, running.output)
        // The publisher's last events leave within its 2 s linger.
        usleep(500_000)
        try checkEveryEventStored(database: database, run: run, steps: steps, telemetryEvery: 10, evalEvery: 2000)
    }

    /// The last step in the run's metrics.jsonl (0 before the first).
    func loggedStep(_ run: String) -> Int {
        let text = (try? String(contentsOfFile: run + "/metrics.jsonl", encoding: .utf8)) ?? ""
        guard let last = text.split(separator: "\n").last(where: { $0.contains("\"kind\":\"step\"") }),
              let object = try? JSONSerialization.jsonObject(with: Data(last.utf8)) as? [String: Any] else { return 0 }
        return object["step"] as? Int ?? 0
    }

    /// The ranks of the one run in the collector's database, as `koine report` sees them now.
    func storedRanks(_ database: String) -> [[String: Any]] {
        guard let report = try? runKoine(["report", "--db", database, "--json"], timeout: 30), report.status == 0,
              let parsed = try? JSONSerialization.jsonObject(with: Data(report.standardOutput.utf8)) as? [String: Any],
              let run = (parsed["runs"] as? [[String: Any]])?.first else { return [] }
        return run["ranks"] as? [[String: Any]] ?? []
    }
}
