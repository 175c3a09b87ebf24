#!/usr/bin/env bash
# Runs cmake_sources_test.py with Debian's python3 (standard library only).
set -euo pipefail
cd "$(dirname "$0")"
exec /usr/bin/python3 cmake_sources_test.py
