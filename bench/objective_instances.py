#!/usr/bin/python3
"""Random objective instances for the sampler benchmark (issue 17): objectives
no sampler setting was tuned on, in the format of bench/objectives/README.md.

    python3 bench/objective_instances.py OUT_DIR [--count 100] [--seed 17]

Writes OUT_DIR/tune/*.json (even instances) and OUT_DIR/holdout/*.json (odd
ones). Each instance draws a family, a number of predictors, sizes, a spread
of effects and a noise level:

- additive: main effects only;
- interaction: small main effects, a strong pair table between each
  predictor's instruction and demo set, and a few pairs across predictors;
- needle: small main effects and one pair cell far above the rest;
- unstructured: no main effects, every pair of dimensions has a random table.

Per predictor there are 3-8 instructions and 3-8 demo sets; 1-3 predictors
(at most 50,000 configs, so the optimum is found exhaustively).
"""
import argparse
import json
import math
import os
import random

FAMILIES = ["additive", "interaction", "needle", "unstructured"]


def table(rng, rows, cols, spread):
    return [[round(rng.uniform(-spread, spread), 4) for _ in range(cols)] for _ in range(rows)]


def instance(rng, index):
    family = FAMILIES[index % len(FAMILIES)] if index < len(FAMILIES) else rng.choice(FAMILIES)
    while True:
        predictors = rng.choice([1, 1, 2, 2, 3])
        dims = []
        for _ in range(predictors):
            dims += [rng.randint(3, 8), rng.randint(3, 8)]
        if math.prod(dims) <= 50000:
            break
    spread = rng.uniform(0.03, 0.15)
    noise = rng.uniform(0.02, 0.15)
    base = rng.uniform(0.3, 0.6)
    main_scale = {"additive": 1.0, "interaction": 1 / 3, "needle": 1 / 5, "unstructured": 0.0}[family]
    main = [[round(rng.uniform(-spread, spread) * main_scale, 4) for _ in range(size)] for size in dims]
    pairs = []
    d = len(dims)
    if family == "interaction":
        for p in range(predictors):
            i, j = 2 * p, 2 * p + 1
            pairs.append({"dims": [i, j], "table": table(rng, dims[i], dims[j], spread)})
        for _ in range(predictors - 1):
            i, j = sorted(rng.sample(range(d), 2))
            pairs.append({"dims": [i, j], "table": table(rng, dims[i], dims[j], spread / 2)})
    elif family == "needle":
        i, j = sorted(rng.sample(range(d), 2))
        t = [[0.0] * dims[j] for _ in range(dims[i])]
        t[rng.randrange(dims[i])][rng.randrange(dims[j])] = round(3 * spread + 2 * noise, 4)
        pairs.append({"dims": [i, j], "table": t})
    elif family == "unstructured":
        for i in range(d):
            for j in range(i + 1, d):
                pairs.append({"dims": [i, j], "table": table(rng, dims[i], dims[j], spread / math.sqrt(d - 1))})
    name = f"i{index:03d}-{family}-{predictors}p"
    return {
        "name": name,
        "description": f"random instance {index}: {family}, {predictors} predictor(s), dims {dims}, "
                       f"spread {spread:.3f}, noise_sd {noise:.3f}",
        "dims": dims,
        "base": round(base, 4),
        "main": main,
        "pairs": pairs,
        "noise_sd": round(noise, 4),
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--count", type=int, default=100)
    ap.add_argument("--seed", type=int, default=17)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    for half in ("tune", "holdout"):
        os.makedirs(os.path.join(args.out, half), exist_ok=True)
    for index in range(args.count):
        obj = instance(rng, index)
        half = "tune" if index % 2 == 0 else "holdout"
        with open(os.path.join(args.out, half, obj["name"] + ".json"), "w") as f:
            json.dump(obj, f)


if __name__ == "__main__":
    main()
