#!/usr/bin/env bash
# Nightly-style fuzzing: build the libFuzzer harnesses (clang, ASan+UBSan)
# and run each for FUZZ_SECONDS (default 600), seeded from tests/fuzz/corpus,
# new inputs kept in build-fuzz/corpus-long/<harness>. Prints runs and
# coverage per harness; exits 1 when a harness found a crash, a leak or a
# hang (the input is left as build-fuzz/<harness>-crash-*: add it to
# tests/fuzz/corpus/<harness>/regress-<what> with the fix).
#   scripts/fuzz.sh                 all harnesses, 10 minutes each
#   FUZZ_SECONDS=60 scripts/fuzz.sh dps license
set -euo pipefail
cd "$(dirname "$0")/.."
command -v clang >/dev/null || { echo "scripts/fuzz.sh: clang is needed (apt-get install clang)" >&2; exit 2; }
secs="${FUZZ_SECONDS:-600}"
harnesses=("$@")
[ ${#harnesses[@]} -gt 0 ] || harnesses=(dps license config schedule jw pagekey)
CC=clang cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DDTCOST_FUZZ=ON >/dev/null
cmake --build build-fuzz -j"$(nproc)" >/dev/null
status=0
for h in "${harnesses[@]}"; do
  work="build-fuzz/corpus-long/$h"
  mkdir -p "$work"
  log="build-fuzz/fuzz-$h.log"
  if ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
      "build-fuzz/tests/fuzz/fuzz_$h" -max_total_time="$secs" -timeout=5 -rss_limit_mb=1024 \
      -print_final_stats=1 -artifact_prefix="build-fuzz/$h-" "$work" "tests/fuzz/corpus/$h" >"$log" 2>&1; then
    result=ok
  else
    result="FOUND SOMETHING (see $log)"
    status=1
  fi
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo '?')
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 || true)
  echo "fuzz_$h: $runs runs in $secs s, $cov: $result"
done
exit $status
