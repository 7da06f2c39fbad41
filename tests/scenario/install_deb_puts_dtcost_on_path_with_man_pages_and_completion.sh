#!/usr/bin/env bash
# The Debian package built by `cpack -G DEB` declares its libraries, installs
# dtcost on PATH with a man page per command (each renders without a warning,
# generated from the same option tables as --help, so every option is in it)
# and bash completion (dtcost re<TAB> offers report); `dpkg -r` leaves nothing.
# It installs into a scratch dpkg root; with DTCOST_TEST_SYSTEM_INSTALL=1 (CI,
# as root) it also installs on the machine itself and removes it again.
set -euo pipefail
DTCOST="${DTCOST:-build/dtcost}"
build="$(cd "$(dirname "$DTCOST")" && pwd)"
mkdir -p "${DTCOST_TEST_TMP:-/tmp}"
tmp="$(mktemp -d "${DTCOST_TEST_TMP:-/tmp}/deb.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
for tool in cpack dpkg dpkg-deb man; do
  command -v "$tool" >/dev/null || { echo "SKIP: $tool not installed"; exit 77; }
done

cpack -G DEB --config "$build/CPackConfig.cmake" -B "$tmp/pkg" >"$tmp/cpack.log" 2>&1 ||
  fail "cpack: $(tail -5 "$tmp/cpack.log")"
deb="$(ls "$tmp"/pkg/dtcost_*.deb)"
deps="$(dpkg-deb -f "$deb" Depends)"
for lib in libcurl4 libsqlite3-0 libmicrohttpd12 libjansson4 libzip4 libssl3; do
  grep -q "$lib" <<<"$deps" || fail "Depends lacks $lib: $deps"
done

# completion WORDS...: what bash offers for the last word, from a completion file.
completion() {
  local file="$1"; shift
  bash --norc --noprofile -c 'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _dtcost
                              printf "%s\n" "${COMPREPLY[@]}"' _ "$file" "$@"
}

# check ROOT: what an installed package must provide under ROOT (/ or a scratch root).
check() {
  local root="$1" bin="$1/usr/bin" man="$1/usr/share/man"
  [ "$(PATH="$bin:$PATH" command -v dtcost)" = "$bin/dtcost" ] || fail "dtcost is not on PATH after install"
  PATH="$bin:$PATH" dtcost --version | grep -q "^dtcost [0-9]" || fail "dtcost --version"
  MANWIDTH=80 man --warnings -M "$man" dtcost-sync >"$tmp/sync.txt" 2>"$tmp/man.err" || fail "man dtcost-sync"
  [ ! -s "$tmp/man.err" ] || fail "man dtcost-sync warns: $(cat "$tmp/man.err")"
  grep -q "EXIT STATUS" "$tmp/sync.txt" || fail "man dtcost-sync has no EXIT STATUS"
  for page in "$man"/man1/dtcost*.1*; do
    MANWIDTH=80 man --warnings -l "$page" >/dev/null 2>"$tmp/man.err" || fail "man -l $page"
    [ ! -s "$tmp/man.err" ] || fail "$page: $(cat "$tmp/man.err")"
  done
  for section in "EXIT STATUS" ENVIRONMENT FILES; do
    MANWIDTH=80 man -M "$man" dtcost 2>/dev/null | grep -q "^$section" || fail "dtcost(1) has no $section"
  done
  local comp="$root/usr/share/bash-completion/completions/dtcost"
  [ "$(completion "$comp" dtcost re)" = report ] || fail "dtcost re<TAB> offers '$(completion "$comp" dtcost re)'"
  [ "$(completion "$comp" dtcost report --format '' | tr '\n' ' ')" = "table json csv " ] ||
    fail "dtcost report --format <TAB> offers '$(completion "$comp" dtcost report --format '')'"
  local zcomp="$root/usr/share/zsh/vendor-completions/_dtcost"
  [ -s "$zcomp" ] || fail "no zsh completion"
  if command -v zsh >/dev/null; then
    zsh -n "$zcomp" || fail "the zsh completion is not valid zsh"
    [ "$(zsh -fc 'fpath=("$1" $fpath); autoload -Uz compinit; compinit -u -d "$2"; print $_comps[dtcost]' _ \
         "$(dirname "$zcomp")" "$tmp/zcompdump")" = _dtcost ] || fail "zsh does not bind _dtcost to dtcost"
  fi
  # Every option --help lists is in the command's man page and its completion.
  for cmd in $("$DTCOST" --help | awk '/^commands:/{on=1; next} on && /^  [a-z]/{print $1}'); do
    local page="$man/man1/dtcost-$cmd.1"
    [ -f "$page" ] || fail "no man page for $cmd"
    local offered
    offered="$(completion "$comp" dtcost "$cmd" --)"
    for opt in $("$DTCOST" "$cmd" --help | sed -n 's/^  \(--[a-z0-9-]*\).*/\1/p'); do
      grep -qF -- "${opt//-/\\-}" "$page" || fail "man page of $cmd lacks $opt"
      grep -qx -- "$opt" <<<"$offered" || fail "completion of dtcost $cmd lacks $opt"
    done
  done
}

# A scratch dpkg database: the package's files and nothing else.
root="$tmp/root"
mkdir -p "$root/var/lib/dpkg/info" "$root/var/lib/dpkg/updates"
touch "$root/var/lib/dpkg/status" "$root/var/lib/dpkg/available"
dpkg --root="$root" --force-depends --force-script-chrootless --force-not-root -i "$deb" >"$tmp/dpkg.log" 2>&1 ||
  fail "dpkg -i: $(tail -3 "$tmp/dpkg.log")"
check "$root"
dpkg --root="$root" --force-depends --force-script-chrootless --force-not-root -r dtcost >"$tmp/dpkg.log" 2>&1 ||
  fail "dpkg -r: $(tail -3 "$tmp/dpkg.log")"
left="$(cd "$root" && find . -path ./var/lib/dpkg -prune -o -type f -print)"
[ -z "$left" ] || fail "dpkg -r left files: $left"

if [ "${DTCOST_TEST_SYSTEM_INSTALL:-0}" = 1 ] && [ "$(id -u)" = 0 ]; then
  dpkg -i "$deb" >"$tmp/dpkg.log" 2>&1 || fail "dpkg -i on the machine: $(tail -3 "$tmp/dpkg.log")"
  [ "$(command -v dtcost)" = /usr/bin/dtcost ] || fail "dtcost not at /usr/bin/dtcost"
  check ""
  dpkg -r dtcost >"$tmp/dpkg.log" 2>&1 || fail "dpkg -r on the machine"
  [ ! -e /usr/bin/dtcost ] && [ ! -e /usr/share/man/man1/dtcost-sync.1 ] || fail "dpkg -r left files behind"
  echo "installed on the machine and removed again"
fi
echo "ok: $(basename "$deb"), Depends: $deps"
