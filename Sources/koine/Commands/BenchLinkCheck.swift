import ArgumentParser
import Foundation
import KoineBench
import KoineMPI

/// `koine bench link-check`: proves that MPI, BLAS and ZeroMQ link and run in
/// this binary — MPI_Init/MPI_Finalize as a singleton, one sgemm against known
/// values, one ZeroMQ PAIR exchange over inproc. Run by the smoke test in a
/// child process, because MPI may be initialised only once per process.
struct BenchLinkCheck: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "link-check",
        abstract: "Check that MPI, BLAS and ZeroMQ link and run (singleton MPI, one sgemm, one inproc PAIR exchange).",
        shouldDisplay: false)

    func run() throws {
        var failures = 0
        for (name, check) in [("blas", LinkCheck.blas), ("zeromq", LinkCheck.zeroMQ), ("mpi", MPILinkCheck.run)] {
            do {
                print("\(name): ok, \(try check())")
            } catch {
                print("\(name): FAILED, \(error)")
                failures += 1
            }
            fflush(stdout)
        }
        if failures > 0 { throw ExitCode(1) }
    }
}
