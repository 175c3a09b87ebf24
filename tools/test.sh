#!/usr/bin/env bash
# Sets up a Debian 12 machine (apt-get only) and runs every hpsweep test.
# This is the README's test command and what CI (.ci/run) calls.
set -euo pipefail
cd "$(dirname "$0")/.."
./tools/setup.sh
bazel test --config=ci //... "$@"
