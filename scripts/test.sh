#!/usr/bin/env bash
# The whole test suite: unit and scenario tests on a normal build, then the
# same suite on an AddressSanitizer + UndefinedBehaviorSanitizer build, then,
# when clang is installed, a bounded run of each libFuzzer harness
# (tests/fuzz, a few seconds each; scripts/fuzz.sh runs them longer).
set -euo pipefail
cd "$(dirname "$0")/.."
DTCOST_WITH_CHROMIUM="${DTCOST_WITH_CHROMIUM:-1}" bash scripts/install-deps.sh
if [ "${DTCOST_WITH_PRISM:-1}" = 1 ]; then
  DTCOST_PRISM="$(bash scripts/install-prism.sh)"
  export DTCOST_PRISM
fi
jobs="$(nproc)"
status=0
for variant in build build-asan; do
  extra=()
  [ "$variant" = build-asan ] && extra=(-DDTCOST_SANITIZE=ON)
  echo "== $variant: configure and build" >&2
  cmake -S . -B "$variant" -DCMAKE_BUILD_TYPE=RelWithDebInfo "${extra[@]}" >/dev/null
  cmake --build "$variant" -j"$jobs" >/dev/null
  echo "== $variant: tests" >&2
  ( cd "$variant" && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
      UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
      ctest --output-on-failure -j"$jobs" ) || status=1
done
if command -v clang >/dev/null; then
  echo "== build-fuzz: configure and build (clang, libFuzzer)" >&2
  CC=clang cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DDTCOST_FUZZ=ON >/dev/null
  cmake --build build-fuzz -j"$jobs" >/dev/null
  echo "== build-fuzz: bounded fuzz runs" >&2
  ( cd build-fuzz && ctest --output-on-failure -j"$jobs" -L fuzz ) || status=1
else
  echo "== build-fuzz: skipped (no clang)" >&2
fi
exit $status
