#!/usr/bin/env bash
# `cmake --install <build> --prefix <dir>` puts a dtcost in <dir>/bin that
# runs and says the project's version.
# usage: install_puts_a_working_dtcost_in_bin.sh CMAKE BUILD_DIR TMP_DIR VERSION
set -euo pipefail
cmake=$1 build=$2 tmp=$3 version=$4
mkdir -p "$tmp"
prefix=$(mktemp -d "$tmp/install.XXXXXX")
trap 'rm -rf "$prefix"' EXIT
"$cmake" --install "$build" --prefix "$prefix" >/dev/null
if [ ! -x "$prefix/bin/dtcost" ]; then
  echo "FAIL: no executable $prefix/bin/dtcost after cmake --install" >&2
  find "$prefix" >&2
  exit 1
fi
got=$("$prefix/bin/dtcost" --version)
if [ "$got" != "dtcost $version" ]; then
  echo "FAIL: installed dtcost --version said '$got', expected 'dtcost $version'" >&2
  exit 1
fi
echo "ok: $prefix/bin/dtcost --version: $got"
