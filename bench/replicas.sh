#!/usr/bin/env bash
# Replicas (issue 18, part 6): `prism eval` of the moderation program on N
# generated snippets (default 400) against `prism simlm serve --latency-ms 50`
# servers, each endpoint allowed 4 calls at once, 16 evaluation threads:
#   one endpoint; the same endpoint and one replica; three endpoints; and two
#   endpoints of which one is killed a second into the run.
# Prints one Markdown table (docs/BENCHMARKS.md, "Replicas"): wall time, the
# throughput ratio to one endpoint, the ideal ratio, and how the calls spread.
#   bench/replicas.sh [BUILD_DIR] [N]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
n=${2:-400}
prism="$(realpath "$build/app/prism")"
work=$(mktemp -d)
servers=()
trap 'kill "${servers[@]}" 2>/dev/null || true; [ -n "${KEEP:-}" ] || rm -rf "$work"' EXIT
export PRISM_DATA_DIR="$work/data"

start_server() { # sets $url; appends the pid to servers
  local log="$work/server-${#servers[@]}.txt"
  "$prism" simlm serve --latency-ms 50 >"$log" 2>&1 &
  servers+=($!)
  for _ in $(seq 100); do grep -q "http://" "$log" 2>/dev/null && break; sleep 0.1; done
  url=$(grep -o "http://[0-9.:]*/v1" "$log" | head -1)
  [ -n "$url" ] || { echo "a SimLm server did not start" >&2; exit 1; }
}
start_server; a=$url; pid_a=${servers[0]}
start_server; b=$url
start_server; c=$url

# study NAME URL [REPLICA...]: the moderation program on the generated test set.
study() {
  python3 - "$n" "$work" "$@" <<'PY'
import json, os, random, sys
n, work, name, url, replicas = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5:]
data = os.path.join(work, "rows.jsonl")
if not os.path.exists(data):
    rng = random.Random(18)
    words = ["Thanks for", "Nobody asked for", "Please stop", "Great job on", "You people ruin", "Loved reading"]
    things = ["the release notes", "your comment", "this thread", "the new build", "the design doc"]
    with open(data, "w") as f:
        for i in range(n):
            f.write(json.dumps({"snippet": f"{rng.choice(words)} {rng.choice(things)} (#{i})",
                                "severity": "low", "policy_violations": []}) + "\n")
s = json.load(open("samples/moderation/moderation.prism.json"))
s["data"] = {"train": {"path": os.path.abspath("samples/moderation/train.jsonl")}, "test": {"path": data}}
task = {"provider": "openai", "model": "sim-small", "base_url": url, "max_concurrency": 4}
if replicas:
    task["replicas"] = [{"base_url": r} for r in replicas]
s["models"] = {"task": task}
s["eval"]["threads"] = 16
json.dump(s, open(os.path.join(work, name + ".prism.json"), "w"), indent=2)
PY
  echo "$work/$1.prism.json"
}

run() { # label ideal study [kill-after-seconds]
  local label=$1 ideal=$2 file=$3 kill_after=${4:-}
  local start end
  start=$(date +%s.%N)
  "$prism" eval "$file" --split test --no-cache --json --quiet >"$work/out.json" 2>"$work/err.txt" &
  local eval_pid=$!
  if [ -n "$kill_after" ]; then sleep "$kill_after"; kill -9 "$pid_a"; fi
  wait "$eval_pid" || { cat "$work/err.txt" >&2; exit 1; }
  end=$(date +%s.%N)
  python3 - "$label" "$ideal" "$start" "$end" "$work/out.json" "${base:-}" <<'PY'
import json, sys
label, ideal, start, end, out, base = sys.argv[1:]
secs = float(end) - float(start)
j = json.load(open(out))
spread = j["ledger"].get("by_endpoint", {})
calls = " / ".join(str(t["lm_calls"]) for t in spread.values()) or str(j["ledger"]["totals"]["lm_calls"])
ratio = f"{float(base) / secs:.2f}" if base else "1.00"
print(f"| {label} | {j['scored']} of {j['total']} | {j['ledger']['totals']['errors']} | {secs:.2f} | {ratio} | {ideal} | {calls} | {j['ledger']['totals']['retries']} |")
open(out + ".secs", "w").write(f"{secs}")
PY
}

echo "| endpoints | scored | errors | wall s | throughput vs 1 | ideal | calls per endpoint | retries |"
echo "|---|---|---|---|---|---|---|---|"
run "1" "1.00" "$(study one "$a")"
base=$(cat "$work/out.json.secs")
run "2" "2.00" "$(study two "$a" "$b")"
run "3" "3.00" "$(study three "$a" "$b" "$c")"
run "2, the first killed after 1 s" "-" "$(study killed "$a" "$b")" 1
