#!/usr/bin/env bash
# Does TPE hold on objectives it was not tuned on? (issue 17)
#   bench/sampler_generalization.sh [BUILD_DIR]       (default build/)
# 1. Draws 100 random objective instances (bench/objective_instances.py,
#    seed 17): even ones are the tuning half, odd ones the held-out half.
# 2. Tuning half: a grid of TPE settings (prior weight, start-up trials, EI
#    candidates, incumbent confirmation), 20 seeds, 40 trials; each setting's
#    mean rec_true at 20 and 40 trials, and whether it keeps the fixed
#    objectives' check (TPE >= Random from 20 trials on, bench/objectives).
# 3. Held-out half, 30 seeds, 40 trials: Prism's Random and TPE (defaults)
#    against Optuna's RandomSampler and TPESampler (multivariate, as DSPy
#    configures it) from bench/optuna_peer.py (needs /usr/bin/python3 with
#    python3-optuna), means over the 50 instances, overall and per family.
# Prints Markdown (docs/BENCHMARKS.md, "Samplers on unseen objectives").
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
bench="$build/bench/prism_bench_samplers"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 bench/objective_instances.py "$work/inst" --count 100 --seed 17

echo "### Tuning half: 50 instances, 20 seeds, 40 trials"
echo
echo "| prior weight | start-up | EI candidates | confirm incumbent | mean rec_true (20 + 40) / 2 | fixed objectives' check |"
echo "|---|---|---|---|---|---|"
for pw in 1 1.5 2 3; do for st in 4 6 8 10; do for ei in 24 48; do for ci in 0 2; do
  s="prior_weight=$pw,startup=$st,ei_candidates=$ei,confirm_incumbent=$ci"
  "$bench" "$work/inst/tune" --seeds 20 --trials 40 --samplers tpe --tpe "$s" >"$work/grid.jsonl"
  if "$bench" --check --samplers random,tpe --tpe "$s" >/dev/null 2>&1; then check=pass; else check=fails; fi
  python3 - "$work/grid.jsonl" "$pw" "$st" "$ei" "$ci" "$check" <<'PY'
import json, sys
path, pw, st, ei, ci, check = sys.argv[1:]
r = [json.loads(l) for l in open(path) if l.startswith("{")]
m = sum(j["rec_true"]["20"] + j["rec_true"]["40"] for j in r) / (2 * len(r))
print(f"| {pw} | {st} | {ei} | {ci} | {m:.4f} | {check} |")
PY
done; done; done; done

"$bench" "$work/inst/holdout" --seeds 30 --trials 40 --samplers random,tpe >"$work/prism.jsonl"
/usr/bin/python3 bench/optuna_peer.py "$work/inst/holdout" --seeds 30 --trials 40 >"$work/optuna.jsonl"
python3 - "$work/prism.jsonl" "$work/optuna.jsonl" <<'PY'
import collections, json, sys
rows = collections.defaultdict(dict)
for path in sys.argv[1:]:
    for line in open(path):
        if line.startswith("{"):
            j = json.loads(line)
            rows[j["sampler"]][j["objective"]] = j
names = ["random", "tpe", "optuna-random", "optuna-tpe"]
objs = sorted(rows["tpe"])
def mean(sampler, budget, subset):
    return sum(rows[sampler][o]["rec_true"][budget] for o in subset) / len(subset)
print()
print(f"### Held-out half: {len(objs)} instances, 30 seeds, 40 trials (mean rec_true)")
print()
print("| instances | " + " | ".join(f"{n} at 20 / 40" for n in names) + " |")
print("|---|" + "---|" * len(names))
families = collections.defaultdict(list)
for o in objs:
    families[o.split("-")[1]].append(o)
for label, subset in [("all", objs)] + sorted(families.items()):
    cells = [f"{mean(n, '20', subset):.4f} / {mean(n, '40', subset):.4f}" for n in names]
    print(f"| {label} ({len(subset)}) | " + " | ".join(cells) + " |")
PY
