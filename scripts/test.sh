#!/usr/bin/env bash
# The whole test suite: unit and scenario tests on a normal build, then the
# same suite on an AddressSanitizer + UndefinedBehaviorSanitizer build (both
# replay each fuzz harness's corpus, tests/fuzz) and, with
# DTCOST_WITH_FUZZ=1 and clang installed, beside that suite's tail, a
# bounded libFuzzer run of each harness (a few seconds each; scripts/fuzz.sh
# runs them longer). The later builds compile in the background while the
# first suite runs (docs/development.md, "The test command"). It prints the
# time and CPU seconds of each stage, and its last line is the verdict over
# all of them: "N passed, N failed".
set -euo pipefail
cd "$(dirname "$0")/.."
cat >&2 <<EOF
== test.sh first installs what is missing:
   Debian packages to build and test (scripts/install-deps.sh: apt, with sudo when not root)
   chromium, for the HTML report test            (DTCOST_WITH_CHROMIUM=0 skips it)
   prometheus, for promtool in the metrics test  (DTCOST_WITH_PROMTOOL=0 skips it)
   Prism from npm into ~/.cache/dtcost, for the OpenAPI contract test (DTCOST_WITH_PRISM=0 skips it)
   (DTCOST_WITH_FUZZ=1 adds a few seconds of libFuzzer per harness: a clang build, about 65 CPU-s)
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
trap 'rm -f "$spec" "$spec.cpu"' EXIT
cores="$(seq -s, 0 $((jobs - 1)) | sed -E 's/([0-9]+)/{"id":"\1","slots":1}/g')"
printf '{"version":{"major":1,"minor":0},"local":[{"cores":[%s]}]}\n' "$cores" >"$spec"
passed=0 failed=0 skipped=0
variants=(build build-asan)
# The fuzz variant, on request (DTCOST_WITH_FUZZ=1): both builds already
# replay every harness's corpus under the same sanitizers; exploring for
# new inputs for four seconds a harness cost 65 CPU-s of a run (a clang
# build of the library, six runs), which scripts/fuzz.sh spends better in
# ten minutes a harness. It needs clang with its libFuzzer runtime: a
# one-line program must link with -fsanitize=fuzzer, else it is skipped and
# says why.
if [ "${DTCOST_WITH_FUZZ:-0}" = 1 ]; then
  probe="$(mktemp -d)"
  printf 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n);\nint LLVMFuzzerTestOneInput(const char *d, unsigned long n) { (void)d; (void)n; return 0; }\n' >"$probe/f.c"
  if command -v clang >/dev/null && clang -fsanitize=fuzzer "$probe/f.c" -o "$probe/f" 2>/dev/null; then
    variants+=(build-fuzz)
  else
    echo "== build-fuzz: skipped (no clang able to link -fsanitize=fuzzer)" >&2
  fi
  rm -rf "$probe"
fi

# Per variant: configure flags, compiler, the tests it runs, the targets.
configure() {
  local variant="$1" extra=() cc=()
  # ASan + UBSan, at -O1 with line tables only (-g1: the file and line of
  # each frame of a report, no variable info): measured on 2 cores, gcc 12,
  # it builds in 36 CPU-s instead of RelWithDebInfo's 65 (-O2 -g), and the
  # suite runs no slower (the demo 9.3 CPU-s against 12.3, the
  # allocation-failure loop 13.2 against 14.3)
  [ "$variant" = build-asan ] && extra=(-DDTCOST_SANITIZE=ON "-DCMAKE_C_FLAGS_RELWITHDEBINFO=-O1 -g1 -DNDEBUG"
    # the emulator and shared set-up syncs of its scenario tests run the
    # normal build's binary (tests/CMakeLists.txt, DTCOST_TEST_HELPER)
    "-DDTCOST_TEST_HELPER=$PWD/build/dtcost")
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
# what the sanitizers see (not label covered: tests whose every line of
# src/ the others execute, as scripts/asan-selection.sh measured), the
# normal build the rest (not label sanitized), and both the unit tests and
# the two whose bounds the normal build must meet. Label build (no dtcost
# code of their own) runs in the normal build only (docs/development.md).
# The fuzz build runs only the bounded fuzz runs, one per core.
#
# ctest_args VARIANT: the label filter of its suite.
ctest_args() {
  case "$1" in
  build) echo "-LE ^sanitized$" ;;
  build-asan) echo "-LE ^(build|covered)$" ;;
  build-fuzz) echo "-L fuzz" ;;
  esac
}
# run_tests VARIANT [quiet]: its suite into VARIANT/ctest-summary.log, shown
# as it runs unless quiet (a suite running beside another is shown after).
run_tests() {
  local variant="$1" j="$slots" log="$1/ctest-summary.log" only
  read -r -a only <<<"$(ctest_args "$variant")"
  [ "$variant" = build-fuzz ] && j="$jobs"
  ( cd "$variant" && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
      UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
      ctest --output-on-failure -j"$j" --resource-spec-file "$spec" "${only[@]}" ) 2>&1 |
    if [ "${2:-}" = quiet ]; then cat >"$log"; else tee "$log"; fi || true
}
# tally VARIANT: its suite's outcome into the verdict's counts.
tally() {
  local log="$1/ctest-summary.log"
  # ctest ends with "97% tests passed, 2 tests failed out of 65" and lists
  # skipped tests as "(Skipped)"; a run that ends without it counts as failed.
  local summary total nfail nskip
  summary="$(grep -E '^[0-9]+% tests passed, [0-9]+ tests? failed out of [0-9]+$' "$log" | tail -1 || true)"
  if [ -z "$summary" ]; then
    echo "== $1: ctest gave no summary" >&2
    failed=$((failed + 1))
    return
  fi
  read -r total nfail < <(sed -E 's/^[0-9]+% tests passed, ([0-9]+) tests? failed out of ([0-9]+)$/\2 \1/' <<<"$summary")
  nskip="$(grep -c '(Skipped)$' "$log" || true)"
  passed=$((passed + total - nfail - nskip))
  failed=$((failed + nfail))
  skipped=$((skipped + nskip))
}
# cpu FILE: CPU seconds (user + system) of this shell's children it has
# waited for, into FILE; in a subshell, of that subshell's own (a stage runs
# in one to be measured alone). `times` runs in this shell: in a command
# substitution or a pipeline it would report a fresh subshell's zeros.
cpu() {
  times >"$1.times"
  awk 'NR == 2 { s = 0; for (i = 1; i <= 2; i++) { split($i, a, /[ms]/); s += a[1] * 60 + a[2] } printf "%d\n", s }' \
    "$1.times" >"$1"
  rm -f "$1.times"
}
stage() { # stage NAME SECONDS-SINCE-START [CPU-SECONDS]: one line of the timing summary
  times+=("$1 $(($(date +%s) - $2)) s${3:+, $3 CPU-s}")
}
# waitbuilt VARIANT: wait (bounded: the builder ends with its last build) for
# the background build of VARIANT; 0 when it built.
waitbuilt() {
  local t rc secs cpus
  t="$(date +%s)"
  while [ ! -s "$1/built" ] && kill -0 "$builder" 2>/dev/null; do sleep 1; done
  read -r rc secs cpus <"$1/built" 2>/dev/null || rc=1 secs=0 cpus=0
  stage "$1: build (in the background, $secs s, $cpus CPU-s; waited)" "$t"
  [ "$rc" = 0 ] && return 0
  echo "== $1: the build failed" >&2
  failed=$((failed + 1))
  return 1
}
# tail_of VARIANT TOTAL: true once its running suite has started all TOTAL
# tests (ctest has nothing left to start: its slots empty from here on) or
# has ended.
tail_of() {
  local log="$1/ctest-summary.log"
  [ -s "$log" ] && grep -qE '^Total Test time' "$log" && return 0
  local n
  n="$(grep -cE '^ *Start +[0-9]+: ' "$log" 2>/dev/null)" || true
  [ "${n:-0}" -ge "$2" ]
}

# The pipeline, each stage as soon as what it needs is there:
# - the normal tree configures and builds; while its suite runs, the
#   sanitizer and fuzz trees configure and build, one after the other, at
#   the lowest priority (nice 19), in the CPU time the waiting tests leave
#   idle, so they neither slow the suite's timing checks nor wait for it
#   (started beside the normal build instead, they made it take 21 s, not
#   11, and gained nothing);
# - the sanitizer suite starts when its build is done; the fuzz runs start
#   once their build is done and the sanitizer suite has started its last
#   test (from then on its slots empty one by one), at nice 10: they take
#   what the tail of that suite leaves idle, and each still runs its
#   bounded time.
t0="$(date +%s)" times=()
t="$(date +%s)"
echo "== build: build" >&2
if (configure build && build build && cpu build/cpu); then
  stage "build: build" "$t" "$(cat build/cpu)"
  background=()
  for variant in "${variants[@]}"; do [ "$variant" = build ] || background+=("$variant"); done
  # one background job configures and builds the others in turn; its status
  # per variant goes to <variant>/built: exit code, seconds, CPU seconds
  for variant in "${background[@]}"; do rm -f "$variant/built"; done
  ( renice -n 19 -p "$BASHPID" >/dev/null || true
    for variant in "${background[@]}"; do
      s="$(date +%s)" rc=0
      mkdir -p "$variant"
      cpu "$variant/cpu"
      c="$(cat "$variant/cpu")"
      { configure "$variant" || { echo "== $variant: configure failed" >&2; false; }; } && build "$variant" || rc=$?
      cpu "$variant/cpu"
      echo "$rc $(($(date +%s) - s)) $(($(cat "$variant/cpu") - c))" >"$variant/built.tmp"
      mv "$variant/built.tmp" "$variant/built"
    done ) &
  builder=$!
  t="$(date +%s)"
  echo "== build: tests" >&2
  (run_tests build && cpu build/cpu)
  tally build
  stage "build: tests" "$t" "$(cat build/cpu)"
  asan=""
  if [[ " ${background[*]} " == *" build-asan "* ]] && waitbuilt build-asan; then
    echo "== build-asan: tests" >&2
    rm -f build-asan/ctest-summary.log build-asan/cpu
    ta="$(date +%s)"
    (run_tests build-asan && cpu build-asan/cpu) &
    asan=$!
  fi
  if [[ " ${background[*]} " == *" build-fuzz "* ]] && waitbuilt build-fuzz; then
    if [ -n "$asan" ]; then
      # shellcheck disable=SC2046 # the label filter is two words
      total="$(cd build-asan && ctest -N $(ctest_args build-asan) | sed -nE 's/^Total Tests: ([0-9]+)$/\1/p')"
      # bounded: the suite ends
      while kill -0 "$asan" 2>/dev/null && ! tail_of build-asan "${total:-0}"; do sleep 1; done
    fi
    t="$(date +%s)"
    echo "== build-fuzz: tests (beside the sanitizer suite's tail, shown after it)" >&2
    (renice -n 10 -p "$BASHPID" >/dev/null || true; run_tests build-fuzz quiet; cpu build-fuzz/cpu)
    stage "build-fuzz: tests" "$t" "$(cat build-fuzz/cpu 2>/dev/null || echo '?')"
    fuzzed=1
  fi
  if [ -n "$asan" ]; then
    wait "$asan" || true
    tally build-asan
    stage "build-asan: tests" "$ta" "$(cat build-asan/cpu 2>/dev/null || echo '?')"
  fi
  if [ -n "${fuzzed:-}" ]; then
    cat build-fuzz/ctest-summary.log
    tally build-fuzz
  fi
  wait "$builder" || true
else
  echo "== build: the build failed (the other variants need it first: not run)" >&2
  failed=$((failed + 1))
fi
cpu "$spec.cpu"
stage "total" "$t0" "$(cat "$spec.cpu")"
printf '== time: %s\n' "${times[@]}" >&2
echo "$passed passed, $failed failed ($skipped skipped, over ${variants[*]})"
[ "$failed" = 0 ]
