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
#   KOINE_TELEMETRY_SERVER_KEY  the collector's public CURVE key (koine keys), passed to every rank
#
#SBATCH --job-name=koine
#SBATCH --nodes=1
#SBATCH --ntasks-per-node=4
#SBATCH --cpus-per-task=1
#SBATCH --mem-per-cpu=2G
#SBATCH --time=04:00:00
#SBATCH --output=slurm-%j.out

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
if [ -d "$config" ]; then
    # A run directory: continue it from its newest complete checkpoint.
    out="$config"
    arguments=(train --resume "$out")
elif [ -f "$config" ]; then
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

echo "slurm.sh: ${SLURM_NTASKS:-?} ranks on ${SLURM_JOB_NODELIST:-this host}, run directory $out"
case "${KOINE_LAUNCHER:-mpirun}" in
    srun)
        # PMIx tells each task its rank; without it every task would be a lone rank 0.
        srun --mpi=pmix --cpu-bind=cores "$koine" "${arguments[@]}"
        ;;
    mpirun)
        # Open MPI reads the allocation from Slurm: one rank per task, rank 0 on the first node.
        mpirun -np "${SLURM_NTASKS:-1}" --map-by slot --bind-to core \
            "${forwarded[@]}" "$koine" "${arguments[@]}"
        ;;
    *)
        echo "slurm.sh: KOINE_LAUNCHER must be mpirun or srun, got ${KOINE_LAUNCHER}" >&2
        exit 2
        ;;
esac
