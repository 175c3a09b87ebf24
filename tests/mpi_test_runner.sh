#!/usr/bin/env bash
# Runs a test binary as NP MPI ranks on this machine. Usage: mpi_test_runner.sh NP BINARY [ARGS...]
set -euo pipefail
np="$1"
shift
binary="$1"
shift
if ! command -v mpirun >/dev/null; then
  echo "mpirun not found: install openmpi-bin (tools/setup.sh)" >&2
  exit 1
fi
# GoogleTest writes one XML file per rank would clash; each rank logs to stdout.
unset XML_OUTPUT_FILE GTEST_OUTPUT
export OMPI_MCA_btl=self,vader,tcp
export OMPI_MCA_btl_vader_single_copy_mechanism=none
export OMPI_MCA_rmaps_base_oversubscribe=1
export OPENBLAS_NUM_THREADS="${OPENBLAS_NUM_THREADS:-1}"
exec mpirun --allow-run-as-root --oversubscribe --bind-to none -np "$np" \
  -x OPENBLAS_NUM_THREADS -x OMP_NUM_THREADS -x HPSWEEP_LOG_LEVEL -x TEST_TMPDIR \
  "$binary" "$@"
