#!/usr/bin/env bash
# The demo's "Next:" lines name the binary as a user would type it: plain
# `dtcost` when it ran by its name from PATH, or by a path (./build/dtcost)
# while the first dtcost on PATH is that same file (a symlink to it counts);
# the path it ran by when PATH's first dtcost is another program. With 300
# days of history the USD budget runs out within its period at the 30-day
# burn: the projection names that day and the days it leaves of the period.
# The other two demos run a month each, on databases of their own.
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
demo "$tmp/same" "$tmp/same.out" 300
while read -r first _; do
  [ "$first" = dtcost ] || fail "PATH's dtcost is this binary, yet a Next: line starts with '$first'"
done <"$tmp/same.out.next"
line="$(grep "^  projection    budget runs out on " "$tmp/same.out")" || fail "no budget runs out: $(cat "$tmp/same.out")"
read -r when left < <(sed -E 's/.* on ([0-9-]+), ([0-9]+) days before the period ends$/\1 \2/' <<<"$line")
end="$(sqlite3 "$tmp/same.out.db" "SELECT period_end FROM subscription WHERE budget_total_micro > 0 AND status = 'ACTIVE'
  AND currency = 'USD'")"
[ $(( ($(date -ud "${end:0:10}" +%s) - $(date -ud "$when" +%s)) / 86400 )) = "$left" ] ||
  fail "runs out on $when, $left days before $end: the days do not add up"
demo "$tmp/same" "$tmp/name.out" 30 dtcost
while read -r first _; do
  [ "$first" = dtcost ] || fail "run by its name from PATH, yet a Next: line starts with '$first'"
done <"$tmp/name.out.next"
demo "$tmp/other" "$tmp/other.out" 30
while read -r first _; do
  [ "$first" = "$self" ] || fail "PATH's dtcost is another program, yet a Next: line starts with '$first'"
done <"$tmp/other.out.next"
echo ok
