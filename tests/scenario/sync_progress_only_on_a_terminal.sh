#!/usr/bin/env bash
# `dtcost sync` draws a progress line on stderr only when stderr is a
# terminal: under a pseudo-terminal (script) it shows pages and rows; piped,
# stderr stays empty; --quiet prints nothing at all on a clean run.
set -euo pipefail
DTCOST="${DTCOST:-build/dtcost}"
mkdir -p "${DTCOST_TEST_TMP:-/tmp}"
tmp="$(mktemp -d "${DTCOST_TEST_TMP:-/tmp}/progress.XXXXXX")"
# the emulator is set-up: DTCOST_HELPER runs it when given (tests/scenario/lib/emu.py)
"${DTCOST_HELPER:-$DTCOST}" emulate --port 0 --days 60 >"$tmp/port" 2>/dev/null &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$tmp"' EXIT
for _ in $(seq 50); do [ -s "$tmp/port" ] && break; sleep 0.1; done
host="http://127.0.0.1:$(head -1 "$tmp/port")"
export DT_ACCOUNT_UUID=2b236438-2a31-4872-8655-bca4fa8af917 DT_CLIENT_ID=dt0s02.EMUCLI00
export DT_CLIENT_SECRET=dt0s02.EMUCLI00.emulator-secret-not-for-production
export DT_SSO_URL="$host/sso/oauth2/token" DT_API_URL="$host"
fail() { echo "FAIL: $*" >&2; exit 1; }
command -v script >/dev/null || { echo "script(1) missing" >&2; exit 77; }

# Piped: no progress, one summary line on stdout; the EUR subscription's
# missing cost allocation is the only warning.
"$DTCOST" sync --db "$tmp/a.db" >"$tmp/out" 2>"$tmp/err" || fail "sync exit $?"
[ "$(wc -l <"$tmp/out")" = 1 ] || fail "summary is not one line: $(cat "$tmp/out")"
if grep -q "pages" "$tmp/err"; then fail "progress drawn on a pipe"; fi
grep -q "warning: cost allocation" "$tmp/err" || fail "expected warning missing: $(cat "$tmp/err")"

# --quiet turns the progress off even on a terminal.
script -qec "'$DTCOST' sync --db '$tmp/b.db' --quiet --since 2026-01-01" /dev/null >"$tmp/tty" 2>&1 \
  || fail "sync under a pty failed: $(cat "$tmp/tty")"
if grep -q "pages" "$tmp/tty"; then fail "--quiet still drew progress"; fi
# On a terminal: the progress line shows up and redraws in place.
script -qec "'$DTCOST' sync --db '$tmp/c.db' --since 2026-01-01" /dev/null >"$tmp/tty2" 2>&1 \
  || fail "sync under a pty failed: $(cat "$tmp/tty2")"
grep -q "pages" "$tmp/tty2" || fail "no progress on a terminal: $(cat "$tmp/tty2")"
grep -q $'\r' "$tmp/tty2" || fail "progress does not redraw in place"
echo ok
