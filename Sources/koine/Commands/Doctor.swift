import ArgumentParser
import Foundation
import KoineCluster
import KoineLaunch
import KoineMPI

/// `koine doctor`: checks that MPI works here, under `mpirun` or alone.
struct Doctor: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check the MPI setup: run it under mpirun (or alone); rank 0 prints a report.",
        discussion: """
            Every rank reports its rank, world size and host; all-reduce, nonblocking all-reduce, \
            ring send-receive, send/receive, broadcast and barrier are checked with known values; \
            and an all-reduce of each --floats size is timed. Exits 0 when every check passes, 1 otherwise.
            Example: mpirun -np 2 koine doctor
            """)

    @Option(name: .customLong("floats"), help: "Time an all-reduce of this many Float32 values (repeatable; default 4000 and 1000000).")
    var floats: [Int] = []

    @Option(name: .customLong("bytes"), help: "Time an all-reduce of this many bytes, as bytes/4 floats (repeatable).")
    var bytes: [Int] = []

    @Option(name: .long, help: "Timed calls per size (default: from 1000 for small buffers down to 10 for large).")
    var calls: Int?

    @Flag(name: .long, help: "Print the report as one JSON object.")
    var json = false

    @Option(name: .customLong("fail-rank"), help: .hidden)
    var failRank: Int?

    @Option(name: .customLong("sleep"), help: .hidden)
    var sleepSeconds: Double = 0

    func run() throws {
        if (floats + bytes).contains(where: { $0 < 0 }) { throw UsageFailure("doctor: --floats and --bytes must be ≥ 0") }
        if let calls, calls < 1 { throw UsageFailure("doctor: --calls must be ≥ 1") }
        let communicator: Communicator
        do {
            communicator = try ClusterEnvironment.makeCommunicator()
        } catch {
            FileHandle.standardError.write(Data("koine doctor: cannot start MPI: \(error)\n".utf8))
            throw ExitCode(1)
        }
        let sizes = floats + bytes.map { $0 / 4 }
        let options = ClusterDoctor.Options(
            floats: sizes.isEmpty ? [4_000, 1_000_000] : sizes, calls: calls,
            failRank: failRank, sleepSeconds: sleepSeconds)
        let isMPI = communicator is MPICommunicator
        let report: DoctorReport
        do {
            report = try ClusterDoctor.run(communicator, options: options,
                                           mode: isMPI ? "MPI" : "single process, no MPI",
                                           library: isMPI ? MPICommunicator.libraryVersion : nil)
        } catch {
            // A rank that cannot go on ends the whole job, so no rank hangs.
            communicator.abort(reporting: error)
        }
        if communicator.isRoot {
            print(json ? report.json : report.text)
            fflush(stdout)
        }
        do {
            try communicator.finalize()
        } catch {
            FileHandle.standardError.write(Data("koine doctor: rank \(communicator.rank): \(error)\n".utf8))
            throw ExitCode(1)
        }
        if !report.passed { throw ExitCode(1) }
    }
}
