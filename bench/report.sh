#!/usr/bin/env bash
# Report and export benchmark: `dtcost report` (table, JSON, HTML) and
# `dtcost export --format focus` over DAYS days x ENVS environments x CAPS
# capabilities of daily cost and usage (default 3 years x 200 x 30: 6.6 M
# cost rows and as many usage rows), next to baselines measured in the same
# run: sqlite3 reading every cost row once (the floor of any report that
# looks at all of them) and sqlite3 writing every cost and usage row as CSV
# (the floor of an export).
#
# The data is generated straight into dtcost's schema with SQL (a sync of
# this size from the emulator would take minutes): per environment and
# capability a base cost, a weekly rhythm and a deterministic wobble, the
# subscription's daily cost as the sum of its environments, a budget that
# runs out before the period ends.
# Each run prints wall seconds, peak RSS and CPU seconds (user + system): on a
# shared machine the CPU figures are the steadier comparison. The FOCUS export
# reads on one thread, formats on a second and writes (--out) on a third; the
# floor is single-threaded sqlite3, so the wall ratio counts two cores against
# one and the CPU ratio says what the work costs.
# usage: bench/report.sh [BUILD_DIR]   (default build-bench)
#        DAYS=1095 ENVS=200 CAPS=30 bench/report.sh
#        ONLY=export bench/report.sh        (the export runs only)
#        BASELINE=/path/to/older/dtcost bench/report.sh   (its FOCUS export
#        measured too, on the same database in the same run: before/after;
#        the two files must be byte-identical (SHA-256), else the script fails)
#        DB=/tmp/report.db bench/report.sh   (keeps the generated database there;
#        reuses it when it exists)
#        INSTR=1 ENVS=2 bench/report.sh   (also counts the instructions of the
#        floor and the FOCUS exports under valgrind's callgrind: the same
#        figure however loaded the machine is; about 50x slower, so small sizes)
set -euo pipefail
cd "$(dirname "$0")/.."
b="${1:-build-bench}"
days="${DAYS:-1095}" envs="${ENVS:-200}" caps="${CAPS:-30}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
db="${DB:-$tmp/report.db}"
last=2026-11-21
t0=$(date +%s.%N)
[ -s "$db" ] || {
: >"$db"
"$b/dtcost" report --db "$db" >/dev/null 2>&1 || true # creates the schema, finds no data
sqlite3 "$db" >/dev/null <<SQL
PRAGMA journal_mode = WAL;
PRAGMA synchronous = OFF;
BEGIN;
INSERT INTO subscription VALUES ('bench-sub-0001', 'bench-account', 'Benchmark commitment', 'DPS', 'COMMITMENT',
  'ACTIVE', 'USD', '2023-01-01', '2027-12-31', '2026-01-01', '2026-12-31', 40, 0, 0);
INSERT INTO subscription_period VALUES ('bench-sub-0001', '2026-01-01T00:00:00Z', '2026-12-31T23:59:59Z');
WITH RECURSIVE e(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM e WHERE i + 1 < $envs)
INSERT INTO environment SELECT 'bench-account', printf('env%04d', i), printf('Environment %d', i), 1,
  printf('https://env%04d.live.dynatrace.com', i) FROM e;
WITH RECURSIVE c(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM c WHERE i + 1 < $caps)
INSERT INTO subscription_capability SELECT 'bench-sub-0001', printf('CAPABILITY_%02d', i), printf('Capability %d', i)
  FROM c;
CREATE TEMP TABLE d(n INTEGER PRIMARY KEY, day TEXT, wd INTEGER);
WITH RECURSIVE s(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM s WHERE n + 1 < $days)
INSERT INTO d SELECT n, date('$last', printf('-%d days', $days - 1 - n)),
  CAST(strftime('%w', date('$last', printf('-%d days', $days - 1 - n))) AS INTEGER) FROM s;
CREATE TEMP TABLE ec(ei INTEGER, env TEXT, ci INTEGER, cap TEXT, base INTEGER);
WITH RECURSIVE e(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM e WHERE i + 1 < $envs),
     c(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM c WHERE i + 1 < $caps)
INSERT INTO ec SELECT e.i, printf('env%04d', e.i), c.i, printf('CAPABILITY_%02d', c.i),
  1000 * (20 + (e.i * 7919 + c.i * 104729) % 400) FROM e, c;
INSERT INTO env_cost_day
  SELECT 'bench-sub-0001', ec.env, ec.cap, d.day,
         ec.base * (CASE WHEN d.wd IN (0, 6) THEN 7 ELSE 10 END) / 10 + 1000 * ((d.n * 31 + ec.ei * 17 + ec.ci) % 97),
         'USD', date(d.day, '+1 day'), 'cluster-1', printf('Capability %d', ec.ci)
  FROM ec, d ORDER BY ec.env, ec.cap, d.day;
INSERT INTO env_usage_day
  SELECT subscription_uuid, environment_id, capability_key, day, cost_micro / 1000.0, 'GiB-hour', cluster_id
  FROM env_cost_day;
INSERT INTO cost_day SELECT subscription_uuid, day, SUM(cost_micro), 'USD', MAX(booking_date) FROM env_cost_day
  GROUP BY subscription_uuid, day;
INSERT INTO usage_day SELECT subscription_uuid, capability_key, day, SUM(value), 'GiB-hour',
  printf('Capability %d', CAST(substr(capability_key, 12) AS INTEGER)) FROM env_usage_day
  GROUP BY subscription_uuid, capability_key, day;
UPDATE subscription SET
  budget_used_micro = (SELECT SUM(cost_micro) FROM cost_day WHERE day >= '2026-01-01'),
  budget_total_micro = (SELECT SUM(cost_micro) FROM cost_day WHERE day >= '2026-01-01') * 11 / 10;
COMMIT;
-- what dtcost does when it closes a database it added rows to (store_sqlite.c)
PRAGMA analysis_limit = 1000;
ANALYZE;
PRAGMA wal_checkpoint(TRUNCATE);
SQL
}
gen_s=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { print b - a }')
rows=$(sqlite3 "$db" "SELECT COUNT(*) FROM env_cost_day")
envs=$(sqlite3 "$db" "SELECT COUNT(*) FROM environment") # a reused DB= has its own sizes
caps=$(sqlite3 "$db" "SELECT COUNT(*) FROM subscription_capability")
days=$((rows / (envs * caps > 0 ? envs * caps : 1)))
size=$(du -m "$db" | cut -f1)

measure() { # label command...  (wall seconds in $tmp/last, CPU seconds in $tmp/lastcpu)
  local label="$1"; shift
  /usr/bin/time -f "%e %M %U %S" -o "$tmp/time" "$@" >"$tmp/out" 2>"$tmp/err" || { cat "$tmp/err" >&2; exit 1; }
  read -r s kb u sy <"$tmp/time"
  cpu=$(awk -v u="$u" -v s="$sy" 'BEGIN { printf "%.2f", u + s }')
  printf '%-58s %8s %8d %8s\n' "$label" "$s" "$((kb / 1024))" "$cpu"
  echo "$s" >"$tmp/last"
  echo "$cpu" >"$tmp/lastcpu"
}
printf 'report benchmark: %s days x %s environments x %s capabilities (%s cost rows, as many usage rows; database %s MB, generated in %.0f s), %s cores\n' \
  "$days" "$envs" "$caps" "$rows" "$size" "$gen_s" "$(nproc)"
printf '%-58s %8s %8s %8s\n' run seconds "RSS MiB" "CPU s"
rep=0 floor_r=1
if [ "${ONLY:-}" != export ]; then
measure "floor: sqlite3 reads every cost row once (SUM by day)" \
  sqlite3 "$db" "SELECT day, SUM(cost_micro) FROM env_cost_day GROUP BY day"
floor_r=$(cat "$tmp/last")
measure "dtcost report (terminal table), first run" "$b/dtcost" report --db "$db"
measure "dtcost report (terminal table), again" "$b/dtcost" report --db "$db"
rep=$(cat "$tmp/last")
measure "dtcost report --format json" "$b/dtcost" report --db "$db" --format json
measure "dtcost report --html" "$b/dtcost" report --db "$db" --html "$tmp/report.html"
fi
measure "floor: sqlite3 -csv of every cost and usage row" \
  sqlite3 -csv "$db" "SELECT c.*, u.value, u.unit FROM env_cost_day c LEFT JOIN env_usage_day u USING
    (subscription_uuid, environment_id, capability_key, day)"
floor_e=$(cat "$tmp/last") floor_c=$(cat "$tmp/lastcpu")
if [ -n "${BASELINE:-}" ]; then
  measure "baseline: $BASELINE export --format focus" "$BASELINE" export --db "$db" --format focus --out "$tmp/old.csv"
  old=$(cat "$tmp/last") oldc=$(cat "$tmp/lastcpu")
  oldsum=$(sha256sum <"$tmp/old.csv") # a checksum, not the file: 3.7 GB each at full size
  rm -f "$tmp/old.csv"
fi
measure "dtcost export --format focus (1.4)" "$b/dtcost" export --db "$db" --format focus --out "$tmp/focus.csv"
exp=$(cat "$tmp/last") expc=$(cat "$tmp/lastcpu")
frows=$(($(wc -l <"$tmp/focus.csv") - 1))
fmb=$(du -m "$tmp/focus.csv" | cut -f1)
same=""
if [ -n "${BASELINE:-}" ]; then # a faster export must write the same bytes
  if [ "$(sha256sum <"$tmp/focus.csv")" = "$oldsum" ]; then same=identical; else same=DIFFERENT; fi
fi
rm -f "$tmp"/focus.*
measure "dtcost export --format focus --focus-version 1.2" "$b/dtcost" export --db "$db" --format focus \
  --focus-version 1.2 --out "$tmp/focus12.csv"
rm -f "$tmp/focus12.csv"
measure "dtcost export --format focus --out FILE.csv.gz" "$b/dtcost" export --db "$db" --format focus \
  --out "$tmp/focus.csv.gz"
gz=$(cat "$tmp/last")
gzmb=$(du -m "$tmp/focus.csv.gz" | cut -f1)
if [ -n "${INSTR:-}" ]; then # user-space instructions, all threads: steady on a shared machine
  instr() {
    valgrind --tool=callgrind --callgrind-out-file="$tmp/cg.%p" "$@" 2>&1 >/dev/null |
      awk '/Collected/ { s += $NF } !/^==/ { print > "/dev/stderr" } END { printf "%.0f\n", s }'
    rm -f "$tmp"/cg.* "$tmp"/focus.*
  }
  fi_=$(instr sqlite3 -csv "$db" "SELECT c.*, u.value, u.unit FROM env_cost_day c LEFT JOIN env_usage_day u USING
    (subscription_uuid, environment_id, capability_key, day)")
  printf '%-58s %14s %6s\n' "instructions (callgrind)" count ratio
  printf '%-58s %14d %6s\n' "floor: sqlite3 -csv of every cost and usage row" "$fi_" 1.00
  for run in ${BASELINE:+baseline} 1.4 1.2 gz; do
    bin="$b/dtcost" out="$tmp/focus.csv" args=()
    case $run in
    baseline) bin="$BASELINE" ;;
    1.2) args=(--focus-version 1.2) ;;
    gz) out="$tmp/focus.csv.gz" ;;
    esac
    n=$(instr "$bin" export --db "$db" --format focus --out "$out" "${args[@]}")
    printf '%-58s %14d %6.2f\n' "$run: $bin export --format focus" "$n" "$(awk -v a="$n" -v b="$fi_" 'BEGIN { print a / b }')"
  done
fi
[ "${ONLY:-}" = export ] || awk -v r="$rep" -v fr="$floor_r" 'BEGIN {
  printf "report: %.2f s (aim < 1 s), %.1fx the one-pass read floor\n", r, r / (fr > 0 ? fr : 0.01) }'
awk -v e="$exp" -v fe="$floor_e" -v n="$frows" -v mb="$fmb" -v g="$gz" -v gmb="$gzmb" -v o="${old:-}" \
    -v ec="$expc" -v fc="$floor_c" -v oc="${oldc:-}" -v s="$same" 'BEGIN {
  printf "focus export: %d rows, %d MB, %.0f rows/s, %.2fx the sqlite3 CSV floor (aim 1.5x; the export on up to\n" \
    "  three threads, the floor on one); CPU %.2fx\n", n, mb,
    n / (e > 0 ? e : 0.01), e / (fe > 0 ? fe : 0.01), ec / (fc > 0 ? fc : 0.01)
  if (o != "") printf "baseline export: %.1fx the sqlite3 CSV floor; CPU %.1fx; this build %.2fx its wall time, %.2fx its CPU; files %s\n",
    o / (fe > 0 ? fe : 0.01), oc / (fc > 0 ? fc : 0.01), e / (o > 0 ? o : 0.01), ec / (oc > 0 ? oc : 0.01), s
  printf "focus export .gz: %d MB, %.1fx the sqlite3 CSV floor\n", gmb, g / (fe > 0 ? fe : 0.01) }'
[ "$frows" -ge "$rows" ] || { echo "focus export has $frows rows, fewer than the $rows cost rows" >&2; exit 1; }
[ "$same" != DIFFERENT ] || { echo "the FOCUS 1.4 files of $BASELINE and $b/dtcost differ" >&2; exit 1; }
