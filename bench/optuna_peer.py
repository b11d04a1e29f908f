#!/usr/bin/python3
"""The peer figures for docs/BENCHMARKS.md: Optuna's TPESampler (multivariate,
as DSPy's MIPROv2 uses it) and RandomSampler on the same objectives, printed in
the same JSON-line format as prism_bench_samplers.

    python3 bench/optuna_peer.py [OBJECTIVES_DIR] [--seeds 50] [--trials 80]

Needs optuna (Debian: python3-optuna). The noise comes from numpy's generator,
so individual runs differ from Prism's; the means over seeds are comparable.
"""
import argparse
import glob
import json
import os
import time

import numpy as np
import optuna

BUDGETS = [5, 10, 20, 40, 80]


def true_score(obj, x):
    s = obj["base"] + sum(obj["main"][d][x[d]] for d in range(len(x)))
    for p in obj.get("pairs", []):
        i, j = p["dims"]
        s += p["table"][x[i]][x[j]]
    return min(max(s, 0.0), 1.0)


def optimum(obj):
    best = 0.0
    for flat in range(int(np.prod(obj["dims"]))):
        x, r = [], flat
        for size in reversed(obj["dims"]):
            x.append(r % size)
            r //= size
        best = max(best, true_score(obj, list(reversed(x))))
    return best


def run(obj, make_sampler, seeds, trials):
    names = [f"{d // 2}_predictor_{'instruction' if d % 2 == 0 else 'demos'}" for d in range(len(obj["dims"]))]
    dists = {n: optuna.distributions.CategoricalDistribution(list(range(size))) for n, size in zip(names, obj["dims"])}
    budgets = [b for b in BUDGETS if b <= trials]
    best_sum = {b: 0.0 for b in budgets}
    rec_sum = {b: 0.0 for b in budgets}
    sampler_seconds = 0.0
    for seed in range(seeds):
        noise = np.random.RandomState(1_000_003 + seed)
        study = optuna.create_study(direction="maximize", sampler=make_sampler(seed))
        stats = {}  # config -> [sum, count, first]
        best_true = 0.0
        for t in range(1, trials + 1):
            start = time.perf_counter()
            trial = study.ask(dists)
            sampler_seconds += time.perf_counter() - start
            x = tuple(trial.params[n] for n in names)
            truth = true_score(obj, x)
            value = min(max(truth + noise.normal(0.0, obj["noise_sd"]), 0.0), 1.0)
            start = time.perf_counter()
            study.tell(trial, value)
            sampler_seconds += time.perf_counter() - start
            s = stats.setdefault(x, [0.0, 0, t])
            s[0] += value
            s[1] += 1
            best_true = max(best_true, truth)
            if t in best_sum:
                rec = max(stats.items(), key=lambda kv: (kv[1][0] / kv[1][1], kv[1][1], -kv[1][2]))[0]
                best_sum[t] += best_true
                rec_sum[t] += true_score(obj, rec)
    return {
        "best_true": {str(b): round(best_sum[b] / seeds, 4) for b in budgets},
        "rec_true": {str(b): round(rec_sum[b] / seeds, 4) for b in budgets},
        "ms_per_trial": float(f"{1000.0 * sampler_seconds / (seeds * trials):.4g}"),
    }


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser()
    ap.add_argument("objectives", nargs="?", default=os.path.join(here, "..", "..", "shared", "bench", "objectives"))
    ap.add_argument("--seeds", type=int, default=50)
    ap.add_argument("--trials", type=int, default=80)
    args = ap.parse_args()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    import warnings
    warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)
    samplers = {
        "optuna-random": lambda seed: optuna.samplers.RandomSampler(seed=seed),
        "optuna-tpe": lambda seed: optuna.samplers.TPESampler(seed=seed, multivariate=True),
    }
    for path in sorted(glob.glob(os.path.join(args.objectives, "*.json"))):
        with open(path) as f:
            obj = json.load(f)
        for name, make in samplers.items():
            figures = run(obj, make, args.seeds, args.trials)
            line = {"objective": obj["name"], "sampler": name, "optimum": round(optimum(obj), 4), "seeds": args.seeds}
            line.update(figures)
            print(json.dumps(line), flush=True)


if __name__ == "__main__":
    main()
