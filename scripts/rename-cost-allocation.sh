#!/usr/bin/env bash
# One-off rename (issue 13) kept for merging branches: dps.h's cost allocation
# record was `struct dtc_allocation`, the same name as chargeback.h's rules,
# so a program including both did not compile. Run it on a branch that still
# uses the old names: bash scripts/rename-cost-allocation.sh
set -euo pipefail
cd "$(dirname "$0")/.."
files=$(grep -rlE '\bdtc_allocation(_fn)?\b' include/dtcost/dps.h src/lib/dps.c src/lib/sync.c tests bench 2>/dev/null || true)
[ -z "$files" ] && exit 0
sed -i -E 's/\bdtc_allocation_fn\b/dtc_cost_allocation_fn/g; s/\bdtc_allocation\b/dtc_cost_allocation/g' $files
