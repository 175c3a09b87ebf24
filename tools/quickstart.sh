#!/usr/bin/env bash
# Sets up a Debian 12 machine (apt-get only), builds hpsweep and runs the main job.
set -euo pipefail
cd "$(dirname "$0")/.."
./tools/setup.sh
bazel build //coordinator:hpsweep-coordinator //worker:hpsweep-worker
./bazel-bin/coordinator/hpsweep-coordinator --version
OPENBLAS_NUM_THREADS=1 mpirun --allow-run-as-root --oversubscribe -np 2 ./bazel-bin/worker/hpsweep-worker
