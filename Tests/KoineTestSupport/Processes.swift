import Foundation

/// Where SwiftPM put the built products of this test run (`koine` among them).
public let productDirectory: URL = {
    URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent()
}()

/// The `koine` executable built alongside the tests.
public var koineExecutable: URL { productDirectory.appendingPathComponent("koine") }

/// The root of the package checkout the tests were built from.
public let packageDirectory: URL = {
    var url = URL(fileURLWithPath: #filePath)
    for _ in 0..<3 { url.deleteLastPathComponent() }
    return url
}()

/// What a finished child process left behind.
public struct ProcessResult {
    public var status: Int32
    public var standardOutput: String
    public var standardError: String
    public var timedOut: Bool
}

/// Runs a program to completion (or until `timeout`, when it is killed) and
/// returns its exit status and output.
@discardableResult
public func runProcess(
    _ executable: String, _ arguments: [String],
    environment: [String: String] = [:], directory: URL? = nil, timeout: TimeInterval = 300
) throws -> ProcessResult {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    var merged = ProcessInfo.processInfo.environment
    for (key, value) in environment { merged[key] = value }
    process.environment = merged
    if let directory { process.currentDirectoryURL = directory }
    let output = Pipe(), error = Pipe()
    process.standardOutput = output
    process.standardError = error
    // Drain both pipes while the child runs so a chatty child never blocks.
    var outputData = Data(), errorData = Data()
    let group = DispatchGroup()
    group.enter()
    DispatchQueue.global().async { outputData = output.fileHandleForReading.readDataToEndOfFile(); group.leave() }
    group.enter()
    DispatchQueue.global().async { errorData = error.fileHandleForReading.readDataToEndOfFile(); group.leave() }
    try process.run()
    let deadline = Date().addingTimeInterval(timeout)
    var timedOut = false
    while process.isRunning {
        if Date() > deadline {
            timedOut = true
            kill(-process.processIdentifier, SIGKILL)
            process.terminate()
            kill(process.processIdentifier, SIGKILL)
            break
        }
        usleep(20_000)
    }
    process.waitUntilExit()
    group.wait()
    return ProcessResult(
        status: process.terminationStatus,
        standardOutput: String(decoding: outputData, as: UTF8.self),
        standardError: String(decoding: errorData, as: UTF8.self),
        timedOut: timedOut)
}

/// Runs the built `koine` with `arguments`.
@discardableResult
public func runKoine(
    _ arguments: [String], environment: [String: String] = [:], directory: URL? = nil,
    timeout: TimeInterval = 300
) throws -> ProcessResult {
    try runProcess(koineExecutable.path, arguments, environment: environment, directory: directory, timeout: timeout)
}

/// Runs the built `koine` with `arguments` on `ranks` ranks under `mpirun`,
/// oversubscribed when there are more ranks than cores.
public func runKoineUnderMPI(_ ranks: Int, _ arguments: [String], timeout: TimeInterval = 120) throws -> ProcessResult {
    var options = ["-np", String(ranks)]
    if ranks > ProcessInfo.processInfo.activeProcessorCount { options.append("--oversubscribe") }
    return try runProcess("/usr/bin/env", ["mpirun"] + options + [koineExecutable.path] + arguments,
                          environment: mpiEnvironment, timeout: timeout)
}

/// Environment that lets Open MPI run here: as root only with its two
/// allowances, and one BLAS thread per rank since ranks share the cores.
public var mpiEnvironment: [String: String] {
    var environment = ["OPENBLAS_NUM_THREADS": "1"]
    if getuid() == 0 {
        environment["OMPI_ALLOW_RUN_AS_ROOT"] = "1"
        environment["OMPI_ALLOW_RUN_AS_ROOT_CONFIRM"] = "1"
    }
    return environment
}

/// A fresh, empty directory under the system's temporary directory.
public func makeTemporaryDirectory(_ label: String = "koine") throws -> URL {
    let url = FileManager.default.temporaryDirectory
        .appendingPathComponent("\(label)-\(UUID().uuidString.prefix(8))")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}
