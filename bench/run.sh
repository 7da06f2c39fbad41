#!/usr/bin/env bash
# Builds dtcost (release flags) and runs every benchmark, each of which prints
# its own figures next to a baseline measured in the same run.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release -DDTCOST_BUILD_TESTS=OFF >/dev/null
cmake --build build-bench -j"$(nproc)" >/dev/null
echo "== emulator requests per second (bench/emu_requests.c)"
./build-bench/bench/bench_emu_requests --dtcost build-bench/dtcost --seconds "${BENCH_SECONDS:-3}"
echo "== sync (bench/sync.sh)"
bench/sync.sh build-bench
echo "== license import (bench/license.sh)"
bench/license.sh build-bench
echo "== report and FOCUS export (bench/report.sh)"
bench/report.sh build-bench
echo "== /metrics with the cost-series cap (bench/metrics.sh)"
bench/metrics.sh build-bench
