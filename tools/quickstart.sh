#!/usr/bin/env bash
# The README's first command: sets up a Debian 12 machine (apt-get only),
# builds hpsweep and runs the quickstart sweep on this machine — an embedded
# coordinator and two local MPI worker jobs — printing live progress and the
# best trials. Extra arguments go to `hpsweep run` (e.g. --workers 1).
set -euo pipefail
cd "$(dirname "$0")/.."
./tools/setup.sh
bazel build //tools/cli:hpsweep //coordinator:hpsweep-coordinator //worker:hpsweep-worker
# By the repository's bazel-bin link (just updated by the build), so that the
# commands the run suggests at its end work as printed from here.
exec bazel-bin/tools/cli/hpsweep run tools/examples/quickstart.json \
  --data-dir "${HPSWEEP_QUICKSTART_DIR:-runs/quickstart}" "$@"
