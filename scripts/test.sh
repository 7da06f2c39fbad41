#!/usr/bin/env bash
# The whole test suite: unit and scenario tests on a normal build, then the
# same suite on an AddressSanitizer + UndefinedBehaviorSanitizer build, then,
# when clang is installed, a bounded run of each libFuzzer harness
# (tests/fuzz, a few seconds each; scripts/fuzz.sh runs them longer). The
# later builds compile in the background while the first suite runs
# (docs/development.md, "The test command"). It prints the time of each
# stage, and its last line is the verdict over all of them: "N passed, N
# failed".
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
# ctest runs three tests per core: most scenario tests wait (on the
# emulator's rate limit and latency, receivers, sleeps); COST in
# tests/CMakeLists.txt starts the longest first.
slots=$((3 * jobs))
# One "cores" slot per core for the tests that keep a core busy
# (RESOURCE_GROUPS in tests/CMakeLists.txt): at most one of them per core.
spec="$(mktemp)"
trap 'rm -f "$spec"' EXIT
cores="$(seq -s, 0 $((jobs - 1)) | sed -E 's/([0-9]+)/{"id":"\1","slots":1}/g')"
printf '{"version":{"major":1,"minor":0},"local":[{"cores":[%s]}]}\n' "$cores" >"$spec"
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

# Per variant: configure flags, compiler, the tests it runs, the targets.
configure() {
  local variant="$1" extra=() cc=()
  # ASan + UBSan
  [ "$variant" = build-asan ] && extra=(-DDTCOST_SANITIZE=ON)
  # clang and libFuzzer
  [ "$variant" = build-fuzz ] && extra=(-DDTCOST_FUZZ=ON) cc=(env CC=clang)
  "${cc[@]}" cmake -S . -B "$variant" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DDTCOST_WERROR=ON "${extra[@]}" >/dev/null
}
build() {
  local variant="$1" target=()
  # only the harnesses: the suite runs in the other two builds
  [ "$variant" = build-fuzz ] && target=(--target fuzzers)
  cmake --build "$variant" -j"$jobs" "${target[@]}" >"$variant/build.log" 2>&1 || { cat "$variant/build.log" >&2; return 1; }
}
# Each scenario test runs once: the sanitizer build runs those that add to
# what the sanitizers see (not label covered: tests whose every line and
# branch of src/ the others execute, as scripts/asan-selection.sh
# measured), the normal build the rest (not label sanitized), and both the
# unit tests and the two whose bounds the normal build must meet. Label
# build (no dtcost code of their own) runs in the normal build only
# (docs/development.md). The fuzz build runs only the bounded fuzz runs,
# one per core.
run_tests() {
  local variant="$1" only=() j="$slots"
  [ "$variant" = build ] && only=(-LE "^sanitized$")
  [ "$variant" = build-asan ] && only=(-LE "^(build|covered)$")
  [ "$variant" = build-fuzz ] && only=(-L fuzz) j="$jobs"
  local log="$variant/ctest-summary.log"
  ( cd "$variant" && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
      UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
      ctest --output-on-failure -j"$j" --resource-spec-file "$spec" "${only[@]}" ) 2>&1 | tee "$log" || true
  # ctest ends with "97% tests passed, 2 tests failed out of 65" and lists
  # skipped tests as "(Skipped)"; a run that ends without it counts as failed.
  local summary total nfail nskip
  summary="$(grep -E '^[0-9]+% tests passed, [0-9]+ tests? failed out of [0-9]+$' "$log" | tail -1 || true)"
  if [ -z "$summary" ]; then
    echo "== $variant: ctest gave no summary" >&2
    failed=$((failed + 1))
    return
  fi
  read -r total nfail < <(sed -E 's/^[0-9]+% tests passed, ([0-9]+) tests? failed out of ([0-9]+)$/\2 \1/' <<<"$summary")
  nskip="$(grep -c '(Skipped)$' "$log" || true)"
  passed=$((passed + total - nfail - nskip))
  failed=$((failed + nfail))
  skipped=$((skipped + nskip))
}
stage() { # stage NAME SECONDS-SINCE-START: one line of the timing summary
  times+=("$1 $(($(date +%s) - $2)) s")
}

# The pipeline: the normal build first; then, while its suite runs, the
# other builds compile at the lowest priority (nice 19), in the CPU time the
# waiting tests leave idle, so they neither slow the suite's timing checks
# nor wait for it. Each suite starts once its own build is done.
t0="$(date +%s)" times=()
built=()
for variant in "${variants[@]}"; do
  echo "== $variant: configure" >&2
  configure "$variant" || { echo "== $variant: configure failed" >&2; failed=$((failed + 1)); continue; }
  built+=("$variant")
done
t="$(date +%s)"
echo "== build: build" >&2
if [ "${built[0]:-}" = build ] && build build; then
  stage "build: build" "$t"
  background=()
  for variant in "${built[@]}"; do [ "$variant" = build ] || background+=("$variant"); done
  # one background job builds the others in turn; its status per variant
  # goes to <variant>/built: the build's exit code and its seconds
  for variant in "${background[@]}"; do rm -f "$variant/built"; done
  ( renice -n 19 -p "$BASHPID" >/dev/null
    for variant in "${background[@]}"; do
      s="$(date +%s)" rc=0
      build "$variant" || rc=$?
      echo "$rc $(($(date +%s) - s))" >"$variant/built"
    done ) &
  builder=$!
  t="$(date +%s)"
  echo "== build: tests" >&2
  run_tests build
  stage "build: tests" "$t"
  for variant in "${background[@]}"; do
    t="$(date +%s)"
    # bounded: the builder ends with its last build
    while [ ! -s "$variant/built" ] && kill -0 "$builder" 2>/dev/null; do sleep 1; done
    read -r rc secs <"$variant/built" 2>/dev/null || rc=1 secs=0
    stage "$variant: build (in the background, $secs s; waited)" "$t"
    if [ "$rc" != 0 ]; then
      echo "== $variant: the build failed" >&2
      failed=$((failed + 1))
      continue
    fi
    t="$(date +%s)"
    echo "== $variant: tests" >&2
    run_tests "$variant"
    stage "$variant: tests" "$t"
  done
  wait "$builder" || true
else
  echo "== build: the build failed (the other variants need it first: not run)" >&2
  failed=$((failed + 1))
fi
stage "total" "$t0"
printf '== time: %s\n' "${times[@]}" >&2
echo "$passed passed, $failed failed ($skipped skipped, over ${variants[*]})"
[ "$failed" = 0 ]
