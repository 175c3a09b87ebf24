#!/usr/bin/env bash
# Copies the third-party sources that tools/gpu's CMake build needs and a GPU
# machine lacks into <repo>/.gpu-deps (git-ignored; about 5 MiB): the
# nlohmann/json headers and GoogleTest's sources, from Debian's nlohmann-json3-dev
# and googletest packages (installed by tools/setup.sh). Run it here, then carry
# .gpu-deps to the GPU machine with the work tree.
#
#   tools/gpu/stage_deps.sh [DEST]     # DEST default: <repo>/.gpu-deps
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
dest="${1:-$repo/.gpu-deps}"
[[ -f /usr/include/nlohmann/json.hpp ]] || { echo "stage_deps: /usr/include/nlohmann missing (apt-get install nlohmann-json3-dev)" >&2; exit 1; }
[[ -f /usr/src/googletest/CMakeLists.txt ]] || { echo "stage_deps: /usr/src/googletest missing (apt-get install googletest)" >&2; exit 1; }
rm -rf "$dest"
mkdir -p "$dest/include"
cp -r /usr/include/nlohmann "$dest/include/"
cp -r /usr/src/googletest "$dest/googletest"
# googlemock is not built (BUILD_GMOCK=OFF) but the top-level CMakeLists names it.
echo "staged into $dest: $(du -sh "$dest" | cut -f1)"
