#!/usr/bin/env bash
# Regenerates docs/screenshots/: one PNG per studio page with the moderation
# sample, during and after a real MIPROv2 run on SimLm, and the Monitor after a real GEPA run
# (offscreen, no display).
#   scripts/screenshots.sh [BUILD_DIR]     (default: build)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${1:-$root/build}"
cmake --build "$build" --target test_screenshots test_newstudywizard test_trace test_report_browser
out="$root/docs/screenshots"
mkdir -p "$out"
rm -f "$out"/*.png
runtime="$(mktemp -d)"
data="$(mktemp -d)"
trap 'rm -rf "$runtime" "$data"' EXIT
chmod 700 "$runtime"
QT_QPA_PLATFORM=offscreen XDG_RUNTIME_DIR="$runtime" XDG_CONFIG_HOME="$data/config" PRISM_DATA_DIR="$data/prism" \
  PRISM_SCREENSHOT_DIR="$out" "$build/tests/test_screenshots"
# File > New Study from Data: the wizard's pages.
QT_QPA_PLATFORM=offscreen XDG_RUNTIME_DIR="$runtime" XDG_CONFIG_HOME="$data/config" PRISM_DATA_DIR="$data/prism" \
  PRISM_SCREENSHOT_DIR="$out" "$build/tests/test_newstudywizard"
# The trace viewer (Try-it, the Monitor) and the HTML report as headless Chromium draws it.
for t in test_trace test_report_browser; do
  QT_QPA_PLATFORM=offscreen XDG_RUNTIME_DIR="$runtime" XDG_CONFIG_HOME="$data/config" PRISM_DATA_DIR="$data/prism" \
    XDG_CACHE_HOME="$data/cache" PRISM_SCREENSHOT_DIR="$out" "$build/tests/$t"
done
# Only what the README shows: the tests save a few working shots besides.
rm -f "$out"/monitor-trace-button.png
ls -1 "$out"
