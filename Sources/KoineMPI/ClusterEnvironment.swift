import Foundation
import KoineCluster

/// How this process was started, and the communicator that fits.
public enum ClusterEnvironment {
    /// Variables a launcher sets in every rank: Open MPI's `mpirun`, PMIx
    /// (Open MPI 4 and `srun --mpi=pmix`), and PMI-1/2 (`srun`, MPICH's Hydra).
    public static let launcherVariables = ["OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK"]

    /// Whether an MPI launcher started this process.
    public static func isLaunchedByMPI(_ environment: [String: String] = ProcessInfo.processInfo.environment) -> Bool {
        launcherVariables.contains { environment[$0] != nil }
    }

    /// An MPI communicator under `mpirun` (or `srun`), otherwise a single
    /// process one, so that `koine train` run by hand never touches MPI_Init.
    public static func makeCommunicator() throws -> Communicator {
        if isLaunchedByMPI() { return try MPICommunicator() }
        return SingleProcessCommunicator()
    }
}
