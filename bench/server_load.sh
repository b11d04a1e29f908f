#!/usr/bin/env bash
# The team server under load (issue 18), against `prism simlm serve --latency-ms 50`,
# with a throwaway PostgreSQL cluster (tests/support/pg_cluster.sh):
#   1. Event streams: one run of the moderation sample (auto heavy, 8 threads,
#      no cache) on one worker, alone and with S clients (default 200) following
#      its events (`curl -N` on /v1/runs/ID/events); twice each, alternated.
#      The run's own duration (its run_finished elapsed) with and without.
#   2. Throughput: R runs (default 50, seeds 0..R-1, auto light, no cache)
#      submitted at once through the API, then 2 workers with --runs R/2; the
#      task model allows C calls at once (default 8) per worker. Wall time
#      against the ideal (model calls x 50 ms / (2 x C)): saturation = ideal /
#      wall. PER_WORKER=N sets --runs (default R/2).
# Prints two Markdown tables (docs/BENCHMARKS.md, "Team server").
#   bench/server_load.sh [BUILD_DIR] [SUBSCRIBERS] [RUNS] [C]
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
build=${1:-build}
subscribers=${2:-200}
runs=${3:-50}
conc=${4:-8}
prism="$(realpath "$build/app/prism")"
work=$(mktemp -d)
chmod 755 "$work"
pids=()
cleanup() {
  kill "${pids[@]}" 2>/dev/null || true
  pkill -f "curl -sN -H Authorization: Bearer" 2>/dev/null || true
  "$root/tests/support/pg_cluster.sh" stop "$work/pg" >/dev/null 2>&1 || true
  [ -n "${KEEP:-}" ] || rm -rf "$work"
}
trap cleanup EXIT
export PRISM_DATA_DIR="$work/data"

mkdir -p "$work/pg"
"$root/tests/support/pg_cluster.sh" start "$work/pg" >/dev/null
store=$(cat "$work/pg/url")
export PRISM_STORE="$store"

"$prism" simlm serve --latency-ms 50 >"$work/sim.txt" 2>&1 &
pids+=($!)
for _ in $(seq 100); do grep -q "http://" "$work/sim.txt" 2>/dev/null && break; sleep 0.1; done
sim=$(grep -o "http://[0-9.:]*/v1" "$work/sim.txt" | head -1)

"$prism" serve --api --listen 127.0.0.1:0 --http-threads $((subscribers + 16)) --allow-endpoints "$sim" \
  >"$work/api.txt" 2>&1 &
pids+=($!)
for _ in $(seq 100); do grep -q "listening on" "$work/api.txt" 2>/dev/null && break; sleep 0.1; done
api=$(grep -o "http://127.0.0.1:[0-9]*" "$work/api.txt" | head -1)
token=$("$prism" serve token add bench --team bench 2>/dev/null)

# body SEED AUTO: a POST /v1/runs body for the moderation sample on the sim server.
body() {
  python3 - "$root/samples/moderation" "$sim" "$conc" "$1" "$2" <<'PY'
import json, sys
sample, sim, conc, seed, auto = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
study = json.load(open(sample + "/moderation.prism.json"))
study["models"] = {"task": {"provider": "openai", "model": "sim-small", "base_url": sim, "max_concurrency": conc}}
files = {name: open(sample + "/" + name).read() for name in ("train.jsonl", "test.jsonl")}
print(json.dumps({"study": study, "files": files,
                  "settings": {"seed": seed, "auto": auto, "use_cache": False, "threads": 8}}))
PY
}
submit() { # SEED AUTO -> prints the run id
  body "$1" "$2" | curl -s -H "Authorization: Bearer $token" -H "Content-Type: application/json" \
    --data-binary @- "$api/v1/runs" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])'
}
sql() { psql -X -A -t -q "$store" -c "$1" 2>/dev/null || runuser -u nobody -- psql -X -A -t -q "$store" -c "$1"; }
# --- 1. event streams -------------------------------------------------------
stream_run() { # SUBSCRIBERS SEED -> the run's seconds; checks each client got every event
  local n=$1 seed=$2 id
  id=$(submit "$seed" heavy)
  local clients=()
  for i in $(seq "$n"); do
    curl -sN -H "Authorization: Bearer $token" "$api/v1/runs/$id/events" >"$work/sse-$id-$i.txt" 2>/dev/null &
    clients+=($!)
  done
  sleep 1
  "$prism" serve --worker --poll-seconds 0.1 --exit-when-idle >"$work/worker-$id.txt" 2>&1
  for c in "${clients[@]}"; do wait "$c" 2>/dev/null || true; done
  local events complete=0
  events=$(sql "SELECT COUNT(*) FROM events WHERE run_id = '$id'")
  for i in $(seq "$n"); do
    [ "$(grep -c '^id: ' "$work/sse-$id-$i.txt")" = "$events" ] && complete=$((complete + 1))
  done
  rm -f "$work"/sse-"$id"-*.txt
  echo "$(sql "SELECT elapsed FROM events WHERE run_id = '$id' ORDER BY seq DESC LIMIT 1") $events $complete"
}
declare -a alone with
for round in 1 2; do
  read -r t e _ < <(stream_run 0 $((round * 10)))
  alone+=("$t")
  read -r t e c < <(stream_run "$subscribers" $((round * 10)))
  with+=("$t")
  echo "round $round: alone ${alone[-1]} s, with $subscribers clients ${with[-1]} s ($c of $subscribers got all $e events)" >&2
done
python3 - "$subscribers" "${alone[@]}" "${with[@]}" <<'PY'
import sys
n = sys.argv[1]
alone, with_ = [float(x) for x in sys.argv[2:4]], [float(x) for x in sys.argv[4:6]]
a, w = sum(alone) / 2, sum(with_) / 2
print("| the run (moderation, heavy, 8 threads, 50 ms per call) | seconds (2 rounds) | ratio |")
print("|---|---|---|")
print(f"| no client following it | {alone[0]:.2f}, {alone[1]:.2f} | 1.00 |")
print(f"| {n} clients following its events | {with_[0]:.2f}, {with_[1]:.2f} | {w / a:.3f} |")
print()
PY

# --- 2. throughput: R runs on 2 workers -----------------------------------------
submits=()
for seed in $(seq 0 $((runs - 1))); do
  submit "$seed" light >/dev/null &
  submits+=($!)
done
wait "${submits[@]}"
half=${PER_WORKER:-$(( (runs + 1) / 2 ))}
start=$(date +%s.%N)
"$prism" serve --worker --runs "$half" --poll-seconds 0.1 --exit-when-idle >"$work/w1.txt" 2>&1 &
w1=$!
"$prism" serve --worker --runs "$half" --poll-seconds 0.1 --exit-when-idle >"$work/w2.txt" 2>&1 &
w2=$!
wait "$w1" "$w2"
end=$(date +%s.%N)
calls=$(sql "SELECT COUNT(*) FROM ledger WHERE cache_hit = 0 AND role <> '' AND run_id IN (SELECT id FROM runs WHERE study_path LIKE '(uploaded)%' AND optimizer_config LIKE '%\"light\"%')")
finished=$(sql "SELECT COUNT(*) FROM runs WHERE status = 'finished' AND optimizer_config LIKE '%\"light\"%'")
python3 - "$runs" "$conc" "$calls" "$start" "$end" "$finished" "$half" <<'PY'
import sys
runs, conc, calls = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
start, end, finished = float(sys.argv[4]), float(sys.argv[5]), int(sys.argv[6])
wall = end - start
ideal = calls * 0.050 / (2 * conc)
print(f"| {runs} runs (moderation, light), 2 workers x --runs {sys.argv[7]}, {conc} calls at once each | |")
print("|---|---|")
print(f"| runs finished | {finished} of {runs} |")
print(f"| model calls | {calls} |")
print(f"| wall time | {wall:.1f} s |")
print(f"| ideal (calls x 50 ms / {2 * conc} slots) | {ideal:.1f} s |")
print(f"| saturation (ideal / wall) | {ideal / wall:.2f} |")
PY
