#!/usr/bin/env bash
# Installs Prism (@stoplight/prism-cli, pinned) from the npm registry into a
# cache folder outside the tree, once, and prints the path of its binary.
# The OpenAPI contract test runs the emulator behind `prism proxy --errors`.
# Prints nothing (and exits 0) when npm is unavailable or the install fails:
# the contract test then reports itself skipped outside CI and fails in CI.
set -uo pipefail
version="5.14.2"
dir="${DTCOST_PRISM_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/dtcost/prism-$version}"
bin="$dir/node_modules/.bin/prism"
if [ -x "$bin" ]; then
  echo "$bin"
  exit 0
fi
if ! command -v npm >/dev/null 2>&1; then
  echo "install-prism: npm not found; the OpenAPI contract test will be skipped" >&2
  exit 0
fi
mkdir -p "$dir"
echo "install-prism: installing @stoplight/prism-cli@$version into $dir" >&2
if npm install --prefix "$dir" --no-audit --no-fund --loglevel=error \
     "@stoplight/prism-cli@$version" >"$dir/install.log" 2>&1 && [ -x "$bin" ]; then
  echo "$bin"
else
  echo "install-prism: npm install failed (see $dir/install.log); the contract test will be skipped" >&2
fi
exit 0
