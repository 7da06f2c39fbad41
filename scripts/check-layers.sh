#!/usr/bin/env bash
# check-layers.sh: the folders are the architecture (docs/development.md);
# this fails when an include or a call crosses a layer it must not:
#   - SQLite (sqlite3.h, sqlite3_*) and libpq (libpq-fe.h, PQ*) only in
#     src/lib/store/, the back-ends behind the store interface;
#   - src/util includes nothing of the library but dtcost/errors.h;
#   - src/lib includes nothing of src/cli or src/emu;
#   - src/cli includes no private header of src/lib (only include/dtcost/,
#     src/util, src/emu and its own);
#   - a public header includes only public headers.
# One line per violation (file:line: what, and the rule), exit 1; exit 0
# and nothing on stdout when the tree is clean.
# usage: scripts/check-layers.sh [SOURCE_ROOT]   (default: this checkout)
set -euo pipefail
root=${1:-"$(dirname "$0")/.."}
cd "$root"
for d in src/lib src/util src/cli include/dtcost; do
  [ -d "$d" ] || { echo "check-layers: $root/$d is missing: run it on a dtcost source tree" >&2; exit 2; }
done

violations=0
say() { echo "$1"; violations=$((violations + 1)); }

# Headers by the name an include uses, per folder (one lookup table each).
declare -A lib_private util_headers cli_headers emu_headers
while IFS= read -r h; do lib_private[$h]=1; done < <(find src/lib -name '*.h' -printf '%f\n')
while IFS= read -r h; do util_headers[$h]=1; done < <(find src/util -name '*.h' -printf '%f\n')
while IFS= read -r h; do cli_headers[$h]=1; done < <(find src/cli -name '*.h' -printf '%f\n')
while IFS= read -r h; do emu_headers[$h]=1; done < <(find src/emu -name '*.h' -printf '%f\n')

# Database client libraries: only the store's back-ends (one grep for all).
while IFS=: read -r f line text; do
  case "$f" in src/lib/store/*) continue ;; esac
  what=$(grep -oE 'sqlite3[a-z0-9_.]*|libpq-fe\.h|PQ[a-zA-Z]+|PGconn|PGresult' <<<"$text" | head -1)
  case "$what" in
  sqlite3*) say "$f:$line: uses SQLite ($what): only src/lib/store/ may" ;;
  *) say "$f:$line: uses libpq ($what): only src/lib/store/ may" ;;
  esac
done < <(grep -rnE --include='*.[ch]' '#[[:space:]]*include[[:space:]]*[<"](sqlite3|libpq-fe)\.h|\bsqlite3_[a-z0-9_]+\b|\bsqlite3[[:space:]]*\*|\bPQ[a-z][a-zA-Z]*[[:space:]]*\(|\bPGconn\b|\bPGresult\b' \
           src/lib src/cli src/util src/emu | sort -t: -k1,1 -k2,2n)

# Quoted includes, one grep for all: "file:line:name".
while IFS=: read -r f line text; do
  [[ $text =~ \"([^\"]+)\" ]] || continue
  name=${BASH_REMATCH[1]}
  base=${name##*/}
  case "$f" in
  src/util/*)
    # util: its own headers and dtcost/errors.h, nothing else of ours.
    [ "$name" = dtcost/errors.h ] || [ -n "${util_headers[$base]:-}" ] ||
      say "$f:$line: includes \"$name\": src/util may include only its own headers and dtcost/errors.h" ;;
  src/lib/*)
    # the library: nothing of the CLI or the emulator.
    case "$name" in dtcost/*) continue ;; esac
    if [ -n "${lib_private[$base]:-}" ] || [ -n "${util_headers[$base]:-}" ]; then continue; fi
    if [ -n "${cli_headers[$base]:-}" ]; then
      say "$f:$line: includes \"$name\" of src/cli: the library must not know the CLI"
    elif [ -n "${emu_headers[$base]:-}" ]; then
      say "$f:$line: includes \"$name\" of src/emu: the library must not know the emulator"
    else
      say "$f:$line: includes \"$name\", which is not the library's, util's or a public header"
    fi ;;
  src/cli/*)
    # the CLI: the public API, util, the emulator, its own headers.
    case "$name" in dtcost/*) continue ;; esac
    if [ -n "${cli_headers[$base]:-}" ] || [ -n "${util_headers[$base]:-}" ] || [ -n "${emu_headers[$base]:-}" ]; then
      continue
    fi
    if [ -n "${lib_private[$base]:-}" ]; then
      say "$f:$line: includes \"$name\", private to src/lib: use the public header in include/dtcost/"
    else
      say "$f:$line: includes \"$name\", which is not the CLI's, util's, the emulator's or a public header"
    fi ;;
  include/dtcost/*)
    # a user has nothing else.
    case "$name" in dtcost/*) continue ;; esac
    say "$f:$line: includes \"$name\": a public header may include only dtcost/ headers" ;;
  esac
done < <(grep -rnE --include='*.[ch]' --include='*.h.in' '^[[:space:]]*#[[:space:]]*include[[:space:]]*"[^"]+"' \
           src/util src/lib src/cli include/dtcost | sort -t: -k1,1 -k2,2n)

if [ "$violations" -gt 0 ]; then
  echo "check-layers: $violations violation(s) (rules: scripts/check-layers.sh, docs/development.md)" >&2
  exit 1
fi
exit 0
