#!/usr/bin/env bash
# Runs bo_problems_test.py with Debian's python3 (standard library only).
set -euo pipefail
cd "$(dirname "$0")"
exec /usr/bin/python3 bo_problems_test.py
