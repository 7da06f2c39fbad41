#!/usr/bin/env bash
# The whole test suite: unit and scenario tests on a normal build, then the
# same suite on an AddressSanitizer + UndefinedBehaviorSanitizer build.
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
  cmake -S . -B "$variant" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DDTCOST_WERROR=ON "${extra[@]}" >/dev/null
  cmake --build "$variant" -j"$jobs" >/dev/null
  echo "== $variant: tests" >&2
  ( cd "$variant" && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
      UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
      ctest --output-on-failure -j"$jobs" ) || status=1
done
exit $status
