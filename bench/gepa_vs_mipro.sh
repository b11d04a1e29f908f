#!/usr/bin/env bash
# GEPA against MIPROv2 (auto light, seed 0, sim-small) on the three samples:
# held-out test score with the paired bootstrap interval against the baseline,
# metric calls against DSPy's light budget, calls by role, and wall time with
# the models behind `prism simlm serve` at 50 ms per call and 8 threads.
#   bench/gepa_vs_mipro.sh [BUILD_DIR]      (default build/)
#   SAMPLES="moderation_pipeline qa_pipeline" bench/gepa_vs_mipro.sh   (other samples)
# Prints one Markdown table (docs/BENCHMARKS.md, "GEPA").
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
prism="$build/app/prism"
work=$(mktemp -d)
trap 'kill "${server:-0}" 2>/dev/null || true; rm -rf "$work"' EXIT
export PRISM_DATA_DIR="$work/data"

. bench/simlm_server.sh
start_simlm_server

echo "| sample | optimizer | test baseline | test optimized | difference [95% CI] | metric calls (DSPy light budget) | calls by role | wall s |"
echo "|---|---|---|---|---|---|---|---|"
for sample in ${SAMPLES:-moderation qa math}; do
  study="$work/$sample.prism.json"
  study_on_server "$sample" "$study"
  for optimizer in miprov2 gepa; do
    dry=$("$prism" optimize "$study" --optimizer gepa --auto light --seed 0 --dry-run --json)
    start=$(date +%s.%N)
    "$prism" optimize "$study" --optimizer "$optimizer" --auto light --seed 0 --threads 8 --no-cache \
      --store "$work/runs.sqlite" --out "$work/$sample-$optimizer.json" --json --quiet >"$work/out.json" || true
    end=$(date +%s.%N)
    python3 - "$sample" "$optimizer" "$start" "$end" "$dry" "$work/out.json" <<'PY'
import json, sys
sample, optimizer, start, end, dry, out = sys.argv[1:]
r = json.load(open(out))
budget = json.loads(dry)["gepa"]["max_metric_calls"]
c = r["comparison"]
calls = r["calls_by_role"]
# Task calls of bootstrap and evaluation: program runs for a one-stage program
# (a pipeline makes one call per stage, and a run pays once for a request
# repeated under another configuration).
metric = sum(calls.get(k, {}).get("calls", 0) + calls.get(k, {}).get("cache_hits", 0) for k in ("evaluation", "minibatch", "bootstrap"))
roles = ", ".join(f"{k} {v['calls']}" for k, v in sorted(calls.items()) if v["calls"])
lo, hi = c["difference_ci"]
print(f"| {sample} | {optimizer} | {c['baseline_score']:.2f} | {c['optimized_score']:.2f} | "
      f"{c['difference']:+.2f} [{lo:+.2f}, {hi:+.2f}] | {metric} ({budget}) | {roles} | {float(end) - float(start):.1f} |")
PY
  done
done
