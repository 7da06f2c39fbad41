#!/usr/bin/env bash
# The command line behaves like a Unix tool: --help on stdout with exit 0 and
# every option listed with its default; a usage error is one line on stderr
# naming the input and pointing at --help, exit 2; a taken port is exit 69.
set -euo pipefail
DTCOST="${DTCOST:-build/dtcost}"
mkdir -p "${DTCOST_TEST_TMP:-/tmp}"
tmp="$(mktemp -d "${DTCOST_TEST_TMP:-/tmp}/cli.XXXXXX")"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done; rm -rf "$tmp"; }
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# expect CODE STDERR-FRAGMENT -- ARGS...: exit code, one stderr line, empty stdout.
expect() {
  local code="$1" frag="$2"; shift 3
  local rc=0
  "$DTCOST" "$@" >"$tmp/out" 2>"$tmp/err" || rc=$?
  [ "$rc" = "$code" ] || fail "dtcost $*: exit $rc, wanted $code ($(cat "$tmp/err"))"
  [ "$(wc -l <"$tmp/err")" = 1 ] || fail "dtcost $*: stderr is not one line: $(cat "$tmp/err")"
  grep -qF -- "$frag" "$tmp/err" || fail "dtcost $*: stderr lacks '$frag': $(cat "$tmp/err")"
  grep -qF -- "--help" "$tmp/err" || fail "dtcost $*: stderr does not point at --help"
  [ ! -s "$tmp/out" ] || fail "dtcost $*: wrote to stdout on a usage error"
}

expect 2 "unknown command 'frob'" -- frob
expect 2 "unknown option '--nope'" -- emulate --nope
expect 2 "--port takes a whole number, not 'abc'" -- emulate --port abc
expect 2 "--fault-429 takes a probability from 0 to 1, not '2'" -- emulate --fault-429 2
expect 2 "--now takes a date like" -- emulate --now tomorrow
expect 2 "--last-page-key" -- emulate --last-page-key sometimes
# a near miss is named
expect 2 "unknown command 'reprot'; did you mean 'report'?" -- reprot
expect 2 "unknown option '--jsno'; did you mean '--json'?" -- report --jsno
expect 2 "--format takes one of table, json, csv, not 'xml'" -- report --format xml
# relative days count from DTCOST_NOW: -3d from 2000-01-07 is before 2000-01-05, refused before any
# database is opened (on the real clock it is after, and the missing database is exit 66)
DTCOST_NOW=2000-01-07T06:00:00Z expect 2 "--until is before --since" -- export --db "$tmp/none.db" --since 2000-01-05 --until -3d

# --help: stdout, exit 0, every option of the table with its default.
"$DTCOST" emulate --help >"$tmp/help" 2>"$tmp/err" || fail "emulate --help exit $?"
[ ! -s "$tmp/err" ] || fail "emulate --help wrote to stderr"
for opt in --bind --port --log --seed --now --days --token-ttl --last-page-key --fault-429 \
           --fault-truncate-zip --token-max-uses --export-busy --bizevents-max; do
  grep -q -- "^  $opt " "$tmp/help" || fail "emulate --help lacks $opt"
done
grep -q -- "--port PORT .*(default: 8319)" "$tmp/help" || fail "--help does not show the port default"
"$DTCOST" --help >"$tmp/help" || fail "--help exit $?"
grep -q "^  emulate " "$tmp/help" && grep -q "^  demo " "$tmp/help" || fail "--help lacks the command table"
"$DTCOST" --version | grep -Eq '^dtcost [0-9]+\.[0-9]+\.[0-9]+$' || fail "--version"

# A port already taken: one line saying so and what to do, exit 69 (EX_UNAVAILABLE).
"$DTCOST" emulate --port 0 >"$tmp/port" 2>/dev/null &
pids+=($!)
for _ in $(seq 50); do [ -s "$tmp/port" ] && break; sleep 0.1; done
port="$(head -1 "$tmp/port")"
rc=0
"$DTCOST" emulate --port "$port" >/dev/null 2>"$tmp/err" || rc=$?
[ "$rc" = 69 ] || fail "taken port: exit $rc, wanted 69"
grep -q "cannot listen on 127.0.0.1:$port" "$tmp/err" && grep -q -- "--port 0" "$tmp/err" \
  || fail "taken port message: $(cat "$tmp/err")"

# SIGTERM stops the emulator cleanly with exit 0.
kill -TERM "${pids[0]}"
rc=0
wait "${pids[0]}" || rc=$?
[ "$rc" = 0 ] || fail "emulate exited $rc on SIGTERM"
pids=()
echo ok
