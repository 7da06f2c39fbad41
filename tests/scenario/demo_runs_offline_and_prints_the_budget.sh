#!/usr/bin/env bash
# `dtcost demo` (README command one) works with no credentials and no network
# beyond loopback: exit 0, a year synced into the database, a budget summary
# per subscription with figures that agree with each other, pointers to what
# next, no secret in its output or database; a second demo adds nothing.
set -euo pipefail
DTCOST="${DTCOST:-build/dtcost}"
mkdir -p "${DTCOST_TEST_TMP:-/tmp}"
tmp="$(mktemp -d "${DTCOST_TEST_TMP:-/tmp}/demo.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

env -u DT_CLIENT_ID -u DT_CLIENT_SECRET -u DT_ACCOUNT_UUID \
  timeout 120 "$DTCOST" demo --db "$tmp/demo.db" >"$tmp/out" 2>"$tmp/err" || fail "demo exit $?: $(cat "$tmp/err")"
grep -q "^Synced into $tmp/demo.db" "$tmp/out" || fail "no sync line"
days="$(sqlite3 "$tmp/demo.db" "SELECT COUNT(DISTINCT day) FROM cost_day")"
[ "$days" -ge 365 ] || fail "the demo synced $days days, not a year"
[ "$(sqlite3 "$tmp/demo.db" "SELECT status FROM sync_run")" = ok ] || fail "sync_run not ok"
grep -q "has 3 subscriptions" "$tmp/out" || fail "no subscription list"
[ "$(grep -c '^  commitment' "$tmp/out")" = 3 ] || fail "not one budget per subscription"
grep -q "EXPIRED" "$tmp/out" || fail "expired subscription missing"
grep -q " EUR" "$tmp/out" || fail "EUR subscription missing"
grep -q "^Next:" "$tmp/out" || fail "no next steps"
# The next steps it suggests work on the database it wrote.
grep -qF "  $DTCOST report --db $tmp/demo.db --html report.html" "$tmp/out" || fail "no report suggestion"
# Every "Next:" line names the binary that ran (a path here, not on PATH) ...
sed -n '/^Next:/,$p' "$tmp/out" | tail -n +2 | while read -r first _; do
  [ "$first" = "$DTCOST" ] || fail "a Next: line starts with '$first', not the binary that ran ($DTCOST)"
done
# ... and plain dtcost when the dtcost on PATH is that binary. This is the
# second demo on the database: it reuses it and only re-reads what may have
# changed, so it adds nothing.
dir="$(cd "$(dirname "$DTCOST")" && pwd)"
(cd "$tmp" && PATH="$dir:$PATH" timeout 120 dtcost demo --db "$tmp/demo.db" >path.out 2>&1) || fail "demo via PATH"
grep -qF "  dtcost report --db $tmp/demo.db --html report.html" "$tmp/path.out" || fail "via PATH, Next: is not dtcost"
grep -q " 0 rows inserted" "$tmp/path.out" || fail "second demo inserted rows: $(grep Synced "$tmp/path.out")"
(cd "$tmp" && "$DTCOST" report --db demo.db --html report.html >report.txt) || fail "the suggested report fails"
grep -q "^Anomalies:" "$tmp/report.txt" && grep -q "<svg" "$tmp/report.html" || fail "the report is incomplete"
grep -Eq "^verify: [0-9]+ checks over 3 subscriptions and [0-9]+ days of .*: everything reconciles" "$tmp/out" \
  || fail "the demo did not verify its database: $(grep '^verify' "$tmp/out")"
if grep -qi "secret-not-for-production\|emulator-secret\|emu\.[0-9a-f]\{16\}" "$tmp/out" "$tmp/err" "$tmp/path.out"; then
  fail "a secret or token appears in the demo output"
fi
# remaining = commitment - used, to the cent, for every subscription.
awk '
  function num(s) { gsub(/,/, "", s); return s + 0 }
  /^  commitment/ { c = num($2) }
  /^  used/       { u = num($2) }
  /^  remaining/  { r = num($2); n++; d = c - u - r; if (d > 0.005 || d < -0.005) { bad = 1; print "mismatch: " c " - " u " != " r } }
  END { exit (n == 3 && !bad) ? 0 : 1 }' "$tmp/out" || fail "commitment - used != remaining"
if grep -q "emulator-secret" "$tmp/demo.db"; then fail "a secret is in the database"; fi
echo ok
