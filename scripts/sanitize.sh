#!/usr/bin/env bash
# The whole test suite under a sanitizer:
#   scripts/sanitize.sh asan [ctest args...]   AddressSanitizer + UndefinedBehaviorSanitizer (build-asan/)
#   scripts/sanitize.sh tsan [ctest args...]   ThreadSanitizer (build-tsan/)
# Builds with g++ and PRISM_SANITIZE, then runs every test the default run has
# (ctest -LE "bench|nightly"); extra arguments go to ctest (e.g. -R test_scheduler).
# Any report fails the test that produced it (halt_on_error). Suppressions,
# each with its reason, live in scripts/sanitizers/.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

kind=${1:-}
shift || true
case "$kind" in
  asan) sanitize="address,undefined"; dir=${BUILD_DIR:-build-asan} ;;
  tsan) sanitize="thread"; dir=${BUILD_DIR:-build-tsan} ;;
  *) echo "usage: scripts/sanitize.sh asan|tsan [ctest args...]" >&2; exit 2 ;;
esac

./scripts/install-deps.sh
cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPRISM_SANITIZE="$sanitize" \
  -DPRISM_BUILD_GUI=ON -DPRISM_BUILD_BENCH=OFF -DPRISM_WERROR=ON >/dev/null
cmake --build "$dir" -j "${JOBS:-$(nproc)}"

supp="$root/scripts/sanitizers"
export ASAN_OPTIONS="halt_on_error=1:abort_on_error=0:detect_leaks=1:detect_stack_use_after_return=1:strict_string_checks=1"
export LSAN_OPTIONS="suppressions=$supp/lsan.supp:print_suppressions=0"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:suppressions=$supp/ubsan.supp"
export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:history_size=4:suppressions=$supp/tsan.supp:print_suppressions=0"
# Children the tests start (prism, prism simlm serve) inherit these.
ctest --test-dir "$dir" -LE "bench|nightly" --output-on-failure -j "${CTEST_JOBS:-1}" "$@"
