#!/usr/bin/env bash
# Runs mo_problems_test.py with Debian's python3 (numpy from python3-numpy,
# which tools/setup.sh installs with python3-optuna).
set -euo pipefail
cd "$(dirname "$0")"
exec /usr/bin/python3 mo_problems_test.py
