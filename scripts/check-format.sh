#!/usr/bin/env bash
# Every C source and header git tracks is laid out as .clang-format says
# (clang-format --dry-run --Werror); the first files that are not are named
# with the command that fixes them. Exit 77 (skipped) without clang-format.
set -euo pipefail
root="${1:-$(dirname "$0")/..}"
cd "$root"
command -v clang-format >/dev/null || { echo "clang-format is not installed: skipped"; exit 77; }
mapfile -t files < <(git ls-files '*.c' '*.h' 2>/dev/null || find src include tests bench -name '*.[ch]')
# Many files per clang-format run, one run per core: a process per file
# spent most of its time starting clang-format. Each violation is reported
# as "FILE:LINE:COL: error: code should be clang-formatted", which names
# the files that are not.
report="$(mktemp)"
trap 'rm -f "$report"' EXIT
printf '%s\0' "${files[@]}" | xargs -0 -r -P "$(nproc)" -n 20 clang-format --dry-run --Werror >/dev/null 2>"$report" || true
mapfile -t bad < <(sed -nE 's/^(.*):[0-9]+:[0-9]+: error: .*clang-format-violations.*$/\1/p' "$report" | sort -u)
if [ "${#bad[@]}" -eq 0 ] && [ -s "$report" ]; then
  echo "clang-format failed: $(head -1 "$report")" >&2
  exit 1
fi
if [ "${#bad[@]}" -gt 0 ]; then
  echo "not laid out as .clang-format says (${#bad[@]} files): ${bad[*]:0:10}" >&2
  echo "fix with: clang-format -i ${bad[*]:0:10}" >&2
  exit 1
fi
echo "${#files[@]} files follow .clang-format"
