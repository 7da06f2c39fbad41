#!/usr/bin/env bash
# Chooses the tests the sanitizer build runs (docs/development.md, "The test
# command"): builds a gcc --coverage tree (build-coverage, DTCOST_COVERAGE),
# runs the whole suite there once with each test writing its own .gcda set,
# and picks, greedily by new lines per second of the test's run, scenario
# tests until they and the tests always kept execute every line of src/
# that the whole suite executes (branches are counted and reported, not
# sought: at -O2 a few are timing's). The rest are the `covered` list of
# tests/CMakeLists.txt: scripts/test.sh leaves them out of the ASan pass.
# The build's own run of dtcost (man pages and completions, docgen.cmake:
# the sanitizer build runs it sanitized, leak checks off) counts as kept.
#
#   scripts/asan-selection.sh            measure and print the list and figures
#   scripts/asan-selection.sh --write    ... and write the list into tests/CMakeLists.txt
#   scripts/asan-selection.sh --reuse    ... from build-coverage's last run (no build, no run)
#
# Always kept, whatever coverage says: unit tests, the fuzz corpora' replays, and the scenario tests
# whose value under the sanitizers is odd data and timing inside lines other
# tests execute too (KEEP below: hostile input, faults, refusals, corrupt
# rows; SIGHUP and slow clients, where threads of one process share its
# memory). Tests of kills, of several processes at once and of turns between
# them are not kept for that alone: the sanitizers watch one process's
# memory, so what such a test adds for them is the lines it runs, which the
# coverage counts like any other. The greedy pick below seeks lines, not
# branch outcomes (seeking every outcome took 18 more tests, among them the
# longest); three tests are kept by name for outcomes no other test runs: a
# run killed on another host found gone (store_pg.c), an archive's
# temporary folder and size cap chosen from TMPDIR and defaults
# (licimport.c), a retry budget spent on a malformed answer and a
# Retry-After beyond the wait budget (dps.c, licfetch.c). A test not in the
# list runs under ASan, so a new test does until this is re-run.
set -euo pipefail
cd "$(dirname "$0")/.."
write=0 reuse=0
for a in "$@"; do
  case "$a" in
  --write) write=1 ;;
  --reuse) reuse=1 ;;
  *) echo "usage: scripts/asan-selection.sh [--write] [--reuse]" >&2; exit 2 ;;
  esac
done
KEEP='^unit_|^fuzz_corpus_|hostile|fault|sighup|slow_clients|refuse|corrupt|cycling_page|killed_on_another_host|import_killed_leaves|retry_after_beyond'
b=build-coverage
jobs="$(nproc)"
if [ "$reuse" = 0 ]; then
  # As in the sanitizer pass (scripts/test.sh), the tests' emulator and
  # shared set-up run a normal build's binary: its lines are not the
  # pass's, so they are not counted here either.
  cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  cmake --build build -j"$jobs" >/dev/null
  cmake -S . -B "$b" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DDTCOST_COVERAGE=ON -DDTCOST_TEST_HELPER="$PWD/build/dtcost" >/dev/null
  cmake --build "$b" -j"$jobs" >"$b/build.log" 2>&1 || { cat "$b/build.log" >&2; exit 1; }
  rm -rf "$b/coverage" "$b/Testing/Temporary/CTestCostData.txt"
  # A failing test still executed its lines; the list below names it.
  (cd "$b" && DTCOST_PRISM="${DTCOST_PRISM:-}" ctest -j$((3 * jobs)) >"ctest.log" 2>&1) || true
  grep -E '^[0-9]+% tests passed' "$b/ctest.log" >&2 || true
  grep -E '\*\*\*Failed|\(Failed\)|Timeout' "$b/ctest.log" >&2 || true
fi
[ -d "$b/coverage" ] || { echo "no $b/coverage: run without --reuse first" >&2; exit 1; }
# The build's run of the binary, as the sanitizer build runs it.
rm -rf "$b/coverage/_build"
strip="$(cd "$b" && pwd | tr -cd / | wc -c)"
GCOV_PREFIX="$PWD/$b/coverage/_build" GCOV_PREFIX_STRIP="$strip" \
  cmake -DDTCOST="$PWD/$b/dtcost" -DOUT="$(mktemp -d)" -P cmake/docgen.cmake
# Per test: gcov's JSON (lines with counts, branches with counts) of each
# object it executed, the .gcno notes linked in beside its .gcda data.
for dir in "$b"/coverage/*/; do
  test="$(basename "$dir")"
  (cd "$dir" && find . -name '*.gcda' | while read -r gcda; do
    ln -sf "$PWD/../../${gcda%.gcda}.gcno" "${gcda%.gcda}.gcno"
    echo "$gcda"
  done | xargs -r gcov -b -t -j >"../$test.json" 2>/dev/null) &
  # bounded parallelism: one gcov per core
  while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do wait -n; done
done
wait
tests="$(cd "$b" && ctest -N | sed -nE 's/^ *Test +#[0-9]+: //p') _build"
python3 - "$b" "$PWD/src/" "$KEEP" "$write" "$tests" <<'EOF'
import json, os, re, sys
b, src, keep, write, tests = sys.argv[1], sys.argv[2], re.compile(sys.argv[3]), sys.argv[4] == "1", sys.argv[5].split()
labels = {}  # a test's labels, from ctest's JSON description
for t in json.loads(os.popen(f"cd {b} && ctest --show-only=json-v1").read())["tests"]:
    for p in t.get("properties", []):
        if p["name"] == "LABELS":
            labels[t["name"]] = set(p["value"])
cost = {}  # seconds of the test's run in the coverage tree (ctest's own record)
with open(os.path.join(b, "Testing/Temporary/CTestCostData.txt")) as f:
    for line in f:
        parts = line.split()
        if len(parts) == 3:
            cost[parts[0]] = float(parts[2])
cov = {}  # test -> set of ("L", file, line) and ("B", file, line, i) it executed
unmeasured = []  # tests the coverage run did not run (added since --reuse's run): they stay in the pass
for t in tests:
    seen = set()
    try:
        text = open(os.path.join(b, "coverage", f"{t}.json")).read()
    except OSError:
        text = ""
    if t not in cost and t != "_build":
        unmeasured.append(t)
    for doc in text.splitlines():
        d = json.loads(doc)
        for f in d["files"]:
            path = os.path.normpath(os.path.join(d["current_working_directory"], f["file"]))
            if not path.startswith(src):
                continue
            rel = path[len(src) - 4:]
            for ln in f["lines"]:
                if ln["count"] > 0:
                    seen.add(("L", rel, ln["line_number"]))
                for i, br in enumerate(ln["branches"]):
                    if br["count"] > 0:
                        seen.add(("B", rel, ln["line_number"], i))
    cov[t] = seen
everything = set().union(*cov.values())
# Tests that run no dtcost code of their own (label build) are never candidates.
pool = [t for t in tests if "build" not in labels.get(t, set()) and "fuzz" not in labels.get(t, set())
        and t not in unmeasured]
for t in unmeasured:
    print(f"  not measured (no coverage run of it yet), so it runs under ASan: {t}")
chosen = [t for t in pool if keep.search(t) or t == "_build"]
have = set().union(*(cov[t] for t in chosen)) if chosen else set()
target = {x for x in set().union(*(cov[t] for t in pool)) if x[0] == "L"}
rest = [t for t in pool if t not in chosen]
picked = []
while target - have:
    best = max(rest, key=lambda t: (len((cov[t] & target) - have) / max(cost.get(t, 1.0), 0.5), -cost.get(t, 1.0)))
    if not (cov[best] & target) - have:
        break
    picked.append(best)
    rest.remove(best)
    have |= cov[best]
def drop_redundant():
    """Drop a picked test whose lines the others cover after all, the costliest first."""
    for t in sorted(picked, key=lambda t: -cost.get(t, 1.0)):
        others = set().union(*(cov[u] for u in chosen + picked if u != t))
        if cov[t] & target <= others:
            picked.remove(t)
drop_redundant()
# Swap a picked test for cheaper ones: a broad test picked early (many new
# lines per second then) can end up in the pass for a few lines that small
# tests, not picked because it had covered them, execute together for less.
for t in sorted(picked, key=lambda t: -cost.get(t, 1.0)):
    if t not in picked:
        continue
    only = (cov[t] & target) - set().union(*(cov[u] for u in chosen + picked if u != t))
    cands = [u for u in pool if u not in chosen and u not in picked and cost.get(u, 1.0) < cost.get(t, 1.0)]
    swap, left = [], set(only)
    while left and cands:
        u = max(cands, key=lambda u: (len(cov[u] & left) / max(cost.get(u, 1.0), 0.5), -cost.get(u, 1.0)))
        if not cov[u] & left:
            break
        swap.append(u)
        cands.remove(u)
        left -= cov[u]
    if not left and sum(cost.get(u, 1.0) for u in swap) < cost.get(t, 1.0):
        picked.remove(t)
        picked.extend(swap)
        print(f"  swapped {t} ({cost.get(t, 0):.1f} s) for " +
              ", ".join(f"{u} ({cost.get(u, 0):.1f} s)" for u in swap))
        drop_redundant()
asan = chosen + picked
run = set().union(*(cov[t] for t in asan))
covered = sorted(t for t in pool if t not in asan and t != "_build")
def count(kind, s):
    return sum(1 for x in s if x[0] == kind)
lines = f"{count('L', run)} of the {count('L', everything)} lines and {count('B', run)} of the " \
        f"{count('B', everything)} branches of src/ the whole suite executes"
sec = sum(cost.get(t, 0) for t in asan), sum(cost.get(t, 0) for t in pool)
print(f"the ASan pass runs {len(asan) - 1} of {len(pool) - 1} tests ({len(chosen) - 1} always kept, {len(picked)} picked): "
      f"{lines}; {sec[0]:.0f} of {sec[1]:.0f} test-seconds in the coverage tree")
def spans(items):
    """("L", file, line) items as "file:3-5,9 other:12", ranges merged."""
    by = {}
    for x in items:
        by.setdefault(x[1], []).append(x[2])
    out = []
    for f, ls in sorted(by.items()):
        ls.sort()
        parts, lo = [], ls[0]
        for a, b in zip(ls, ls[1:] + [None]):
            if b != a + 1:
                parts.append(f"{lo}-{a}" if a != lo else f"{a}")
                lo = b
        out.append(f"{f}:{','.join(parts)}")
    return " ".join(out)
# Why each scenario test is in the pass: the lines no other test of the pass
# executes (a kept test may have none; a picked one always has some).
runs_of = {}  # a line of the target -> how many tests of the pass execute it
for u in asan:
    for x in cov[u] & target:
        runs_of[x] = runs_of.get(x, 0) + 1
for t in asan:
    if t == "_build" or "unit" in labels.get(t, set()):
        continue
    only = {x for x in cov[t] & target if runs_of[x] == 1}
    how = "picked" if t in picked else "kept"
    print(f"  {how} {t} ({cost.get(t, 0):.1f} s): {len(only)} lines only it executes"
          + (f": {spans(only)}" if only else ""))
for x in sorted(everything - run)[:40]:
    print("  not executed by the ASan pass:", *x[1:])
block = ["# begin covered (written by scripts/asan-selection.sh --write; do not edit by hand)",
         f"# The ASan pass executes {lines}.",
         "set(DTC_ASAN_COVERED"] + [f"    {t}" for t in covered]
block[-1] += ")"
block.append("# end covered")
if write:
    p = "tests/CMakeLists.txt"
    text = open(p).read()
    new, n = re.subn(r"# begin covered.*?# end covered", lambda m: "\n".join(block), text, flags=re.S)
    if n != 1:
        sys.exit(f"{p}: no '# begin covered' ... '# end covered' block to replace")
    open(p, "w").write(new)
    print(f"wrote {len(covered)} names into {p}")
else:
    print("\n".join(block))
EOF
