#!/usr/bin/env bash
# Regenerates docs/screenshots/: one PNG per studio page with the moderation
# sample, during and after a real MIPROv2 run on SimLm (offscreen, no display).
#   scripts/screenshots.sh [BUILD_DIR]     (default: build)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${1:-$root/build}"
cmake --build "$build" --target test_screenshots test_newstudywizard
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
ls -1 "$out"
