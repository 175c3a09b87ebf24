#!/usr/bin/env bash
# One command for a GPU machine without Bazel: builds hpsweep's training path
# (models zoo, trainer, reducer, checkpoint, NCCL collectives) with CMake +
# Ninja against the Python torch's LibTorch and the pip NCCL, runs the GPU
# checks, then benchmarks hpsweep's trainer against PyTorch DDP (NCCL) on the
# same models. Everything it writes goes to OUTDIR; the build tree is
# <repo>/.gpu-build (git-ignored).
#
#   tools/gpu/run_gpu_checks.sh OUTDIR [--cpu] [--bench-steps N] [--no-bench]
#
#   --cpu            CPU fallback (no CUDA needed): builds against the LibTorch
#                    found, runs the checks on the CPU (CUDA-only checks skip)
#                    and the benchmark on the CPU. Without it, a machine where
#                    LibTorch sees no CUDA device fails the checks.
#   --bench-steps N  timed steps per benchmark run (default 200; warm-up 20)
#
# Needs: cmake >= 3.18, ninja, g++, a python with torch (HPSWEEP_PYTHON, else
# /opt/torch/.venv/bin/python3, else python3), and .gpu-deps staged by
# tools/gpu/stage_deps.sh. Overrides: TORCH_INCLUDE_DIR, TORCH_LIB_DIR,
# NCCL_INCLUDE_DIR, NCCL_LIBRARY, CUDA_INCLUDE_DIR, CUDART_LIBRARY, JOBS.
#
# Output: OUTDIR/{configure,build,checks,checks_novisible,bench}.log,
# checks.xml, summary.txt; stdout ends with "PASS|FAIL <step>" lines and one
# JSON line. Exit status 0 only when every step passed.
set -uo pipefail
usage() { echo "usage: $0 OUTDIR [--cpu] [--bench-steps N] [--no-bench]" >&2; exit 2; }
[[ $# -ge 1 ]] || usage
out="$1"; shift
cpu=0; bench=1; steps=200
while [[ $# -gt 0 ]]; do
  case "$1" in
    --cpu) cpu=1; shift ;;
    --no-bench) bench=0; shift ;;
    --bench-steps) steps="$2"; shift 2 ;;
    *) usage ;;
  esac
done
repo="$(cd "$(dirname "$0")/../.." && pwd)"
mkdir -p "$out"; out="$(cd "$out" && pwd)"
build="${HPSWEEP_GPU_BUILD:-$repo/.gpu-build}"
jobs="${JOBS:-$(nproc)}"
start=$SECONDS
declare -a results=()
overall=0
record() {  # NAME STATUS(0 ok) DETAIL
  local verdict=PASS
  [[ "$2" == 0 ]] || { verdict=FAIL; overall=1; }
  results+=("$verdict $1${3:+ ($3)}")
  echo "$verdict $1${3:+ ($3)}" | tee -a "$out/summary.txt"
}
: >"$out/summary.txt"

# ---- find python, torch, NCCL, CUDA ---------------------------------------
python="${HPSWEEP_PYTHON:-}"
if [[ -z "$python" ]]; then
  for p in /opt/torch/.venv/bin/python3 python3 /usr/bin/python3; do
    if command -v "$p" >/dev/null && "$p" -c 'import torch' 2>/dev/null; then python="$p"; break; fi
  done
fi
[[ -n "$python" ]] || { echo "no python with torch found (set HPSWEEP_PYTHON)" >&2; exit 1; }
eval "$("$python" - <<'PY'
import importlib.util, os, torch
d = os.path.dirname(torch.__file__)
print(f"torch_version={torch.__version__}")
print(f"torch_dir={d}")
print(f"torch_cuda={int(torch.cuda.is_available())}")
print(f"torch_abi={int(getattr(torch._C, '_GLIBCXX_USE_CXX11_ABI', True))}")
nccl = ""
try:
    spec = importlib.util.find_spec("nvidia.nccl")
    if spec and spec.submodule_search_locations:
        nccl = list(spec.submodule_search_locations)[0]
except ModuleNotFoundError:
    pass
print(f"pip_nccl={nccl}")
nvidia = ""
try:
    spec = importlib.util.find_spec("nvidia")
    if spec and spec.submodule_search_locations:
        nvidia = list(spec.submodule_search_locations)[0]
except ModuleNotFoundError:
    pass
print(f"pip_nvidia={nvidia}")
PY
)"
if [[ -z "${TORCH_INCLUDE_DIR:-}" ]]; then
  if [[ -f "$torch_dir/include/torch/csrc/api/include/torch/torch.h" ]]; then
    TORCH_INCLUDE_DIR="$torch_dir/include"; TORCH_LIB_DIR="${TORCH_LIB_DIR:-$torch_dir/lib}"
  else  # Debian's python3-torch: headers and libraries from libtorch-dev
    TORCH_INCLUDE_DIR=/usr/include; TORCH_LIB_DIR="${TORCH_LIB_DIR:-/usr/lib/$(gcc -print-multiarch)}"
  fi
fi
# The C++ standard LibTorch's CMake config asks for (17 for 1.13 and 2.x so far).
cxx_std=17
for f in "$TORCH_LIB_DIR"/../share/cmake/Caffe2/Caffe2Targets.cmake "$torch_dir"/share/cmake/Caffe2/Caffe2Targets.cmake; do
  if [[ -f "$f" ]]; then
    s="$(grep -o 'cxx_std_[0-9]*' "$f" | sed 's/cxx_std_//' | sort -n | tail -1)"
    [[ -n "$s" ]] && cxx_std="$s"
    break
  fi
done
first() { for f in "$@"; do [[ -e "$f" ]] && { echo "$f"; return; }; done; }
cuda_home="${CUDA_HOME:-/usr/local/cuda}"
if [[ ! -d "$cuda_home/include" ]] && command -v nvcc >/dev/null; then cuda_home="$(dirname "$(dirname "$(command -v nvcc)")")"; fi
# pip's CUDA runtime (cu12: nvidia/cuda_runtime, cu13: nvidia/cu13), if any.
pip_cudart_h="$(ls "$pip_nvidia"/*/include/cuda_runtime_api.h 2>/dev/null | head -1)"
pip_cudart_so="$(ls "$pip_nvidia"/*/lib/libcudart.so.1[0-9] 2>/dev/null | head -1)"
NCCL_INCLUDE_DIR="${NCCL_INCLUDE_DIR:-$(dirname "$(first "$pip_nccl/include/nccl.h" "$cuda_home/include/nccl.h" /usr/include/nccl.h)" 2>/dev/null)}"
NCCL_LIBRARY="${NCCL_LIBRARY:-$(first "$pip_nccl/lib/libnccl.so.2" "$pip_nccl/lib/libnccl.so" "$cuda_home/lib64/libnccl.so" "/usr/lib/$(gcc -print-multiarch)/libnccl.so")}"
CUDA_INCLUDE_DIR="${CUDA_INCLUDE_DIR:-$(dirname "$(first "$cuda_home/include/cuda_runtime_api.h" "$pip_cudart_h")" 2>/dev/null)}"
# The CUDA runtime LibTorch itself loads (pip's) comes first, so that one
# libcudart serves both; the toolkit's otherwise.
CUDART_LIBRARY="${CUDART_LIBRARY:-$(first "$pip_cudart_so" "$cuda_home/lib64/libcudart.so" "$cuda_home/lib/libcudart.so")}"
[[ "$NCCL_INCLUDE_DIR" == "." ]] && NCCL_INCLUDE_DIR=""
[[ "$CUDA_INCLUDE_DIR" == "." ]] && CUDA_INCLUDE_DIR=""
{
  echo "python=$python torch=$torch_version torch_cuda=$torch_cuda abi=$torch_abi cxx_std=$cxx_std"
  echo "TORCH_INCLUDE_DIR=$TORCH_INCLUDE_DIR TORCH_LIB_DIR=$TORCH_LIB_DIR"
  echo "NCCL_INCLUDE_DIR=$NCCL_INCLUDE_DIR NCCL_LIBRARY=$NCCL_LIBRARY"
  echo "CUDA_INCLUDE_DIR=$CUDA_INCLUDE_DIR CUDART_LIBRARY=$CUDART_LIBRARY"
  command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
} | tee "$out/environment.txt"
if [[ $cpu == 0 && $torch_cuda != 1 ]]; then
  echo "torch at $torch_dir sees no CUDA device; pass --cpu for the CPU fallback" | tee -a "$out/summary.txt"
  overall=1
fi

# A compiler whose own libstdc++ is only a static archive (the H200 image's
# /opt/gcc 13.3) copies libstdc++ into our binaries, and exports the copy's
# symbols to the shared libraries that use them. LibTorch, which loads the
# system's libstdc++.so.6, then runs that copy's std::locale destructor on
# locales its own library built: "free(): invalid pointer" at the first
# torch::jit::load (a checkpoint resume). Link the libstdc++.so.6 LibTorch
# loads instead, so that one libstdc++ serves both.
cxx="${CXX:-$(command -v c++ || command -v g++)}"
libstdcxx=""
if [[ "$("$cxx" -print-file-name=libstdc++.so)" != /* ]]; then
  libstdcxx="$(ldd "$TORCH_LIB_DIR/libtorch_cpu.so" 2>/dev/null | awk '/libstdc\+\+/ {print $3; exit}')"
  echo "$cxx has no shared libstdc++; linking LibTorch's: ${libstdcxx:-not found}" | tee -a "$out/environment.txt"
fi

# ---- configure + build (every compile error in one run) --------------------
cmake -S "$repo/tools/gpu" -B "$build" -G Ninja \
  -DTORCH_INCLUDE_DIR="$TORCH_INCLUDE_DIR" -DTORCH_LIB_DIR="$TORCH_LIB_DIR" \
  -DNCCL_INCLUDE_DIR="$NCCL_INCLUDE_DIR" -DNCCL_LIBRARY="$NCCL_LIBRARY" \
  -DCUDA_INCLUDE_DIR="$CUDA_INCLUDE_DIR" -DCUDART_LIBRARY="$CUDART_LIBRARY" \
  -DHPSWEEP_LIBSTDCXX="$libstdcxx" -DCMAKE_CXX_COMPILER="$cxx" \
  -DHPSWEEP_CXX_ABI="$torch_abi" -DHPSWEEP_CXX_STANDARD="$cxx_std" \
  -DCMAKE_POLICY_VERSION_MINIMUM=3.5 >"$out/configure.log" 2>&1
rc=$?; record configure $rc "$(grep -m1 'NCCL collectives' "$out/configure.log" | sed 's/^-- //')"
if [[ $rc != 0 ]]; then tail -30 "$out/configure.log"; fi
ninja -C "$build" -k 0 -j "$jobs" >"$out/build.log" 2>&1
rc=$?; record build $rc "$(grep -c 'error:' "$out/build.log") error lines, $(grep -c 'warning:' "$out/build.log") warnings, $((SECONDS - start)) s"
if [[ $rc != 0 ]]; then grep -E 'error:|FAILED:' "$out/build.log" | head -60; fi

# ---- checks ------------------------------------------------------------------
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 HPSWEEP_REPO_ROOT="$repo"
bin="$build/gpu_checks_test"
if [[ -x "$bin" ]]; then
  require=1; [[ $cpu == 1 ]] && require=0
  (cd "$repo" && HPSWEEP_REQUIRE_CUDA=$require OMPI_COMM_WORLD_LOCAL_RANK=0 timeout 300 "$bin" \
     --gtest_output="xml:$out/checks.xml") >"$out/checks.log" 2>&1
  rc=$?; record checks $rc "$(grep -E '^\[  (PASSED|FAILED|SKIPPED) ' "$out/checks.log" | tr '\n' ' ')"
  grep -E '^\[  FAILED  \]|^\[  SKIPPED \]|^(zoo|bf16|trainer|device|local_rank)' "$out/checks.log"
  # CUDA_VISIBLE_DEVICES is honoured: hiding every device leaves none.
  (cd "$repo" && CUDA_VISIBLE_DEVICES= HPSWEEP_EXPECT_VISIBLE_DEVICES=0 timeout 120 "$bin" \
     --gtest_filter='DeviceTest.*:RngStateTest.*:AutocastTest.*') >"$out/checks_novisible.log" 2>&1
  rc=$?; record checks_cuda_visible_devices_empty $rc
  if [[ $cpu == 0 && $torch_cuda == 1 ]]; then
    (cd "$repo" && CUDA_VISIBLE_DEVICES=0 HPSWEEP_EXPECT_VISIBLE_DEVICES=1 timeout 120 "$bin" \
       --gtest_filter='DeviceTest.*') >"$out/checks_visible0.log" 2>&1
    rc=$?; record checks_cuda_visible_devices_0 $rc
  fi
else
  record checks 1 "not built"
fi

# ---- benchmark: hpsweep trainer vs PyTorch DDP, same models -------------------
json_rows=""
if [[ $bench == 1 && -x "$build/gpu_train_bench" ]]; then
  device=cuda; [[ $cpu == 1 || $torch_cuda != 1 ]] && device=cpu
  [[ $device == cpu && $steps -gt 20 ]] && steps=20
  field() { grep -o "$1=[0-9.]*" | tail -1 | cut -d= -f2; }
  printf '%-10s %-6s %14s %14s %8s\n' model prec "hpsweep s/s" "DDP s/s" ratio | tee "$out/bench.txt"
  bench_rc=0
  for model in mlp lstm_freq; do
    for prec in fp32 bf16; do
      a="$("$build/gpu_train_bench" --model $model --precision $prec --device $device --steps "$steps" 2>>"$out/bench.log" | tee -a "$out/bench.log" | field samples_per_s)"
      b="$(cd "$out" && timeout 300 "$python" "$repo/tools/gpu/ddp_bench.py" --model $model --precision $prec --device $device --steps "$steps" 2>>"$out/bench.log" | tee -a "$out/bench.log" | field samples_per_s)"
      [[ -n "$a" && -n "$b" ]] || bench_rc=1
      ratio="$("$python" -c "import sys; a,b=sys.argv[1:]; print(f'{float(a)/float(b):.2f}' if a and b else 'n/a')" "$a" "$b")"
      printf '%-10s %-6s %14s %14s %8s\n' $model $prec "${a:-n/a}" "${b:-n/a}" "$ratio" | tee -a "$out/bench.txt"
      json_rows+="${json_rows:+, }\"${model}_${prec}\": {\"hpsweep_samples_per_s\": ${a:-null}, \"ddp_samples_per_s\": ${b:-null}}"
    done
  done
  record bench $bench_rc "device $device, $steps steps, world size 1"
fi

# ---- summary -----------------------------------------------------------------
echo "total wall: $((SECONDS - start)) s" | tee -a "$out/summary.txt"
json="{\"torch\": \"$torch_version\", \"cuda\": $torch_cuda, \"cpu_fallback\": $cpu, \"ok\": $([[ $overall == 0 ]] && echo true || echo false), \"wall_s\": $((SECONDS - start)), \"bench\": {${json_rows}}}"
echo "$json" | tee "$out/result.json"
exit $overall
