import CMPI
import Foundation
import KoineCluster

/// `koine bench link-check`'s MPI part: the C API called directly, without
/// the communicator, to prove the library links and runs in this binary.
public enum MPILinkCheck {
    /// MPI_Init and MPI_Finalize in a singleton process (no mpirun).
    public static func run() throws -> String {
        // Open MPI refuses to start as root unless told it may.
        if getuid() == 0 {
            setenv("OMPI_ALLOW_RUN_AS_ROOT", "1", 0)
            setenv("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1", 0)
        }
        var initialized: Int32 = 0
        MPI_Initialized(&initialized)
        if initialized == 0 {
            let code = MPI_Init(nil, nil)
            guard code == koine_mpi_success() else { throw ClusterError.failed("MPI_Init returned \(code)") }
        }
        var rank: Int32 = -1, size: Int32 = -1
        MPI_Comm_rank(koine_mpi_comm_world(), &rank)
        MPI_Comm_size(koine_mpi_comm_world(), &size)
        // One collective over the world of one: 21 summed with itself alone.
        var value: Int32 = 21, total: Int32 = 0
        MPI_Allreduce(&value, &total, 1, koine_mpi_int32(), koine_mpi_sum(), koine_mpi_comm_world())
        var version: Int32 = 0, subversion: Int32 = 0
        MPI_Get_version(&version, &subversion)
        let finalize = MPI_Finalize()
        guard finalize == koine_mpi_success() else { throw ClusterError.failed("MPI_Finalize returned \(finalize)") }
        var finalized: Int32 = 0
        MPI_Finalized(&finalized)
        guard finalized != 0 else { throw ClusterError.failed("MPI_Finalized reports 0 after MPI_Finalize") }
        guard rank >= 0, size >= 1, total == 21 * size else {
            throw ClusterError.failed("rank \(rank), size \(size), allreduce gave \(total)")
        }
        return "MPI_Init → rank \(rank) of \(size), allreduce \(total), MPI_Finalize; MPI \(version).\(subversion)"
    }
}
