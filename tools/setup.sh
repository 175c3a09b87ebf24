#!/usr/bin/env bash
# Installs exactly the Debian 12 packages that hpsweep's build, tests, runs and
# benchmarks need, and the pinned npm packages of tools/lint (the OpenAPI
# linter) and tests/browser (playwright-core, for Debian's Chromium).
# Idempotent: what is already present is left alone; nothing is fetched from
# anywhere but Debian's archive and the npm registry.
set -euo pipefail

PACKAGES=(
  # Build toolchain.
  bazel-bootstrap bazel-rules-cc bazel-rules-java g++ git
  # Libraries hpsweep links.
  libtorch-dev libopenmpi-dev openmpi-bin librocksdb-dev libboost-dev
  nlohmann-json3-dev libgtest-dev libgmock-dev
  # YAML sweep files (proto/sweep_file.cc).
  libyaml-cpp-dev
  # Debian's libtorch links the reference BLAS; OpenBLAS takes over libblas.so.3.
  libopenblas0-pthread
  # Anchors run on Debian's system python3 (benchmarks compare against them).
  python3 python3-torch python3-optuna
  # The BO benchmark's model-tuning task (tools/bench/bo_problems.py).
  python3-sklearn
  # Used by tests and tools: promtool (checks /metrics) is in prometheus.
  curl procps prometheus
  # The Slurm test (tests/cluster/slurm_e2e_test.sh) starts its own slurmctld,
  # slurmd and munged; the multi-host test puts hosts in network namespaces.
  slurm-wlm munge iproute2
  # Fuzzing (tools/fuzz.sh): Debian's clang and its libFuzzer/sanitizer runtimes.
  clang libclang-rt-14-dev
  # The dashboard's browser test and benchmark (tests/browser): headless Chromium.
  chromium
)
# Node.js and npm run the OpenAPI linter; Debian's packages unless a Node.js
# (with its npm) is installed already.
command -v node >/dev/null 2>&1 || PACKAGES+=(nodejs)
command -v npm >/dev/null 2>&1 || PACKAGES+=(npm)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if ((${#missing[@]})); then
  SUDO=""
  [[ $(id -u) -ne 0 ]] && SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -q
  $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# OpenBLAS must be the provider of libblas.so.3 (the reference BLAS is ~15x slower).
blas=$(readlink -f /usr/lib/x86_64-linux-gnu/libblas.so.3 || true)
case "$blas" in
  *openblas*) ;;
  *) echo "setup: libblas.so.3 resolves to '$blas', not OpenBLAS" >&2; exit 1 ;;
esac

# npm packages, each folder's package-lock.json pinning every version: the
# OpenAPI linter (tools/lint) and playwright-core, which drives Debian's
# Chromium in the dashboard's browser test (tests/browser; it never downloads
# a browser). npm ci runs again only when a lock file changed, so later runs
# work offline.
for npm_dir in "$(dirname "$0")/lint" "$(dirname "$0")/../tests/browser"; do
  lock_sum=$(sha256sum "$npm_dir/package-lock.json" | cut -d' ' -f1)
  marker="$npm_dir/node_modules/.hpsweep-lock-sha256"
  if [[ "$(cat "$marker" 2>/dev/null)" != "$lock_sum" ]]; then
    (cd "$npm_dir" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error)
    echo "$lock_sum" > "$marker"
  fi
done
