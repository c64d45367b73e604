#!/bin/bash
# Koine on a Slurm cluster: one MPI rank per task, one core per rank.
#
#   sbatch cluster/slurm.sh configs/li-bowling.yaml [more koine train options]
#   KOINE_TELEMETRY=tcp://login01:5557 sbatch cluster/slurm.sh configs/quick.yaml
#   sbatch --nodes=4 --ntasks-per-node=16 cluster/slurm.sh configs/quick.yaml --set seed=2
#   sbatch cluster/slurm.sh runs/1234            # resume run 1234 (same number of tasks)
#
# Rank 0 writes the run directory runs/$SLURM_JOB_ID under the directory you
# submitted from, which must be on a filesystem every node shares (so are the
# koine binary and the config). See docs/cluster.md.
#
# Environment (all optional):
#   KOINE            the koine binary (default: .build/release/koine in the submit directory)
#   KOINE_OUT        the run directory (default: runs/$SLURM_JOB_ID)
#   KOINE_TELEMETRY  where ranks send telemetry, e.g. tcp://login01:5557 with
#                    `koine collect --bind tcp://0.0.0.0:5557` running there;
#                    default: the config's telemetry.endpoint
#   KOINE_LAUNCHER   mpirun (default) or srun (needs Slurm built with PMIx)
#   KOINE_BIND       mpirun's --bind-to: core (default when the job's CPUs are its own) or none
#   KOINE_TELEMETRY_SERVER_KEY  the collector's public CURVE key (koine keys), passed to every rank
#
# Pre-emption, `scontrol requeue`, `scancel` and the time limit: Slurm sends SIGCONT and
# SIGTERM to every process of the job, ranks included, and SIGKILL KillWait seconds later
# (slurm.conf; 30 by default); koine train writes a checkpoint on SIGTERM and exits. A
# requeued job runs this script again under the same job id (SLURM_RESTART_COUNT 1, 2, ...)
# and resumes runs/$SLURM_JOB_ID from its newest complete checkpoint. To checkpoint
# before the time limit and carry on in the same job, requeued:
#   sbatch --signal=B:TERM@300 cluster/slurm.sh configs/li-bowling.yaml
# (B: signals this shell alone; it passes SIGTERM on to the ranks and, when the run is not
# finished and the job still running, requeues it; so does `scancel -b --signal=TERM JOBID`).
#
#SBATCH --job-name=koine
#SBATCH --nodes=1
#SBATCH --ntasks-per-node=4
#SBATCH --cpus-per-task=1
#SBATCH --mem-per-cpu=2G
#SBATCH --time=04:00:00
#SBATCH --output=slurm-%j.out
#SBATCH --open-mode=append
#SBATCH --requeue

set -euo pipefail

if [ $# -lt 1 ]; then
    echo "usage: sbatch cluster/slurm.sh CONFIG|RUN_DIRECTORY [koine train options]" >&2
    exit 2
fi
config="$1"
shift

cd "${SLURM_SUBMIT_DIR:-.}"
koine="${KOINE:-$PWD/.build/release/koine}"
out="${KOINE_OUT:-runs/${SLURM_JOB_ID:-local}}"
if [ ! -x "$koine" ]; then
    echo "slurm.sh: $koine is not an executable; build it with: swift build -c release" >&2
    exit 2
fi
# A requeued job (pre-empted, `scontrol requeue`, or requeued by itself below) finds the
# run directory its first start made: the job id, and so runs/$SLURM_JOB_ID, stay.
restarted=""
if [ "${SLURM_RESTART_COUNT:-0}" -gt 0 ] && [ -f "$config" ] && [ -e "$out" ]; then
    restarted=1
fi
if [ -d "$config" ]; then
    # A run directory: continue it from its newest complete checkpoint.
    out="$config"
    arguments=(train --resume "$out")
elif [ -n "$restarted" ] && [ -f "$out/summary.json" ]; then
    echo "slurm.sh: restart $SLURM_RESTART_COUNT of job $SLURM_JOB_ID: $out is finished"
    exit 0
elif [ -n "$restarted" ] && compgen -G "$out/checkpoints/step-*/COMPLETE" > /dev/null; then
    echo "slurm.sh: restart $SLURM_RESTART_COUNT of job $SLURM_JOB_ID: resuming $out"
    arguments=(train --resume "$out")
    # The run keeps the configuration it was started with (config.yaml in it): drop --set.
    kept=()
    while [ $# -gt 0 ]; do
        case "$1" in
            --set) shift ;;
            --set=*) ;;
            *) kept+=("$1") ;;
        esac
        [ $# -gt 0 ] && shift
    done
    set -- ${kept[@]+"${kept[@]}"}
elif [ -f "$config" ]; then
    if [ -n "$restarted" ]; then
        # Stopped before its first complete checkpoint: nothing to keep, and --out must be new.
        echo "slurm.sh: restart $SLURM_RESTART_COUNT of job $SLURM_JOB_ID: $out has no complete checkpoint, starting again"
        rm -rf "$out"
    fi
    arguments=(train --config "$config" --out "$out")
else
    echo "slurm.sh: $config is neither a config file nor a run directory (paths are relative to $PWD)" >&2
    exit 2
fi

# Every rank is one process on one core: BLAS must not start threads of its own.
export OPENBLAS_NUM_THREADS=1

if [ -n "${KOINE_TELEMETRY:-}" ]; then
    arguments+=(--telemetry "$KOINE_TELEMETRY")
fi
# The collector's public CURVE key (docs/telemetry.md) reaches ranks on other nodes only
# when mpirun is told to carry it (srun carries the whole environment).
forwarded=(-x OPENBLAS_NUM_THREADS=1)
if [ -n "${KOINE_TELEMETRY_SERVER_KEY:-}" ]; then
    forwarded+=(-x KOINE_TELEMETRY_SERVER_KEY)
fi
arguments+=("$@")

# One rank per core, bound to it, when the cores are the job's own: Slurm confined the job to
# its CPUs (task/affinity, task/cgroup) or gave it the whole node. Where jobs share a node
# unconfined (TaskPlugin=task/none), every job would bind its rank 0 to core 0: no binding.
bind=core
if [ "$(nproc)" -gt "${SLURM_CPUS_ON_NODE:-$(nproc)}" ]; then
    bind=none
fi
bind="${KOINE_BIND:-$bind}"

# On SIGTERM, mpirun (Open MPI 4.1) sends the ranks SIGCONT, waits odls_base_sigkill_timeout
# seconds (1 by default), sends SIGTERM, waits as long again, then SIGKILL: too soon for a
# checkpoint. Slurm signals the ranks itself, and kills everything after KillWait anyway.
export OMPI_MCA_odls_base_sigkill_timeout="${OMPI_MCA_odls_base_sigkill_timeout:-60}"
# Across nodes: a node that stops answering is noticed by mpirun in about 25 + 5 x 3 = 40 s,
# after the ranks' own 30 s peer timeout has named it (Open MPI's default keepalive takes
# 8 minutes); a daemon that cannot reach mpirun at once retries every second for 10 s.
export OMPI_MCA_oob_tcp_keepalive_time="${OMPI_MCA_oob_tcp_keepalive_time:-25}"
export OMPI_MCA_oob_tcp_keepalive_intvl="${OMPI_MCA_oob_tcp_keepalive_intvl:-5}"
export OMPI_MCA_oob_tcp_keepalive_probes="${OMPI_MCA_oob_tcp_keepalive_probes:-3}"
export OMPI_MCA_oob_tcp_peer_retries="${OMPI_MCA_oob_tcp_peer_retries:-10}"
export OMPI_MCA_oob_tcp_retry_delay="${OMPI_MCA_oob_tcp_retry_delay:-1}"

echo "slurm.sh: ${SLURM_NTASKS:-?} ranks on ${SLURM_JOB_NODELIST:-this host}, run directory $out, bound to $bind"
case "${KOINE_LAUNCHER:-mpirun}" in
    srun)
        # PMIx tells each task its rank; without it every task would be a lone rank 0.
        srun --mpi=pmix --cpu-bind=cores "$koine" "${arguments[@]}" &
        ;;
    mpirun)
        # Open MPI reads the allocation from Slurm: one rank per task, rank 0 on the first node.
        mpirun -np "${SLURM_NTASKS:-1}" --map-by slot --bind-to "$bind" \
            "${forwarded[@]}" "$koine" "${arguments[@]}" &
        ;;
    *)
        echo "slurm.sh: KOINE_LAUNCHER must be mpirun or srun, got ${KOINE_LAUNCHER}" >&2
        exit 2
        ;;
esac
launcher=$!

# This shell waits for the launcher in the background so that a signal sent to it alone
# (--signal=B:TERM@T, scancel -b) is handled now, not when the job ends: passed on to the
# ranks, they write a checkpoint and stop (koine train exits 143). mpirun passes SIGUSR1
# straight on to every rank on every node, and koine train takes it as SIGTERM.
signalled=""
on_term() {
    signalled=1
    if [ "${KOINE_LAUNCHER:-mpirun}" = srun ]; then
        kill -TERM "$launcher" 2> /dev/null || true    # srun passes it on to the tasks
    else
        kill -USR1 "$launcher" 2> /dev/null || true
    fi
}
trap on_term TERM
idle=0
while kill -0 "$launcher" 2> /dev/null; do
    if [ -z "$signalled" ]; then
        wait "$launcher" || true
    elif [ "${KOINE_LAUNCHER:-mpirun}" = mpirun ] && [ "${SLURM_JOB_NUM_NODES:-1}" -le 1 ]; then
        # mpirun, signalled by Slurm or aborting the job because its ranks exited 143, outlives
        # them by its own timers (above); on one node, once they are gone, it has nothing to do.
        if ps --ppid "$launcher" -o stat= | grep -qv '^Z'; then idle=0; else idle=$((idle + 1)); fi
        if [ "$idle" -ge 4 ]; then kill -KILL "$launcher" 2> /dev/null || true; fi
        sleep 0.5
    else
        sleep 0.5
    fi
done
status=0
wait "$launcher" || status=$?
trap - TERM

if [ -n "$signalled" ] && [ -n "${SLURM_JOB_ID:-}" ] && [ ! -f "$out/summary.json" ] \
    && scontrol show job "$SLURM_JOB_ID" 2> /dev/null | grep -q "JobState=RUNNING"; then
    # A warning before the time limit (or scancel -b): Slurm is not ending the job, so the
    # run goes on in the same job, requeued, from the checkpoint just written.
    echo "slurm.sh: stopped by SIGTERM at a checkpoint; requeueing job $SLURM_JOB_ID"
    scontrol requeue "$SLURM_JOB_ID"
fi
exit "$status"
