#!/usr/bin/env bash
# Installs DuckDB's Node.js client (@duckdb/node-api, pinned) from the npm
# registry into a cache folder outside the tree, once, and prints that folder.
# The FOCUS DuckDB test loads dtcost's FOCUS export with it, as a FinOps
# analyst would. Prints nothing (and exits 0) when npm is unavailable or the
# install fails: the test then reports itself skipped (exit 77) with the reason.
set -uo pipefail
version="1.5.6-r.1"
dir="${DTCOST_DUCKDB_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/dtcost/duckdb-node-$version}"
if [ -f "$dir/node_modules/@duckdb/node-api/package.json" ]; then
  echo "$dir"
  exit 0
fi
if ! command -v npm >/dev/null 2>&1; then
  echo "install-duckdb: npm not found; the FOCUS DuckDB test will be skipped" >&2
  exit 0
fi
mkdir -p "$dir"
echo "install-duckdb: installing @duckdb/node-api@$version into $dir" >&2
if npm install --prefix "$dir" --no-audit --no-fund --loglevel=error \
     "@duckdb/node-api@$version" >"$dir/install.log" 2>&1 &&
   [ -f "$dir/node_modules/@duckdb/node-api/package.json" ]; then
  echo "$dir"
else
  echo "install-duckdb: npm install failed (see $dir/install.log); the FOCUS DuckDB test will be skipped" >&2
fi
exit 0
