#!/usr/bin/env bash
# The demo's "Next:" lines name the binary as a user would type it: plain
# `dtcost` when it ran by a path (./build/dtcost) and the first dtcost on
# PATH is that same file (a symlink to it counts), and the path it ran by
# when PATH's first dtcost is another program. A month of history: the
# claim is the name, not the data.
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

# demo PATH-FIRST OUT: the demo run by its absolute path, PATH-FIRST first on PATH
demo() {
  env -u DT_CLIENT_ID -u DT_CLIENT_SECRET -u DT_ACCOUNT_UUID PATH="$1:$PATH" \
    timeout 120 "$self" demo --days 30 --now 2026-11-22T06:00:00Z --db "$tmp/demo.db" >"$2" 2>&1 ||
    fail "demo exit $?: $(tail -3 "$2")"
  grep -q "everything reconciles" "$2" || fail "the demo did not verify: $(grep '^verify' "$2")"
  sed -n '/^Next:/,$p' "$2" | tail -n +2 >"$2.next"
  [ "$(wc -l <"$2.next")" -ge 4 ] || fail "no Next: lines: $(cat "$2")"
}
demo "$tmp/same" "$tmp/same.out"
while read -r first _; do
  [ "$first" = dtcost ] || fail "PATH's dtcost is this binary, yet a Next: line starts with '$first'"
done <"$tmp/same.out.next"
demo "$tmp/other" "$tmp/other.out"
while read -r first _; do
  [ "$first" = "$self" ] || fail "PATH's dtcost is another program, yet a Next: line starts with '$first'"
done <"$tmp/other.out.next"
echo ok
