import Foundation

/// A Slurm batch script running a sweep as a job array: one array task per
/// run, each trains its run, resumes it from its newest complete checkpoint,
/// or does nothing when it is finished, so resubmitting the script after a
/// pre-emption or a time limit finishes the sweep. Every task may use several
/// MPI ranks (`mpirun`, as cluster/slurm.sh).
public struct SlurmArrayScript {
    public struct Task {
        /// The run directory (absolute: tasks start wherever Slurm puts them).
        public var directory: String
        public var config: String
        /// The run's `--set` values.
        public var overrides: [String]

        public init(directory: String, config: String, overrides: [String]) {
            self.directory = directory; self.config = config; self.overrides = overrides
        }
    }

    public var name: String
    /// Where the script is written, for its own usage line.
    public var path: String
    public var tasks: [Task]
    /// The `koine` executable (on a filesystem every node sees); $KOINE overrides it.
    public var koine: String
    /// Where Slurm writes each task's output.
    public var logs: String
    public var ranks: Int
    public var threads: Int
    public var telemetry: String
    /// At most this many tasks at once (Slurm's `%N`), when set.
    public var concurrent: Int?

    public init(name: String, path: String, tasks: [Task], koine: String, logs: String, ranks: Int, threads: Int,
                telemetry: String, concurrent: Int?) {
        self.name = name; self.path = path; self.tasks = tasks; self.koine = koine; self.logs = logs
        self.ranks = ranks; self.threads = threads; self.telemetry = telemetry; self.concurrent = concurrent
    }

    /// The array range: `0-(N−1)`, and `%N` when limited.
    public var arrayRange: String { "0-\(tasks.count - 1)" + (concurrent.map { "%\($0)" } ?? "") }

    public var text: String {
        let q = ShellQuoting.quote
        var cases = ""
        for (index, task) in tasks.enumerated() {
            let settings = task.overrides.map { "--set \(q($0))" }.joined(separator: " ")
            cases += "    \(index)) run=\(q(task.directory)); config=\(q(task.config)); settings=(\(settings)) ;;\n"
        }
        return """
            #!/bin/bash
            # \(name): \(tasks.count) runs of a Koine sweep, one Slurm array task each (written by koine sweep --slurm).
            #
            #   sbatch \(q(path))
            #
            # A task trains its run, resumes it from its newest complete checkpoint, or
            # does nothing when summary.json is there: resubmit after a pre-emption or
            # a time limit. Every path here is absolute; the sweep directory, the configs
            # and the koine binary must be on a filesystem every node sees.
            #
            # Environment (optional): KOINE (the koine binary), KOINE_LAUNCHER (mpirun,
            # the default, or srun, which needs Slurm built with PMIx).
            #
            #SBATCH --job-name=\(name)
            #SBATCH --array=\(arrayRange)
            #SBATCH --ntasks=\(ranks)
            #SBATCH --cpus-per-task=\(threads)
            #SBATCH --mem-per-cpu=2G
            #SBATCH --time=04:00:00
            #SBATCH --output=\(logs)/slurm-%A_%a.out

            set -euo pipefail

            koine="${KOINE:-\(koine)}"
            case "${SLURM_ARRAY_TASK_ID:?run me with sbatch: one array task per run}" in
            \(cases)    *) echo "no run for array task $SLURM_ARRAY_TASK_ID" >&2; exit 2 ;;
            esac

            if [ -f "$run/summary.json" ]; then
                echo "$run: finished"
                exit 0
            fi
            if compgen -G "$run/checkpoints/step-*/COMPLETE" > /dev/null; then
                arguments=(train --resume "$run")
            else
                # Nothing to keep without a complete checkpoint; koine train wants --out empty.
                rm -rf "$run"
                arguments=(train --config "$config" --out "$run" "${settings[@]}")
            fi
            arguments+=(--quiet --telemetry \(q(telemetry)))

            # Every rank is one process: BLAS gets only the cores Slurm gave it.
            export OPENBLAS_NUM_THREADS=\(threads)
            echo "$run: ${arguments[*]} on ${SLURM_NTASKS:-1} rank(s)"
            case "${KOINE_LAUNCHER:-mpirun}" in
                srun) srun --mpi=pmix "$koine" "${arguments[@]}" ;;
                mpirun) mpirun -np "${SLURM_NTASKS:-1}" -x OPENBLAS_NUM_THREADS "$koine" "${arguments[@]}" ;;
                *) echo "KOINE_LAUNCHER must be mpirun or srun, got $KOINE_LAUNCHER" >&2; exit 2 ;;
            esac

            """
    }
}
