#!/usr/bin/env bash
# The fault campaign (docs/RELIABILITY.md): MIPROv2 runs against `prism simlm
# serve` with each fault kind alone at 30% of requests, then all mixed at 30%,
# task model sim-flaky, and a run whose calls may not be retried. Builds, runs
# test_fault_campaign (also part of `make test`) and prints the figures.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${BUILD_DIR:-build}
./scripts/install-deps.sh >/dev/null
cmake -S . -B "$dir" -G Ninja >/dev/null
cmake --build "$dir" -j "$(nproc)" --target prism test_fault_campaign
report="$dir/fault-campaign.txt"
: >"$report"
PRISM_CAMPAIGN_REPORT="$(pwd)/$report" "$dir/tests/test_fault_campaign"
echo
echo "figures (also in $report):"
cat "$report"
