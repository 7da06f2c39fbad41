#!/usr/bin/env bash
# The demo's "Next:" lines name the binary as a user would type it: plain
# `dtcost` when it ran by its name from PATH, or by a path (./build/dtcost)
# while the first dtcost on PATH is that same file (a symlink to it counts);
# the path it ran by when PATH's first dtcost is another program. Each demo
# runs a month, on a database of its own (the projection of a longer one:
# demo_projection_names_the_day_the_budget_runs_out.sh).
set -euo pipefail
DTCOST="${DTCOST:-build/dtcost}"
mkdir -p "${DTCOST_TEST_TMP:-/tmp}"
tmp="$(mktemp -d "${DTCOST_TEST_TMP:-/tmp}/demo-path.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
self="$(cd "$(dirname "$DTCOST")" && pwd)/$(basename "$DTCOST")"
mkdir "$tmp/same" "$tmp/other"
ln -s "$self" "$tmp/same/dtcost"
printf '#!/bin/sh\necho another dtcost\n' >"$tmp/other/dtcost"
chmod +x "$tmp/other/dtcost"

# demo PATH-FIRST OUT DAYS [NAME]: the demo of DAYS run by its absolute path
# (or by NAME), PATH-FIRST first on PATH, into OUT and OUT.db
demo() {
  env -u DT_CLIENT_ID -u DT_CLIENT_SECRET -u DT_ACCOUNT_UUID PATH="$1:$PATH" \
    timeout 120 "${4:-$self}" demo --days "$3" --now 2026-11-22T06:00:00Z --db "$2.db" >"$2" 2>&1 ||
    fail "demo exit $?: $(tail -3 "$2")"
  grep -q "everything reconciles" "$2" || fail "the demo did not verify: $(grep '^verify' "$2")"
  sed -n '/^Next:/,$p' "$2" | tail -n +2 >"$2.next"
  [ "$(wc -l <"$2.next")" -ge 4 ] || fail "no Next: lines: $(cat "$2")"
}
demo "$tmp/same" "$tmp/same.out" 30
while read -r first _; do
  [ "$first" = dtcost ] || fail "PATH's dtcost is this binary, yet a Next: line starts with '$first'"
done <"$tmp/same.out.next"
demo "$tmp/same" "$tmp/name.out" 30 dtcost
while read -r first _; do
  [ "$first" = dtcost ] || fail "run by its name from PATH, yet a Next: line starts with '$first'"
done <"$tmp/name.out.next"
demo "$tmp/other" "$tmp/other.out" 30
while read -r first _; do
  [ "$first" = "$self" ] || fail "PATH's dtcost is another program, yet a Next: line starts with '$first'"
done <"$tmp/other.out.next"
echo ok
