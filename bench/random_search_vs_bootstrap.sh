#!/usr/bin/env bash
# BootstrapFewShotWithRandomSearch against BootstrapFewShot (seed 0, the
# samples' knobs, SimLm in-process) on the three samples: validation and
# held-out test scores, the winning candidate and the calls by role.
#   bench/random_search_vs_bootstrap.sh [BUILD_DIR]      (default build/)
# Prints one Markdown table (docs/BENCHMARKS.md, "Random search").
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
prism="$build/app/prism"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export PRISM_DATA_DIR="$work/data"

echo "| sample | optimizer | val baseline | val best | test baseline | test optimized | difference [95% CI] | calls by role |"
echo "|---|---|---|---|---|---|---|---|"
for sample in moderation qa math; do
  for optimizer in bootstrap random_search; do
    "$prism" optimize "samples/$sample/$sample.prism.json" --optimizer "$optimizer" --seed 0 --threads 8 \
      --no-cache --store "$work/runs.sqlite" --out "$work/$sample-$optimizer.json" --json --quiet \
      >"$work/out.json" || true
    python3 - "$sample" "$optimizer" "$work/out.json" <<'PY'
import json, sys
sample, optimizer, out = sys.argv[1:]
r = json.load(open(out))
c = r["comparison"]
calls = r["calls_by_role"]
roles = ", ".join(f"{k} {v['calls']}" for k, v in sorted(calls.items()) if v["calls"])
score = lambda v: "-" if v is None else f"{v:.2f}"
lo, hi = c["difference_ci"]
print(f"| {sample} | {optimizer} | {score(r.get('baseline_score'))} | {score(r.get('best_score'))} | "
      f"{c['baseline_score']:.2f} | {c['optimized_score']:.2f} | {c['difference']:+.2f} [{lo:+.2f}, {hi:+.2f}] | {roles} |")
PY
  done
done
