#!/usr/bin/env bash
# License import benchmark: a Managed cluster export of HOURS hours x ENVS
# environments x HOSTS hosts, made by the emulator (the generator: its scale
# flags --cluster-environments and --hosts, the hour range of the request),
# imported by `dtcost license import` and by the Python standard-library
# baseline (bench/license_baseline.py), side by side in one run, next to the
# time zlib alone needs to inflate the same data (`unzip -p`). Prints wall
# time, peak RSS, the ratios and both tools' totals, which must be identical.
# A second export of half the hours shows whether dtcost's RSS grows with the
# export's size.
# usage: bench/license.sh [BUILD_DIR]   (default build-bench)
#        ENVS=10 HOSTS=200 HOURS=720 bench/license.sh
set -euo pipefail
cd "$(dirname "$0")/.."
b="${1:-build-bench}"
envs="${ENVS:-10}" hosts="${HOSTS:-200}" hours="${HOURS:-720}"
now="2026-10-01T00:00:00Z"
now_ms=1790812800000
tmp="$(mktemp -d)"
"$b/dtcost" emulate --port 0 --clusters 1 --cluster-environments "$envs" --hosts "$hosts" \
  --export-max-days 31 --now "$now" >"$tmp/port" 2>/dev/null &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$tmp"' EXIT
for _ in $(seq 100); do [ -s "$tmp/port" ] && break; sleep 0.1; done
port="$(head -1 "$tmp/port")"

# generate: one export of `hours` hours ending at the emulated now
export_zip() { # hours file
  curl -sf -o "$2" -H "Authorization: Api-Token dt0c01.EMUCLUSTER00000000000000.emulator-cluster-token" \
    "http://127.0.0.1:$port/api/cluster/v2/license/consumption?startTs=$((now_ms - $1 * 3600000))&endTs=$now_ms"
}
export_zip "$hours" "$tmp/full.zip"
export_zip "$((hours / 2))" "$tmp/half.zip"
unzip -qo "$tmp/full.zip" '*.zip' -d "$tmp/x"
inner="$(ls "$tmp"/x/*.zip)"
json_mb="$(unzip -l "$inner" | tail -1 | awk '{printf "%.0f", $1 / 1e6}')"
zip_mb="$(du -m "$tmp/full.zip" | cut -f1)"

# measure: wall seconds, peak RSS (KiB) and CPU seconds (user + system) of
# one command, its stdout kept. CPU time is what a busy machine does not
# stretch: the ratios are printed for both.
measure() { # out-file command...
  local out="$1"; shift
  /usr/bin/time -f "%e %M %U %S" -o "$tmp/time" "$@" >"$out"
  awk '{ printf "%s %s %.2f\n", $1, $2, $3 + $4 }' "$tmp/time"
}
dtcost_totals() { # db
  sqlite3 "$1" "SELECT 'environment_hours ' || COUNT(*),
      printf('fullstack_hu_hours %.3f', SUM(fullstack_mhu) / 1000.0),
      printf('infrastructure_hu_hours %.3f', SUM(infra_mhu) / 1000.0),
      printf('application_only_hu_hours %.3f', SUM(paas_mhu) / 1000.0),
      printf('dem_units %.2f', SUM(dem_centi) / 100.0),
      printf('ddu %.6f', (SELECT SUM(ddu_micro) FROM lic_ddu_hour) / 1e6),
      'sessions ' || SUM(COALESCE(visits, 0) + COALESCE(mobile_sessions, 0)),
      'replays ' || SUM(COALESCE(replays, 0) + COALESCE(mobile_replays, 0)),
      'synthetic_executions ' || SUM(COALESCE(synthetic_browser, 0) + COALESCE(synthetic_http, 0)
                                     + COALESCE(synthetic_other, 0)),
      'log_upload_bytes ' || SUM(COALESCE(log_upload_bytes, 0))
    FROM lic_env_hour" | tr '|' '\n'
}

read -r z_s z_kb z_c < <(measure /dev/null unzip -p "$inner")
read -r d_s d_kb d_c < <(measure /dev/null "$b/dtcost" license import "$tmp/full.zip" --db "$tmp/dtcost.db" --quiet)
read -r h_s h_kb h_c < <(measure /dev/null "$b/dtcost" license import "$tmp/half.zip" --db "$tmp/half.db" --quiet)
read -r r_s r_kb r_c < <(measure /dev/null "$b/dtcost" license import "$tmp/full.zip" --db "$tmp/dtcost.db" --quiet)
read -r p_s p_kb p_c < <(measure "$tmp/python.txt" python3 bench/license_baseline.py "$tmp/full.zip" "$tmp/python.db")
dtcost_totals "$tmp/dtcost.db" >"$tmp/dtcost.txt"

printf 'license benchmark: %s hours x %s environments x %s hosts (emulator export: %s MB of JSON, %s MB zipped), %s cores\n' \
  "$hours" "$envs" "$hosts" "$json_mb" "$zip_mb" "$(nproc)"
printf '%-52s %8s %8s %8s\n' run seconds "CPU s" "RSS MiB"
row() { printf '%-52s %8s %8s %8d\n' "$1" "$2" "$3" "$(( $4 / 1024 ))"; }
row "dtcost license import" "$d_s" "$d_c" "$d_kb"
row "dtcost license import, same file again (no change)" "$r_s" "$r_c" "$r_kb"
row "dtcost license import, half the hours" "$h_s" "$h_c" "$h_kb"
row "baseline: Python zipfile + json + sqlite3" "$p_s" "$p_c" "$p_kb"
row "floor: unzip -p of the inner ZIP (zlib inflate only)" "$z_s" "$z_c" "$z_kb"
awk -v d="$d_s" -v p="$p_s" -v z="$z_s" -v dc="$d_c" -v pc="$p_c" -v zc="$z_c" -v dk="$d_kb" -v hk="$h_kb" 'BEGIN {
  printf "dtcost is %.1fx faster than the baseline (target >= 10x) and %.2fx the inflate floor (target < 0.5x)\n", p / d, d / z
  printf "in CPU time: %.1fx less than the baseline (target >= 10x) and %.2fx the inflate floor (target < 0.5x)\n", pc / dc, dc / zc
  printf "peak RSS %.0f MiB (target <= 64); half the export %.0f MiB: %s\n", dk / 1024, hk / 1024,
         dk <= hk * 1.25 + 4096 ? "does not grow with size" : "GROWS with size" }'
if diff -u "$tmp/python.txt" "$tmp/dtcost.txt" >"$tmp/diff"; then
  echo "totals identical:"
  sed 's/^/  /' "$tmp/dtcost.txt"
else
  echo "totals differ (baseline -, dtcost +):" >&2
  cat "$tmp/diff" >&2
  exit 1
fi
