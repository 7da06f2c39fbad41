#!/usr/bin/env bash
# scripts/check-layers.sh passes on a clean copy of the tree and fails, naming
# the file and the rule, on each violation planted in a fresh copy.
# usage: layers_check_fails_on_each_planted_violation.sh SOURCE_ROOT TMP_DIR
set -euo pipefail
src=$1 tmp=$2
mkdir -p "$tmp"
work=$(mktemp -d "$tmp/layers.XXXXXX")
trap 'rm -rf "$work"' EXIT
fails=0

fresh() {
  rm -rf "$work/tree"
  mkdir -p "$work/tree"
  cp -r "$src/src" "$src/include" "$src/scripts" "$work/tree/"
}

# plant FILE LINE EXPECTED: append LINE to FILE in a fresh copy; the check
# must exit 1 and print EXPECTED (a fixed string).
plant() {
  local file=$1 line=$2 want=$3 out rc=0
  fresh
  printf '%s\n' "$line" >>"$work/tree/$file"
  out=$(bash "$work/tree/scripts/check-layers.sh" "$work/tree" 2>&1) || rc=$?
  if [ "$rc" -ne 1 ] || ! grep -qF -- "$want" <<<"$out"; then
    echo "FAIL: '$line' in $file: exit $rc, output: $out" >&2
    fails=$((fails + 1))
  else
    echo "ok: '$line' in $file refused: $(head -1 <<<"$out")"
  fi
}

fresh
if ! out=$(bash "$work/tree/scripts/check-layers.sh" "$work/tree" 2>&1); then
  echo "FAIL: the clean tree does not pass: $out" >&2
  exit 1
fi

plant src/lib/sync.c '#include <sqlite3.h>' 'src/lib/sync.c:'
plant src/cli/cmd_report.c 'static int f(void) { return sqlite3_threadsafe(); }' 'uses SQLite (sqlite3_threadsafe)'
plant src/lib/report.c '#include <libpq-fe.h>' 'uses libpq (libpq-fe.h)'
plant src/util/buf.c '#include "dtcost/store.h"' 'src/util may include only its own headers and dtcost/errors.h'
plant src/util/text.c '#include "limiter.h"' 'src/util may include only'
plant src/lib/dps.c '#include "opts.h"' 'the library must not know the CLI'
plant src/lib/push/push.c '#include "emu.h"' 'the library must not know the emulator'
plant src/cli/cmd_sync.c '#include "limiter.h"' 'private to src/lib'
plant src/cli/cmd_push.c '#include "store/store_impl.h"' 'private to src/lib'
plant include/dtcost/store.h '#include "buf.h"' 'a public header may include only dtcost/ headers'

[ "$fails" -eq 0 ] || exit 1
