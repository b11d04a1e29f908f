#!/usr/bin/env bash
# A large evaluation (issue 17): `prism eval` of the moderation program on N
# distinct generated snippets (default 50,000) with in-process SimLm: wall
# time and peak memory (max RSS), text and --json output, without the cache;
# then once with a fresh response cache, its bytes written per new answer
# (the write() bytes of the process, counted by strace) and the file's size.
# Run at two sizes to see time grow linearly:
#   bench/large_eval.sh [BUILD_DIR] [N]        (defaults: build/ 50000)
# Prints one Markdown table (docs/BENCHMARKS.md, "Large evaluations").
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
n=${2:-50000}
prism="$(realpath "$build/app/prism")"
work=$(mktemp -d)
trap '[ -n "${KEEP:-}" ] || rm -rf "$work"' EXIT
export PRISM_DATA_DIR="$work/data"

python3 - "$n" "$work" <<'PY'
import json, os, random, sys
n, work = int(sys.argv[1]), sys.argv[2]
rng = random.Random(17)
openers = ["Thanks for", "I really liked", "Nobody asked for", "Honestly,", "Please stop", "Great job on",
           "What a mess with", "Can you review", "You people ruin", "Loved reading"]
things = ["the release notes", "your comment", "this thread", "the new build", "that meeting",
          "the code review", "your last post", "the weekend plan", "the design doc", "the demo"]
tails = ["today.", "again!", "as usual.", "so much.", "for real.", "before lunch.", "in the channel.", "right now."]
labels = [("low", []), ("medium", ["harassment"]), ("high", ["harassment", "violence"])]
with open(os.path.join(work, "big.jsonl"), "w") as f:
    for i in range(n):
        severity, violations = labels[rng.randrange(3)]
        snippet = f"{rng.choice(openers)} {rng.choice(things)} {rng.choice(tails)} (#{i})"
        f.write(json.dumps({"snippet": snippet, "severity": severity, "policy_violations": violations}) + "\n")
s = json.load(open("samples/moderation/moderation.prism.json"))
s["data"] = {"train": {"path": os.path.abspath("samples/moderation/train.jsonl")},
             "test": {"path": os.path.join(work, "big.jsonl")}}
json.dump(s, open(os.path.join(work, "big.prism.json"), "w"), indent=2)
PY
study="$work/big.prism.json"

measure() { # label, then the eval arguments
  local label=$1; shift
  /usr/bin/time -f "%e %M" -o "$work/time.txt" "$prism" eval "$study" --split test --quiet "$@" >"$work/out.txt" 2>"$work/err.txt" || true
  read -r secs kb < <(tail -1 "$work/time.txt")
  echo "| $label | $n | $secs | $((kb / 1024)) |"
}

echo "| command | examples | wall s | max RSS MB |"
echo "|---|---|---|---|"
measure "eval --no-cache" --no-cache
measure "eval --no-cache --json" --no-cache --json
measure "eval (fresh cache)"
rm -rf "$PRISM_DATA_DIR"
strace -f -qq -e trace=write,pwrite64 -e signal=none -o "$work/strace.txt" "$prism" eval "$study" --split test --quiet >/dev/null 2>&1 || true
python3 - "$work/strace.txt" "$n" "$PRISM_DATA_DIR/cache.sqlite" <<'PY'
import os, re, sys
path, n, cache = sys.argv[1], int(sys.argv[2]), sys.argv[3]
written = 0
fds = {}
for line in open(path):
    m = re.search(r"(write|pwrite64)\((\d+),.*\)\s+=\s+(\d+)", line)
    if m and m.group(2) not in ("1", "2"):
        written += int(m.group(3))
print(f"\nCache: {written / n:.0f} bytes written per new answer ({written / 1e6:.1f} MB for {n} answers); "
      f"cache file {os.path.getsize(cache) / 1e6:.1f} MB")
PY
