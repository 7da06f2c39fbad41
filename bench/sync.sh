#!/usr/bin/env bash
# Sync benchmark: `dtcost sync` of 400 days x 50 environments x 30
# capabilities from the emulator over loopback, at the v3 page size live
# accounts allow (50), within the emulator's per-account rate limit.
#
# With --latency-ms 20 (every answer 20 ms +-25 %): a sequential run
# (--concurrency 1) and the default run (4 requests in flight) on empty
# databases, next to the floor pages x 20 ms / 4, then the next daily run
# (incremental, trailing 35 days) on the default run's database.
# Without latency, and without the rate limit (at 300 requests/s it, not
# dtcost, would set the pace): a cold sync next to the fetch-only baseline,
# the same GET requests replayed in order over one keep-alive connection
# without parsing or storing (bench/replay.c), and the CPU time of each
# dtcost run against that replay's wall time.
#
# Requests are read from the emulator's request log: by status, 429s, and
# pages fetched against pages needed, where a walk (a v3 query's time range,
# a cost-allocation environment, field and date range) needs
# ceil(records / page size) pages, at least one, records counted from the
# database the run wrote. A (path, query) answered 200 twice, or any 400,
# fails the benchmark after the figures are printed.
#
# usage: bench/sync.sh [BUILD_DIR]   (default build-bench)
#   DAYS, ENVS, CAPS   sizes (default 400, 50, 30; QUICK=1: 60, 10, 10)
#   LATENCY_MS         emulator latency of the first part (default 20)
#   SYNC_TIMEOUT       seconds any one dtcost run may take (default 1800)
# The sequential run at full size takes about 8 minutes (~24,000 requests x
# 20 ms); the whole benchmark about 12.
set -euo pipefail
cd "$(dirname "$0")/.."
b="$(cd "${1:-build-bench}" && pwd)"
if [ "${QUICK:-0}" = 1 ]; then def=(60 10 10); else def=(400 50 30); fi
days="${DAYS:-${def[0]}}" envs="${ENVS:-${def[1]}}" caps="${CAPS:-${def[2]}}"
lat="${LATENCY_MS:-20}" limit_to="${SYNC_TIMEOUT:-1800}"
inflight=6 rps=300 conc=4 # the emulator's rate limit and the sync's default, as shipped
now="@$(date -u +%s)"     # one clock for both emulators: the same data

tmp="$(mktemp -d)"
emu_pids=()
stop_emus() {
  local p
  for p in "${emu_pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${emu_pids[@]}"; do # SIGTERM ends the emulator; KILL after 5 s
    for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$p" 2>/dev/null || true
    wait "$p" 2>/dev/null || true
  done
  emu_pids=()
}
trap 'stop_emus; rm -rf "$tmp"' EXIT

# start_emu NAME LATENCY INFLIGHT RPS: an emulator logging to $tmp/NAME.jsonl;
# sets $port.
start_emu() {
  "$b/dtcost" emulate --port 0 --now "$now" --days "$days" --environments "$envs" --capabilities "$caps" \
    --latency-ms "$2" --rate-limit-inflight "$3" --rate-limit-rps "$4" \
    --log "$tmp/$1.jsonl" >"$tmp/$1.port" 2>"$tmp/$1.emu.err" &
  emu_pids+=("$!")
  for _ in $(seq 100); do [ -s "$tmp/$1.port" ] && break; sleep 0.1; done
  port="$(head -1 "$tmp/$1.port")"
  [ -n "$port" ] || { echo "sync.sh: emulator did not start" >&2; cat "$tmp/$1.emu.err" >&2; exit 1; }
  export DT_SSO_URL="http://127.0.0.1:$port/sso/oauth2/token" DT_API_URL="http://127.0.0.1:$port"
}
export DT_ACCOUNT_UUID=2b236438-2a31-4872-8655-bca4fa8af917 DT_CLIENT_ID=dt0s02.EMUCLI00
export DT_CLIENT_SECRET=dt0s02.EMUCLI00.emulator-secret-not-for-production

lines() { if [ -f "$1" ]; then wc -l <"$1"; else echo 0; fi; }
# settle LOG: wait (at most 2 s) until the log stops growing.
settle() {
  local n m
  n="$(lines "$1")"
  for _ in $(seq 20); do sleep 0.1; m="$(lines "$1")"; [ "$m" = "$n" ] && break; n="$m"; done
}
# run_sync LABEL EMU DB [ARGS]: one dtcost sync; its log lines go to
# $tmp/LABEL.jsonl, its summary to LABEL.json, wall/user/sys to LABEL.time.
run_sync() {
  local label="$1" emu="$2" db="$3" from rc=0
  shift 3
  settle "$tmp/$emu.jsonl"
  from="$(lines "$tmp/$emu.jsonl")"
  /usr/bin/time -f '%e %U %S' -o "$tmp/$label.time" timeout "$limit_to" \
    "$b/dtcost" sync --db "$db" --quiet --json "$@" >"$tmp/$label.json" 2>"$tmp/$label.err" || rc=$?
  if [ "$rc" != 0 ]; then
    echo "sync.sh: $label: dtcost sync exited $rc" >&2
    tail -5 "$tmp/$label.err" >&2
    exit 1
  fi
  settle "$tmp/$emu.jsonl"
  tail -n +"$((from + 1))" "$tmp/$emu.jsonl" >"$tmp/$label.jsonl"
  curl -s "http://127.0.0.1:$port/emu/state" >"$tmp/$label.state"
}
field() { sed -n "s/.*\"$1\":\([0-9.]*\).*/\1/p" "$2" | head -1; }
wall() { cut -d' ' -f1 "$tmp/$1.time"; }
cpu() { awk '{ printf "%.2f", $2 + $3 }' "$tmp/$1.time"; }

# analyze LABEL DB: prints "requests 200s 404s 429s 400s other dup200 fetched
# needed tokens first-dup" for the log slice LABEL.jsonl, pages needed counted
# from DB.
analyze() {
  awk -v OFS='\t' '
    {
      match($0, /"path":"[^"]*"/);  path = substr($0, RSTART + 8, RLENGTH - 9)
      match($0, /"query":"[^"]*"/); q = substr($0, RSTART + 9, RLENGTH - 10)
      match($0, /"status":[0-9]+/); st = substr($0, RSTART + 9, RLENGTH - 9)
      if (path ~ /^\/emu\//) next
      kind = "other"; s = ""; np = split(path, p, "/")
      if (path ~ /^\/sub\/v3\/.*\/environments\/cost$/)  { kind = "v3cost";  s = p[7] }
      if (path ~ /^\/sub\/v3\/.*\/environments\/usage$/) { kind = "v3usage"; s = p[7] }
      if (path ~ /^\/v1\/subscriptions\/.*\/cost-allocation$/) { kind = "alloc"; s = p[4] }
      if (path ~ /^\/sso\//) kind = "sso"   # a token renewed (at TTL - 60 s) is the same request again
      split("", a); n = split(q, kv, "&")
      for (i = 1; i <= n; i++) { e = index(kv[i], "="); if (e) a[substr(kv[i], 1, e - 1)] = substr(kv[i], e + 1) }
      print kind, s, substr(a["startTime"], 1, 10), substr(a["endTime"], 1, 10), a["environment-id"], a["field"],
            a["from"], a["to"], a["page-size"], ("page-key" in a) ? 1 : 0, st, path "?" q
    }' "$tmp/$1.jsonl" >"$tmp/$1.tsv"
  sqlite3 -batch "$tmp/analysis.db" <<SQL
.mode tabs
DROP TABLE IF EXISTS r;
CREATE TABLE r(kind TEXT, sub TEXT, t0 TEXT, t1 TEXT, env TEXT, field TEXT, d0 TEXT, d1 TEXT,
               ps INTEGER, pk INTEGER, status INTEGER, pq TEXT);
.import '$tmp/$1.tsv' r
ATTACH '$2' AS d;
CREATE TEMP TABLE vd AS
  SELECT 'v3cost' AS kind, subscription_uuid AS sub, day, COUNT(*) AS n FROM d.env_cost_day GROUP BY 2, 3
  UNION ALL SELECT 'v3usage', subscription_uuid, day, COUNT(*) FROM d.env_usage_day GROUP BY 2, 3;
CREATE INDEX temp.vd_k ON vd(kind, sub, day);
CREATE TEMP TABLE ad AS
  SELECT subscription_uuid AS sub, environment_id AS env, field, day, COUNT(*) AS n
  FROM d.cost_allocation GROUP BY 1, 2, 3, 4;
CREATE INDEX temp.ad_k ON ad(sub, env, field, day);
CREATE TEMP TABLE w AS
  SELECT DISTINCT kind, sub, t0, t1, COALESCE(NULLIF(ps, ''), 50) AS ps, '' AS env, '' AS field
  FROM r WHERE kind LIKE 'v3%' AND pk = 0 AND status = 200
  UNION SELECT DISTINCT kind, sub, d0, d1, COALESCE(NULLIF(ps, ''), 100), env, field
  FROM r WHERE kind = 'alloc' AND pk = 0 AND status = 200;
SELECT (SELECT COUNT(*) FROM r),
       (SELECT COUNT(*) FROM r WHERE status = 200), (SELECT COUNT(*) FROM r WHERE status = 404),
       (SELECT COUNT(*) FROM r WHERE status = 429), (SELECT COUNT(*) FROM r WHERE status = 400),
       (SELECT COUNT(*) FROM r WHERE status NOT IN (200, 404, 429, 400)),
       (SELECT COUNT(*) FROM (SELECT pq FROM r WHERE status = 200 AND kind != 'sso' GROUP BY pq HAVING COUNT(*) > 1)),
       (SELECT COUNT(*) FROM r WHERE status = 200 AND kind IN ('v3cost', 'v3usage', 'alloc')),
       (SELECT COALESCE(SUM(MAX(1, (recs + ps - 1) / ps)), 0) FROM (
          SELECT ps, CASE WHEN kind = 'alloc'
            THEN (SELECT COALESCE(SUM(n), 0) FROM ad WHERE ad.sub = w.sub AND ad.env = w.env AND ad.field = w.field
                    AND ad.day BETWEEN w.t0 AND w.t1)
            ELSE (SELECT COALESCE(SUM(n), 0) FROM vd WHERE vd.kind = w.kind AND vd.sub = w.sub
                    AND vd.day >= w.t0 AND vd.day < w.t1) END AS recs
          FROM w)),
       (SELECT COUNT(*) FROM r WHERE kind = 'sso'),
       (SELECT COALESCE(MIN(pq), '-') FROM (SELECT pq FROM r WHERE status = 200 AND kind != 'sso' GROUP BY pq HAVING COUNT(*) > 1));
SQL
}

printf 'sync benchmark: %s days x %s environments x %s capabilities, emulator on loopback (live paging, v3 page size 50;\n' \
  "$days" "$envs" "$caps"
printf 'rate limit %s in flight, %s requests/s per account), %s cores shared with other work\n' "$inflight" "$rps" "$(nproc)"

# Part 1: with latency. Sequential first, so the emulator's peak in flight
# after it is the sequential run's own.
start_emu lat "$lat" "$inflight" "$rps"
run_sync seq lat "$tmp/seq.db" --concurrency 1
peak_seq="$(sed -n 's/.*"peakInflight":\([0-9]*\).*/\1/p' "$tmp/seq.state")"
run_sync def lat "$tmp/def.db"
peak_def="$(sed -n 's/.*"peakInflight":\([0-9]*\).*/\1/p' "$tmp/def.state")"
run_sync inc lat "$tmp/def.db"
stop_emus
# Part 2: without latency, and the fetch-only replay on the same emulator.
start_emu nolat 0 0 0
run_sync cold nolat "$tmp/cold.db"
read -r rq rs rmb rfail < <("$b/bench/bench_replay" --port "$port" --log "$tmp/cold.jsonl" || true)
run_sync warm nolat "$tmp/cold.db"
stop_emus

declare -A st
for l in seq def inc cold warm; do
  db="$tmp/def.db"; [ "$l" = seq ] && db="$tmp/seq.db"; [ "$l" = cold ] || [ "$l" = warm ] && db="$tmp/cold.db"
  st[$l]="$(analyze "$l" "$db")"
done
col() { echo "${st[$1]}" | cut -f"$2"; } # 1 requests 2 200 3 404 4 429 5 400 6 other 7 dup 8 fetched 9 needed 10 tokens 11 a dup
needed="$(col def 9)"
floor="$(awk -v p="$needed" -v l="$lat" -v c="$conc" 'BEGIN { printf "%.2f", p * l / 1000 / c }')"

row() { # label wall cpu LABEL|-
  if [ "$4" = - ]; then
    printf '%-50s %8s %7s %8s %s\n' "$1" "$2" "$3" "$5" "$6"
  else
    printf '%-50s %8s %7s %8s %5s/%s/%s/%s %8s/%s\n' "$1" "$2" "$3" "$(col "$4" 1)" "$(col "$4" 2)" "$(col "$4" 3)" \
      "$(col "$4" 4)" "$(col "$4" 5)" "$(col "$4" 8)" "$(col "$4" 9)"
  fi
}
printf '%-50s %8s %7s %8s %-15s %s\n' run wall_s cpu_s requests 200/404/429/400 "pages fetched/needed"
echo "with --latency-ms $lat:"
row "dtcost sync --concurrency 1, empty database" "$(wall seq)" "$(cpu seq)" seq
row "dtcost sync (default, $conc in flight), empty database" "$(wall def)" "$(cpu def)" def
row "floor: $needed pages x $lat ms / $conc" "$floor" - - "$needed" "(pages needed)"
row "dtcost sync again (incremental, 35 days)" "$(wall inc)" "$(cpu inc)" inc
echo "without latency or rate limit:"
row "dtcost sync, empty database" "$(wall cold)" "$(cpu cold)" cold
row "baseline: same GETs replayed, fetch only" "$rs" - - "$rq" "(sequential, one connection, no parse/store)"
row "dtcost sync again (incremental, 35 days)" "$(wall warm)" "$(cpu warm)" warm

awk -v d="$(wall def)" -v s="$(wall seq)" -v f="$floor" -v c="$(wall cold)" -v r="$rs" \
    -v cd="$(cpu def)" -v cs="$(cpu seq)" -v cc="$(cpu cold)" -v mb="$rmb" 'BEGIN {
  printf "default run = %.2f x its floor (aim <= 1.25): %s; sequential = %.2f x the default run\n",
         d / f, d / f <= 1.25 ? "met" : "NOT met", s / d
  printf "no-latency cold sync = %.2f x the fetch-only replay (aim <= 1.5): %s; %.0f MB of JSON fetched\n",
         c / r, c / r <= 1.5 ? "met" : "NOT met", mb
  printf "CPU (user+sys) = replay wall time x: %.2f default run, %.2f sequential, %.2f no-latency cold sync\n",
         cd / r, cs / r, cc / r }'
printf 'incremental daily run: %s s with latency, %s s without (aim: seconds)\n' "$(wall inc)" "$(wall warm)"
printf 'retries (dtcost): sequential %s, default %s, incremental %s, no-latency %s; emulator peak in flight: sequential %s, default %s\n' \
  "$(field retries "$tmp/seq.json")" "$(field retries "$tmp/def.json")" "$(field retries "$tmp/inc.json")" \
  "$(field retries "$tmp/cold.json")" "$peak_seq" "$peak_def"

fail=0
for l in seq def inc cold warm; do
  if [ "$(col "$l" 7)" != 0 ] || [ "$(col "$l" 5)" != 0 ] || [ "$(col "$l" 6)" != 0 ]; then
    echo "$l: $(col "$l" 7) (path, query) answered 200 more than once (e.g. $(col "$l" 11)), $(col "$l" 5) answered 400, $(col "$l" 6) other errors" >&2
    fail=1
  fi
done
[ "$fail" = 1 ] || echo "pages: no (path, query) answered 200 twice, no 400, in any run (token requests: $(col seq 10) sequential, $(col def 10) default)"
[ "${rfail:-1}" = 0 ] || { echo "replay: ${rfail:-all} requests answered otherwise than logged" >&2; fail=1; }
exit "$fail"
