import Foundation

/// A child process the test keeps control of while it runs (to signal it or
/// one of its ranks), with its output collected in the background.
public final class RunningProcess {
    public let process = Process()
    /// A value only this test's processes carry in their environment, to find its ranks.
    public let marker = "koine-test-\(UUID().uuidString.prefix(8))"
    private let lock = NSLock()
    private var outputData = Data(), errorData = Data()
    private let drained = DispatchGroup()

    public init(_ executable: String, _ arguments: [String], environment: [String: String] = [:]) throws {
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        var merged = ProcessInfo.processInfo.environment
        for (key, value) in environment { merged[key] = value }
        merged["KOINE_TEST_MARKER"] = marker
        process.environment = merged
        let output = Pipe(), error = Pipe()
        process.standardOutput = output
        process.standardError = error
        for (pipe, isError) in [(output, false), (error, true)] {
            drained.enter()
            DispatchQueue.global().async { [self] in
                let data = pipe.fileHandleForReading.readDataToEndOfFile()
                lock.lock()
                if isError { errorData = data } else { outputData = data }
                lock.unlock()
                drained.leave()
            }
        }
        try process.run()
    }

    /// Waits up to `timeout` seconds; false (after killing it) when it did not end.
    @discardableResult
    public func waitForExit(timeout: TimeInterval) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        if process.isRunning {
            killRanks(signal: SIGKILL)
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            drained.wait()
            return false
        }
        process.waitUntilExit()
        drained.wait()
        return true
    }

    public var status: Int32 { process.terminationStatus }
    public var output: String {
        lock.lock(); defer { lock.unlock() }
        return String(decoding: outputData, as: UTF8.self) + String(decoding: errorData, as: UTF8.self)
    }

    /// The pids of this test's MPI ranks, by rank, read from /proc.
    public func ranks() -> [Int: pid_t] {
        var found: [Int: pid_t] = [:]
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        for entry in entries {
            guard let pid = pid_t(entry), let data = FileManager.default.contents(atPath: "/proc/\(entry)/environ") else { continue }
            let variables = data.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
            guard variables.contains("KOINE_TEST_MARKER=\(marker)") else { continue }
            if let rank = variables.first(where: { $0.hasPrefix("OMPI_COMM_WORLD_RANK=") })
                .flatMap({ Int($0.dropFirst("OMPI_COMM_WORLD_RANK=".count)) }) {
                found[rank] = pid
            }
        }
        return found
    }

    /// Waits, while the process runs, until `condition` holds (a run's first
    /// checkpoint, its first step line); false when it ended or `timeout` passed first.
    @discardableResult
    public func waitWhileRunning(until condition: () -> Bool, timeout: TimeInterval = 60) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while !condition() {
            if !process.isRunning || Date() >= deadline { return false }
            usleep(5_000)
        }
        return true
    }

    /// The pid of `rank`; when it is not running, ends the job and throws with its output.
    public func pid(ofRank rank: Int) throws -> pid_t {
        if let pid = ranks()[rank] { return pid }
        waitForExit(timeout: 10)
        throw CocoaError(.executableNotLoadable, userInfo: [NSLocalizedDescriptionKey: "rank \(rank) not found: \(output)"])
    }

    /// Waits until `count` ranks are running; false on timeout.
    public func waitForRanks(_ count: Int, timeout: TimeInterval) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if ranks().count >= count { return true }
            if !process.isRunning { return false }
            usleep(50_000)
        }
        return false
    }

    public func killRanks(signal: Int32) {
        for pid in ranks().values { kill(pid, signal) }
    }
}

/// `mpirun` on this machine, or nil when Open MPI is not installed.
public var mpirunPath: String? {
    for directory in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin").split(separator: ":") {
        let candidate = "\(directory)/mpirun"
        if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
    }
    return nil
}
