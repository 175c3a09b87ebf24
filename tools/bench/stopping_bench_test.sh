#!/usr/bin/env bash
# Runs stopping_bench_test.py with Debian's python3 (standard library only).
set -euo pipefail
cd "$(dirname "$0")"
exec /usr/bin/python3 stopping_bench_test.py
