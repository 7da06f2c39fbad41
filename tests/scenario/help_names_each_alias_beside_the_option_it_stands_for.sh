#!/usr/bin/env bash
# `dtcost CMD --help` names each alias on the line of the option it stands
# for (generated from the option table, like the man pages): `--json is
# --format json` for every command with --format, `also --from` / `also
# --to` for export's --since / --until; and an alias is parsed as that
# option, so a bad value gets the same one-line error.
set -euo pipefail
DTCOST="${DTCOST:-build/dtcost}"
mkdir -p "${DTCOST_TEST_TMP:-/tmp}"
tmp="$(mktemp -d "${DTCOST_TEST_TMP:-/tmp}/alias.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

n=0
for cmd in $("$DTCOST" --help | awk '/^commands:/{on=1; next} on && /^  [a-z]/{print $1}'); do
  "$DTCOST" "$cmd" --help >"$tmp/help" 2>"$tmp/err" || fail "dtcost $cmd --help: exit $?"
  [ ! -s "$tmp/err" ] || fail "dtcost $cmd --help wrote to stderr"
  if grep -q -- "^  --format table|json|csv " "$tmp/help"; then
    grep -q -- "^  --format table|json|csv .*(--json is --format json)$" "$tmp/help" ||
      fail "dtcost $cmd --help: --format does not name --json: $(grep -- '--format' "$tmp/help")"
    n=$((n + 1))
  fi
done
[ "$n" -ge 5 ] || fail "only $n commands have --format"
"$DTCOST" export --help >"$tmp/help"
grep -q -- "^  --since DATE .*(also --from)$" "$tmp/help" || fail "export --help: --since does not name --from"
grep -q -- "^  --until DATE .*(also --to)$" "$tmp/help" || fail "export --help: --until does not name --to"

# the alias is the option: the same error, naming the option
for pair in "--from --since" "--to --until"; do
  set -- $pair
  a="$("$DTCOST" export "$1" bogus 2>&1 >/dev/null)" && fail "export $1 bogus exited 0"
  b="$("$DTCOST" export "$2" bogus 2>&1 >/dev/null)" && fail "export $2 bogus exited 0"
  [ "$a" = "$b" ] || fail "export $1 and $2 differ: '$a' vs '$b'"
  grep -qF -- "$2 takes a date" <<<"$a" || fail "export $1 bogus: $a"
done
echo ok
