#!/usr/bin/env bash
# With 300 days of history the demo's USD budget runs out within its period
# at the 30-day burn: the projection names that day and the days it leaves
# of the period, and they add up to the period's end in the database.
set -euo pipefail
DTCOST="${DTCOST:-build/dtcost}"
mkdir -p "${DTCOST_TEST_TMP:-/tmp}"
tmp="$(mktemp -d "${DTCOST_TEST_TMP:-/tmp}/demo-projection.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
env -u DT_CLIENT_ID -u DT_CLIENT_SECRET -u DT_ACCOUNT_UUID \
  timeout 120 "$DTCOST" demo --days 300 --now 2026-11-22T06:00:00Z --db "$tmp/demo.db" >"$tmp/out" 2>&1 ||
  fail "demo exit $?: $(tail -3 "$tmp/out")"
grep -q "everything reconciles" "$tmp/out" || fail "the demo did not verify: $(grep '^verify' "$tmp/out")"
line="$(grep "^  projection    budget runs out on " "$tmp/out")" || fail "no budget runs out: $(cat "$tmp/out")"
read -r when left < <(sed -E 's/.* on ([0-9-]+), ([0-9]+) days before the period ends$/\1 \2/' <<<"$line")
end="$(sqlite3 "$tmp/demo.db" "SELECT period_end FROM subscription WHERE budget_total_micro > 0 AND status = 'ACTIVE'
  AND currency = 'USD'")"
[ $(( ($(date -ud "${end:0:10}" +%s) - $(date -ud "$when" +%s)) / 86400 )) = "$left" ] ||
  fail "runs out on $when, $left days before $end: the days do not add up"
echo ok
