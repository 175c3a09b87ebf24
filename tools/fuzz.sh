#!/usr/bin/env bash
# Builds the libFuzzer targets with Debian's clang (ASan + UBSan, --config=fuzz)
# in a Bazel output base of their own and runs each for a bounded time from
# its seed corpus (tests/fuzz/corpus/<target>/). Called by tools/test.sh.
#
#   HPSWEEP_FUZZ_SECONDS   time per target (default 20)
#   HPSWEEP_FUZZ_OUTPUT_BASE   where the clang build lives
#                          (default ~/.cache/hpsweep/bazel-fuzz)
#
# A finding stops the script non-zero; the input that caused it is kept in
# $HPSWEEP_FUZZ_ARTIFACTS (default /tmp/hpsweep-fuzz-artifacts) and can be
# replayed with the default build: bazel test //<package>:<target> after
# copying it into the target's corpus folder.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${HPSWEEP_FUZZ_SECONDS:-20}
output_base=${HPSWEEP_FUZZ_OUTPUT_BASE:-$HOME/.cache/hpsweep/bazel-fuzz}
artifacts=${HPSWEEP_FUZZ_ARTIFACTS:-/tmp/hpsweep-fuzz-artifacts}
targets=(
  //proto:json_reader_fuzzer
  //coordinator/search:sweep_file_fuzzer
  //coordinator/store:store_codec_fuzzer
  //coordinator/http:api_fuzzer
)

bazel_fuzz() { bazel --output_base="$output_base" "$@"; }

bazel_fuzz build --config=fuzz --config=ci "${targets[@]}"
bin=$(bazel_fuzz info --config=fuzz bazel-bin 2>/dev/null)
mkdir -p "$artifacts"
for target in "${targets[@]}"; do
  package=${target#//}
  package=${package%%:*}
  name=${target##*:}
  # New inputs go to a scratch folder; the committed corpus is only read.
  # -timeout is a hang detector only: a loaded CI machine must not turn a
  # slow input into a finding.
  scratch=$(mktemp -d)
  echo "fuzz: $name for ${seconds}s"
  if ! ASAN_OPTIONS=detect_leaks=0:allocator_may_return_null=1 \
    UBSAN_OPTIONS=print_stacktrace=1 \
    "$bin/$package/$name" -max_total_time="$seconds" -timeout=300 -rss_limit_mb=4096 \
      -max_len=1100000 -print_final_stats=1 -artifact_prefix="$artifacts/$name-" \
      "$scratch" "tests/fuzz/corpus/$name" >"$artifacts/$name.log" 2>&1; then
    tail -n 60 "$artifacts/$name.log" >&2
    echo "fuzz: $name found a problem; its input is in $artifacts/" >&2
    rm -rf "$scratch"
    exit 1
  fi
  grep -E "^stat::number_of_executed_units|^stat::new_units_added|Done [0-9]+ runs" \
    "$artifacts/$name.log" | sed "s/^/fuzz: $name: /" || true
  rm -rf "$scratch"
done
echo "fuzz: ${#targets[@]} targets ran ${seconds}s each, no finding"
