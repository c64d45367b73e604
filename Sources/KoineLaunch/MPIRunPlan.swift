/// The `mpirun` command line that starts N ranks of `koine` on this host:
/// a pure function of its inputs so the rules are unit-tested.
public struct MPIRunPlan: Equatable {
    /// The `mpirun` executable.
    public var executable: String
    /// Everything after it: mpirun's options, then the program and its arguments.
    public var arguments: [String]
    /// Variables to add to mpirun's own environment.
    public var environment: [String: String]

    /// - Parameters:
    ///   - ranks: how many ranks (`-np`).
    ///   - cores: the cores Open MPI will count as slots on this host. More ranks
    ///     than that needs `--oversubscribe`, which also makes MPI yield the core
    ///     when waiting, instead of spinning against another rank.
    ///   - runningAsRoot: Open MPI refuses root unless both allowances are set;
    ///     they are set only for root, so a mistake elsewhere is not hidden.
    ///   - hostfile: ranks spread over the file's hosts; its slots then decide,
    ///     so `--oversubscribe` is not added.
    ///   - binding: where ranks are pinned; nil decides by `Binding.decide`.
    ///   - extraOptions: further mpirun options, placed before the program.
    public init(
        mpirun: String, ranks: Int, cores: Int, runningAsRoot: Bool,
        program: String, programArguments: [String],
        hostfile: String? = nil, binding: Binding? = nil, extraOptions: [String] = []
    ) {
        executable = mpirun
        var arguments = ["-np", String(ranks)]
        if let hostfile {
            arguments += ["--hostfile", hostfile] + MPIRunPlan.acrossHosts
        } else if ranks > cores {
            arguments.append("--oversubscribe")
        }
        let binding = binding ?? Binding.decide(ranks: ranks, cores: cores, hostfile: hostfile)
        arguments += ["--bind-to", binding.rawValue]
        // One BLAS thread per rank: ranks already share the cores between them.
        arguments += ["-x", "OPENBLAS_NUM_THREADS=1"]
        arguments += extraOptions
        arguments.append(program)
        arguments += programArguments
        self.arguments = arguments

        var environment = ["OPENBLAS_NUM_THREADS": "1"]
        if runningAsRoot {
            environment["OMPI_ALLOW_RUN_AS_ROOT"] = "1"
            environment["OMPI_ALLOW_RUN_AS_ROOT_CONFIRM"] = "1"
        }
        self.environment = environment
    }

    /// Open MPI's runtime across hosts: a daemon whose host stops answering is
    /// noticed in about 25 + 5 × 3 = 40 s (the default keepalive, 300 + 20 × 9 s,
    /// leaves a job with a lost host hanging for 8 minutes), after the ranks'
    /// own 30 s peer timeout has named it; and a daemon that cannot reach
    /// mpirun at once tries again every second for 10 s (the default, two tries
    /// at once, lets it exit while mpirun waits for it forever: seen when a
    /// host's link had just come back).
    public static let acrossHosts = [
        "--mca", "oob_tcp_keepalive_time", "25", "--mca", "oob_tcp_keepalive_intvl", "5",
        "--mca", "oob_tcp_keepalive_probes", "3",
        "--mca", "oob_tcp_peer_retries", "10", "--mca", "oob_tcp_retry_delay", "1",
    ]

    /// The whole command as one shell-quoted line, for logs and `--dry-run`.
    public var commandLine: String {
        let variables = environment.keys.sorted().map { "\($0)=\(environment[$0]!)" }
        return (variables + [executable] + arguments).map(ShellQuoting.quote).joined(separator: " ")
    }
}

/// Where mpirun pins each rank. Pinning to a core pays only when every rank
/// has cores of its own; ranks that share a machine's cores without knowing it
/// (containers, hosts simulated in network namespaces, an oversubscribed
/// node) are each pinned to core 0 of their "host", all of them to the same
/// physical core: 62 steps/s instead of 2,280 on 2 cores (the measurement).
public enum Binding: String, CaseIterable, Equatable {
    case core
    case none

    /// `core` on this host alone when every rank gets a core of its own;
    /// otherwise `none`: oversubscribed ranks would pile onto the first cores,
    /// and launch cannot tell whether a hostfile's hosts share one machine
    /// (the trainer checks that at start and says so).
    public static func decide(ranks: Int, cores: Int, hostfile: String?) -> Binding {
        hostfile == nil && ranks <= cores ? .core : .none
    }
}
