#!/usr/bin/env bash
# Sets up a Debian 12 machine (apt-get only) and runs every hpsweep test.
# This is the README's test command and what CI (.ci/run) calls.
set -euo pipefail
cd "$(dirname "$0")/.."
./tools/setup.sh
bazel test --config=ci //... "$@"
# libFuzzer targets, each for a bounded time from its seed corpus (clang, ASan
# + UBSan, in an output base of its own); HPSWEEP_FUZZ_SECONDS sets the time.
./tools/fuzz.sh
