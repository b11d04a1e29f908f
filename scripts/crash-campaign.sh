#!/usr/bin/env bash
# The crash campaign (docs/RELIABILITY.md): a MIPROv2 run SIGKILLed at N random
# moments (default 20; every fifth resume is killed too), each resumed, checked
# against the uninterrupted run; then the disk-full and read-only cases.
#   scripts/crash-campaign.sh [KILLS]
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${BUILD_DIR:-build}
./scripts/install-deps.sh >/dev/null
cmake -S . -B "$dir" -G Ninja >/dev/null
cmake --build "$dir" -j "$(nproc)" --target prism test_crash_campaign test_storage_faults
report="$dir/crash-campaign.txt"
: >"$report"
PRISM_CRASH_KILLS=${1:-20} PRISM_CAMPAIGN_REPORT="$(pwd)/$report" "$dir/tests/test_crash_campaign"
"$dir/tests/test_storage_faults"
echo
echo "figures (also in $report):"
cat "$report"
