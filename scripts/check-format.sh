#!/usr/bin/env bash
# Every C source and header git tracks is laid out as .clang-format says
# (clang-format --dry-run --Werror); the first files that are not are named
# with the command that fixes them. Exit 77 (skipped) without clang-format.
set -euo pipefail
root="${1:-$(dirname "$0")/..}"
cd "$root"
command -v clang-format >/dev/null || { echo "clang-format is not installed: skipped"; exit 77; }
mapfile -t files < <(git ls-files '*.c' '*.h' 2>/dev/null || find src include tests bench -name '*.[ch]')
bad=()
for f in "${files[@]}"; do
  clang-format --dry-run --Werror "$f" >/dev/null 2>&1 || bad+=("$f")
done
if [ "${#bad[@]}" -gt 0 ]; then
  echo "not laid out as .clang-format says (${#bad[@]} files): ${bad[*]:0:10}" >&2
  echo "fix with: clang-format -i ${bad[*]:0:10}" >&2
  exit 1
fi
echo "${#files[@]} files follow .clang-format"
