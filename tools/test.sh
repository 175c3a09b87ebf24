#!/usr/bin/env bash
# Sets up a Debian 12 machine (apt-get, and the pinned npm packages of
# tools/lint) and runs every hpsweep test: once as built normally, then the
# coordinator's unit and end-to-end tests again under AddressSanitizer + UndefinedBehavior-
# Sanitizer (--config=asan; tests tagged no-asan are left out, each saying
# why). This is the README's test command and what CI (.ci/run) calls.
set -euo pipefail
cd "$(dirname "$0")/.."
./tools/setup.sh
bazel test --config=ci //... "$@"
# The coordinator's unit and end-to-end tests again under ASan + UBSan: the
# code that parses what clients and disks hand it. The model and worker tests
# train LibTorch models for minutes; instrumented on two cores they outrun
# their timeouts (fno1d_test did), so they run in the plain pass only.
bazel test --config=ci --config=asan --build_tests_only \
  //common/... //proto/... //coordinator/... //tools/cli/... \
  //tests:coordinator_e2e_test //tests:hostile_input_e2e_test //tests:resilience_e2e_test "$@"
# libFuzzer targets, each for a bounded time from its seed corpus (clang, ASan
# + UBSan, in an output base of its own); HPSWEEP_FUZZ_SECONDS sets the time.
./tools/fuzz.sh
