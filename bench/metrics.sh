#!/usr/bin/env bash
# /metrics size with the cost-series cap ([serve] metrics_max_series, default
# 500) against the uncapped exposition measured in the same run, for an
# account of ENVS environments x CAPS capabilities (default 200 x 30: 6000
# cost series of the last complete day). The database comes from
# bench/report.sh's generator (DAYS=3 days of it).
# usage: bench/metrics.sh [BUILD_DIR]   (default build-bench)
set -euo pipefail
cd "$(dirname "$0")/.."
b="${1:-build-bench}"
envs="${ENVS:-200}" caps="${CAPS:-30}"
tmp="$(mktemp -d)"
pid=""
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$tmp"' EXIT
DAYS=3 ENVS="$envs" CAPS="$caps" DB="$tmp/m.db" bash bench/report.sh "$b" >/dev/null 2>&1

# scrape CAP: bytes, all series, cost series and the seconds to build them (one
# serve cycle, which refreshes the database's families once)
scrape() {
  local t0 t1 port
  t0=$(date +%s.%N)
  "$b/dtcost" serve --no-sync --db "$tmp/m.db" --listen 127.0.0.1:0 --interval 3600 --quiet \
    --metrics-max-series "$1" >"$tmp/port" 2>"$tmp/err" &
  pid=$!
  for _ in $(seq 1 600); do [ -s "$tmp/port" ] && break; sleep 0.05; done
  port="$(head -1 "$tmp/port")"
  curl -sf "http://127.0.0.1:$port/metrics" >"$tmp/metrics.txt"
  t1=$(date +%s.%N)
  kill "$pid"; wait "$pid" 2>/dev/null || true; pid=""
  printf '%-34s %9d %8d %12d %8.2f\n' "$2" "$(wc -c <"$tmp/metrics.txt")" \
    "$(grep -vc '^#' "$tmp/metrics.txt")" "$(grep -c '^dtcost_cost_last_complete_day{' "$tmp/metrics.txt")" \
    "$(echo "$t1 - $t0" | bc)"
}
echo "metrics benchmark: $envs environments x $caps capabilities, one subscription, $(nproc) cores"
printf '%-34s %9s %8s %12s %8s\n' run bytes series cost_series seconds
scrape 1000000 "baseline: uncapped"
scrape 500 "default cap (500)"
scrape 50 "--metrics-max-series 50"
