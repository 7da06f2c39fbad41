#!/usr/bin/env bash
# `dtcost demo` (README command one) works with no credentials and no network
# beyond loopback: exit 0, a budget summary per subscription with figures that
# agree with each other, pointers to what next, and no secret in its output.
set -euo pipefail
DTCOST="${DTCOST:-build/dtcost}"
mkdir -p "${DTCOST_TEST_TMP:-/tmp}"
tmp="$(mktemp -d "${DTCOST_TEST_TMP:-/tmp}/demo.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

env -u DT_CLIENT_ID -u DT_CLIENT_SECRET -u DT_ACCOUNT_UUID \
  timeout 60 "$DTCOST" demo >"$tmp/out" 2>"$tmp/err" || fail "demo exit $?: $(cat "$tmp/err")"
grep -q "has 3 subscriptions" "$tmp/out" || fail "no subscription list"
[ "$(grep -c '^  commitment' "$tmp/out")" = 3 ] || fail "not one budget per subscription"
grep -q "EXPIRED" "$tmp/out" || fail "expired subscription missing"
grep -q " EUR" "$tmp/out" || fail "EUR subscription missing"
grep -q "^Next:" "$tmp/out" || fail "no next steps"
if grep -qi "secret-not-for-production\|emulator-secret\|emu\.[0-9a-f]\{16\}" "$tmp/out" "$tmp/err"; then
  fail "a secret or token appears in the demo output"
fi
# remaining = commitment - used, to the cent, for every subscription.
awk '
  function num(s) { gsub(/,/, "", s); return s + 0 }
  /^  commitment/ { c = num($2) }
  /^  used/       { u = num($2) }
  /^  remaining/  { r = num($2); n++; d = c - u - r; if (d > 0.005 || d < -0.005) { bad = 1; print "mismatch: " c " - " u " != " r } }
  END { exit (n == 3 && !bad) ? 0 : 1 }' "$tmp/out" || fail "commitment - used != remaining"
echo ok
