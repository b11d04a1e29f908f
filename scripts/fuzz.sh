#!/usr/bin/env bash
# Fuzzes Prism's parsers of outside input with libFuzzer (clang, ASan+UBSan).
#   scripts/fuzz.sh [--seconds N] [--jobs J] [target ...]
# Builds build-fuzz/ with clang, seeds each target's working corpus from
# fuzz/corpus/<target> and fuzz/regressions/<target>, runs each target for N
# seconds (default 600), J at a time (default 1), and writes a summary table to
# build-fuzz/fuzz-summary.md. Crashing inputs land in build-fuzz/crashes/<target>/;
# the script exits 1 when any target crashed. Targets: csv jsonl json study
# artifact chat_adapter json_adapter openai_response anthropic_response prices api_request jsmetric.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
dir=${BUILD_DIR:-build-fuzz}
seconds=600
jobs=1
targets=()
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds=$2; shift 2 ;;
    --jobs) jobs=$2; shift 2 ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    *) targets+=("$1"); shift ;;
  esac
done

if ! command -v clang++ >/dev/null; then
  echo "fuzz.sh: needs clang (libFuzzer): apt-get install -y --no-install-recommends clang" >&2
  exit 2
fi
./scripts/install-deps.sh >/dev/null
CXX=clang++ cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPRISM_FUZZ=ON >/dev/null
cmake --build "$dir" -j "$(nproc)"

if [ ${#targets[@]} -eq 0 ]; then
  for exe in "$dir"/fuzz/fuzz_*; do targets+=("$(basename "$exe" | sed 's/^fuzz_//')"); done
fi

export ASAN_OPTIONS="halt_on_error=1:detect_leaks=1"
export LSAN_OPTIONS="suppressions=$root/fuzz/lsan.supp:print_suppressions=0"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"
run_one() {
  local t=$1
  local work="$dir/corpus/$t" crashes="$dir/crashes/$t" log="$dir/logs/$t.log"
  mkdir -p "$work" "$crashes" "$dir/logs"
  local seeds=("$root/fuzz/corpus/$t")
  [ -d "$root/fuzz/regressions/$t" ] && seeds+=("$root/fuzz/regressions/$t")
  local dict=()
  [ -f "$root/fuzz/dict/$t.dict" ] && dict=(-dict="$root/fuzz/dict/$t.dict")
  local status=0
  "$dir/fuzz/fuzz_$t" -max_total_time="$seconds" -timeout=30 -rss_limit_mb=4096 -print_final_stats=1 \
    -artifact_prefix="$crashes/" "${dict[@]}" "$work" "${seeds[@]}" >"$log" 2>&1 || status=$?
  echo "$status" >"$dir/logs/$t.status"
}

started=$(date +%s)
running=0
for t in "${targets[@]}"; do
  if [ ! -x "$dir/fuzz/fuzz_$t" ]; then echo "fuzz.sh: no target $t" >&2; exit 2; fi
  echo "fuzzing $t for ${seconds}s"
  run_one "$t" &
  running=$((running + 1))
  if [ "$running" -ge "$jobs" ]; then wait -n || true; running=$((running - 1)); fi
done
wait || true

summary="$dir/fuzz-summary.md"
crashed=0
{
  echo "Fuzz run of $(date -u +%Y-%m-%d), ${seconds} s per target, ${jobs} at a time, $(nproc) cores, $(clang++ --version | head -1)."
  echo
  echo "| target | seconds | inputs executed | exec/s | corpus | coverage (edges) | crashes |"
  echo "|---|---|---|---|---|---|---|"
  for t in "${targets[@]}"; do
    log="$dir/logs/$t.log"
    execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo "?")
    speed=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo "?")
    elapsed=$(grep -o 'Done [0-9]* runs in [0-9]* second' "$log" | grep -o 'in [0-9]*' | grep -o '[0-9]*' || echo "?")
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*' || echo "?")
    corpus=$(find "$dir/corpus/$t" -type f | wc -l)
    found=$(find "$dir/crashes/$t" -type f | wc -l)
    [ "$(cat "$dir/logs/$t.status")" != 0 ] && [ "$found" -eq 0 ] && found="exit $(cat "$dir/logs/$t.status")"
    [ "$found" != 0 ] && crashed=1
    echo "| $t | ${elapsed:-$seconds} | $execs | $speed | $corpus | $cov | $found |"
  done
} >"$summary"
cat "$summary"
echo "wall time: $(( $(date +%s) - started )) s; logs in $dir/logs, crashes in $dir/crashes"
exit "$crashed"
