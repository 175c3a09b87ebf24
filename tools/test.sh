#!/usr/bin/env bash
# Sets up a Debian 12 machine (apt-get, and the pinned npm packages of
# tools/lint) and runs every hpsweep test: once as built normally, then the
# unit and end-to-end tests again under AddressSanitizer + UndefinedBehavior-
# Sanitizer (--config=asan; tests tagged no-asan are left out, each saying
# why). This is the README's test command and what CI (.ci/run) calls.
set -euo pipefail
cd "$(dirname "$0")/.."
./tools/setup.sh
bazel test --config=ci //... "$@"
# Only what the tests need is built instrumented (no benchmarks).
bazel test --config=ci --config=asan --build_tests_only //... "$@"
# libFuzzer targets, each for a bounded time from its seed corpus (clang, ASan
# + UBSan, in an output base of its own); HPSWEEP_FUZZ_SECONDS sets the time.
./tools/fuzz.sh
