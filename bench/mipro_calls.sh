#!/usr/bin/env bash
# MIPROv2 light (seed 0, --no-cache, 8 threads) on the three one-stage samples
# against DSPy 3.3.1's MIPROv2 on the same model (issue 17): task calls
# (bootstrap + evaluation) against DSPy's, the held-out test score, and the
# compile time with the model behind `prism simlm serve` at 50 ms per call.
#   bench/mipro_calls.sh [BUILD_DIR]      (default build/)
# Prints one Markdown table (docs/BENCHMARKS.md, "Fewer calls").
#
# DSPy's figures are fixed references measured once with DSPy 3.3.1 (auto
# light, seed 0, Predict, 8 threads, the same server): task calls 277 / 574 /
# 536 (moderation / math / QA); QA's compile took 5.9 s.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
prism="$build/app/prism"
work=$(mktemp -d)
trap 'kill "${server:-0}" 2>/dev/null || true; rm -rf "$work"' EXIT
export PRISM_DATA_DIR="$work/data"

. bench/simlm_server.sh
start_simlm_server

echo "| sample | bootstrap | evaluation | task calls | DSPy task calls | ratio | proposer | test baseline → optimized | compile s | DSPy compile s |"
echo "|---|---|---|---|---|---|---|---|---|---|"
for sample in moderation math qa; do
  study="$work/$sample.prism.json"
  study_on_server "$sample" "$study"
  "$prism" optimize "$study" --optimizer miprov2 --auto light --seed 0 --threads 8 --no-cache \
    --store "$work/runs.sqlite" --out "$work/$sample.json" --events "$work/$sample.events.jsonl" \
    --json --quiet >"$work/out.json"
  python3 - "$sample" "$work/out.json" "$work/$sample.events.jsonl" <<'PY'
import json, sys
sample, out, events = sys.argv[1:]
dspy_calls = {"moderation": 277, "math": 574, "qa": 536}
dspy_compile = {"qa": "5.9"}
r = json.load(open(out))
calls = r["calls_by_role"]
boot = calls.get("bootstrap", {}).get("calls", 0)
ev = calls.get("evaluation", {}).get("calls", 0)
# The compile ends where the final phase starts; the test comparison follows.
compile_s = next(e["elapsed"] for e in map(json.loads, open(events))
                 if e["type"] == "phase_started" and e["phase"] == "final")
c = r["comparison"]
print(f"| {sample} | {boot} | {ev} | {boot + ev} | {dspy_calls[sample]} | {(boot + ev) / dspy_calls[sample]:.2f} | "
      f"{calls.get('proposer', {}).get('calls', 0)} | {c['baseline_score']:.2f} → {c['optimized_score']:.2f} | "
      f"{compile_s:.2f} | {dspy_compile.get(sample, 'not measured')} |")
PY
done
