#!/usr/bin/env bash
# Sync benchmark: `dtcost sync` of 400 days x 50 environments x 30
# capabilities from the emulator over loopback, cold (empty database) and
# warm (the next incremental run), next to the fetch-only baseline: the same
# GET requests replayed over one keep-alive connection without parsing or
# storing (bench/replay.c). Prints wall time, requests, rows and the ratio.
# usage: bench/sync.sh [BUILD_DIR]   (default build-bench)
set -euo pipefail
cd "$(dirname "$0")/.."
b="${1:-build-bench}"
tmp="$(mktemp -d)"
"$b/dtcost" emulate --port 0 --days "${DAYS:-400}" --environments "${ENVS:-50}" --capabilities "${CAPS:-30}" \
  --log "$tmp/requests.jsonl" >"$tmp/port" 2>/dev/null &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$tmp"' EXIT
for _ in $(seq 100); do [ -s "$tmp/port" ] && break; sleep 0.1; done
port="$(head -1 "$tmp/port")"
export DT_ACCOUNT_UUID=2b236438-2a31-4872-8655-bca4fa8af917 DT_CLIENT_ID=dt0s02.EMUCLI00
export DT_CLIENT_SECRET=dt0s02.EMUCLI00.emulator-secret-not-for-production
export DT_SSO_URL="http://127.0.0.1:$port/sso/oauth2/token" DT_API_URL="http://127.0.0.1:$port"

field() { sed -n "s/.*\"$1\":\([0-9.]*\).*/\1/p" "$2"; }
"$b/dtcost" sync --db "$tmp/bench.db" --json >"$tmp/cold.json" 2>/dev/null
cp "$tmp/requests.jsonl" "$tmp/cold.jsonl"
read -r rq rs rmb rfail < <("$b/bench/bench_replay" --port "$port" --log "$tmp/cold.jsonl")
"$b/dtcost" sync --db "$tmp/bench.db" --json >"$tmp/warm.json" 2>/dev/null
rows="$(sqlite3 "$tmp/bench.db" "SELECT (SELECT COUNT(*) FROM env_cost_day) + (SELECT COUNT(*) FROM env_usage_day)
  + (SELECT COUNT(*) FROM cost_allocation) + (SELECT COUNT(*) FROM cost_day) + (SELECT COUNT(*) FROM usage_day)")"
size="$(du -m "$tmp/bench.db" | cut -f1)"

printf 'sync benchmark: %s days x %s environments x %s capabilities, emulator on loopback, %s cores\n' \
  "${DAYS:-400}" "${ENVS:-50}" "${CAPS:-30}" "$(nproc)"
printf '%-44s %9s %9s %11s\n' run seconds requests "rows written"
printf '%-44s %9s %9s %11s\n' "dtcost sync, empty database" "$(field seconds "$tmp/cold.json")" \
  "$(field requests "$tmp/cold.json")" "$(field inserted "$tmp/cold.json")"
printf '%-44s %9s %9s %11s\n' "baseline: same GETs replayed, no parse/store" "$rs" "$rq" "-"
printf '%-44s %9s %9s %11s\n' "dtcost sync again (incremental)" "$(field seconds "$tmp/warm.json")" \
  "$(field requests "$tmp/warm.json")" "$(( $(field inserted "$tmp/warm.json") + $(field updated "$tmp/warm.json") ))"
awk -v a="$(field seconds "$tmp/cold.json")" -v b="$rs" -v r="$rows" -v mb="$rmb" -v s="$size" 'BEGIN {
  printf "cold sync = %.2f x the fetch-only baseline; %.0f rows/s; %.0f MB of JSON fetched; database %d MB, %d rows\n",
         a / b, r / a, mb, s, r }'
[ "$rfail" = 0 ] || { echo "replay: $rfail requests failed" >&2; exit 1; }
