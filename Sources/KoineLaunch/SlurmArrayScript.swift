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
            # the default, or srun, which needs Slurm built with PMIx), KOINE_BIND (mpirun's
            # --bind-to: core, the default when the task's CPUs are its own, or none).
            #
            # Pre-emption, scontrol requeue, scancel and the time limit send SIGTERM to every
            # process of a task, ranks included: koine train writes a checkpoint and stops, and
            # a requeued task resumes its run. With --signal=B:TERM@T (sbatch --signal=B:TERM@300
            # \(q(path))), this shell passes the signal on to the ranks T seconds before the
            # time limit and requeues the task.
            #
            #SBATCH --job-name=\(name)
            #SBATCH --array=\(arrayRange)
            #SBATCH --ntasks=\(ranks)
            #SBATCH --cpus-per-task=\(threads)
            #SBATCH --mem-per-cpu=2G
            #SBATCH --time=04:00:00
            #SBATCH --output=\(logs)/slurm-%A_%a.out
            #SBATCH --open-mode=append
            #SBATCH --requeue

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
            # Ranks bound to cores only when the cores are the task's own (Slurm confined it to
            # them, or it has the node): tasks sharing a node unconfined would all bind to core 0.
            bind=core
            if [ "$(nproc)" -gt "${SLURM_CPUS_ON_NODE:-$(nproc)}" ]; then bind=none; fi
            bind="${KOINE_BIND:-$bind}"
            # mpirun (Open MPI 4.1) SIGKILLs its ranks 2 x odls_base_sigkill_timeout seconds after
            # its own SIGTERM (1 by default): give them the time to write their checkpoint.
            export OMPI_MCA_odls_base_sigkill_timeout="${OMPI_MCA_odls_base_sigkill_timeout:-60}"
            echo "$run: ${arguments[*]} on ${SLURM_NTASKS:-1} rank(s), restart ${SLURM_RESTART_COUNT:-0}, bound to $bind"
            case "${KOINE_LAUNCHER:-mpirun}" in
                srun) srun --mpi=pmix "$koine" "${arguments[@]}" & ;;
                mpirun) mpirun -np "${SLURM_NTASKS:-1}" --bind-to "$bind" -x OPENBLAS_NUM_THREADS "$koine" "${arguments[@]}" & ;;
                *) echo "KOINE_LAUNCHER must be mpirun or srun, got $KOINE_LAUNCHER" >&2; exit 2 ;;
            esac
            launcher=$!

            # Waiting in the background lets a signal sent to this shell alone (--signal=B:TERM@T,
            # scancel -b) reach the ranks now: they write a checkpoint and stop (exit 143). mpirun
            # passes SIGUSR1 straight on to every rank, and koine train takes it as SIGTERM.
            signalled=""
            on_term() {
                signalled=1
                if [ "${KOINE_LAUNCHER:-mpirun}" = srun ]; then kill -TERM "$launcher" 2> /dev/null || true
                else kill -USR1 "$launcher" 2> /dev/null || true
                fi
            }
            trap on_term TERM
            idle=0
            while kill -0 "$launcher" 2> /dev/null; do
                if [ -z "$signalled" ]; then wait "$launcher" || true; continue; fi
                # mpirun, signalled by Slurm or aborting the job because its ranks exited 143,
                # outlives them by its own timers (above); on one node, once they are gone, it has
                # nothing left to do.
                if [ "${KOINE_LAUNCHER:-mpirun}" = mpirun ] && [ "${SLURM_JOB_NUM_NODES:-1}" -le 1 ]; then
                    if ps --ppid "$launcher" -o stat= | grep -qv '^Z'; then idle=0; else idle=$((idle + 1)); fi
                    if [ "$idle" -ge 4 ]; then kill -KILL "$launcher" 2> /dev/null || true; fi
                fi
                sleep 0.5
            done
            status=0
            wait "$launcher" || status=$?
            trap - TERM
            if [ -n "$signalled" ] && [ ! -f "$run/summary.json" ] \\
                && scontrol show job "${SLURM_JOB_ID:-none}" 2> /dev/null | grep -q "JobState=RUNNING"; then
                # Slurm is not ending the task (a warning before the time limit): go on, requeued.
                echo "$run: stopped by SIGTERM at a checkpoint; requeueing job $SLURM_JOB_ID"
                scontrol requeue "$SLURM_JOB_ID"
            fi
            exit "$status"

            """
    }
}
