#!/usr/bin/env bash
# The whole test suite: unit and scenario tests on a normal build, then the
# same suite on an AddressSanitizer + UndefinedBehaviorSanitizer build, then,
# when clang is installed, a bounded run of each libFuzzer harness
# (tests/fuzz, a few seconds each; scripts/fuzz.sh runs them longer). The last
# line is the verdict over all of them: "N passed, N failed".
set -euo pipefail
cd "$(dirname "$0")/.."
cat >&2 <<EOF
== test.sh first installs what is missing:
   Debian packages to build and test (scripts/install-deps.sh: apt, with sudo when not root)
   chromium, for the HTML report test            (DTCOST_WITH_CHROMIUM=0 skips it)
   prometheus, for promtool in the metrics test  (DTCOST_WITH_PROMTOOL=0 skips it)
   Prism from npm into ~/.cache/dtcost, for the OpenAPI contract test (DTCOST_WITH_PRISM=0 skips it)
EOF
DTCOST_WITH_CHROMIUM="${DTCOST_WITH_CHROMIUM:-1}" bash scripts/install-deps.sh
if [ "${DTCOST_WITH_PRISM:-1}" = 1 ]; then
  DTCOST_PRISM="$(bash scripts/install-prism.sh)"
  export DTCOST_PRISM
fi
jobs="$(nproc)"
passed=0 failed=0 skipped=0
variants=(build build-asan)
# The fuzz variant needs clang with its libFuzzer runtime: a one-line program
# must link with -fsanitize=fuzzer, else the variant is skipped and says why.
probe="$(mktemp -d)"
printf 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n);\nint LLVMFuzzerTestOneInput(const char *d, unsigned long n) { (void)d; (void)n; return 0; }\n' >"$probe/f.c"
if command -v clang >/dev/null && clang -fsanitize=fuzzer "$probe/f.c" -o "$probe/f" 2>/dev/null; then
  variants+=(build-fuzz)
else
  echo "== build-fuzz: skipped (no clang able to link -fsanitize=fuzzer)" >&2
fi
rm -rf "$probe"
for variant in "${variants[@]}"; do
  extra=() cc=() only=() target=()
  # ASan + UBSan: the suite without what only repeats the normal build's
  # verdict (labels build and tool, tests/CMakeLists.txt)
  [ "$variant" = build-asan ] && extra=(-DDTCOST_SANITIZE=ON) only=(-LE "^(build|tool)$")
  # clang and libFuzzer; only the bounded fuzz runs (the suite ran above)
  [ "$variant" = build-fuzz ] && extra=(-DDTCOST_FUZZ=ON) cc=(env CC=clang) only=(-L fuzz) target=(--target fuzzers)
  echo "== $variant: configure and build" >&2
  if ! { "${cc[@]}" cmake -S . -B "$variant" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DDTCOST_WERROR=ON "${extra[@]}" >/dev/null &&
         cmake --build "$variant" -j"$jobs" "${target[@]}" >/dev/null; }; then
    echo "== $variant: the build failed" >&2
    failed=$((failed + 1))
    continue
  fi
  echo "== $variant: tests" >&2
  log="$variant/ctest-summary.log"
  ( cd "$variant" && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
      UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
      ctest --output-on-failure -j"$jobs" "${only[@]}" ) 2>&1 | tee "$log" || true
  # ctest ends with "97% tests passed, 2 tests failed out of 65" and lists
  # skipped tests as "(Skipped)"; a run that ends without it counts as failed.
  summary="$(grep -E '^[0-9]+% tests passed, [0-9]+ tests? failed out of [0-9]+$' "$log" | tail -1 || true)"
  if [ -z "$summary" ]; then
    echo "== $variant: ctest gave no summary" >&2
    failed=$((failed + 1))
    continue
  fi
  read -r total nfail < <(sed -E 's/^[0-9]+% tests passed, ([0-9]+) tests? failed out of ([0-9]+)$/\2 \1/' <<<"$summary")
  nskip="$(grep -c '(Skipped)$' "$log" || true)"
  passed=$((passed + total - nfail - nskip))
  failed=$((failed + nfail))
  skipped=$((skipped + nskip))
done
echo "$passed passed, $failed failed ($skipped skipped, over ${variants[*]})"
[ "$failed" = 0 ]
