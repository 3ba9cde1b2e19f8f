#!/usr/bin/env bash
# Side-by-side: caretime's min-cost-flow solver against OR-Tools' SimpleMinCostFlow on the same
# DIMACS file, one after the other in one session, each run twice, with peak memory from
# /usr/bin/time -v. See bench/README.md. Extra arguments go to `caretime flow generate`.
set -euo pipefail
cd "$(dirname "$0")/.."

file=bench/replan-default.dimacs
cargo build --release -q -p caretime-cli
caretime=target/release/caretime
"$caretime" flow generate "$@" -o "$file"
# Flush the freshly written file so that writeback does not disturb the first timed run.
sync

peak_mb() { awk '/Maximum resident set size/ { printf "%.0f MB", $6 / 1024 }' "$1"; }

for round in 1 2; do
    echo "== round $round: caretime flow solve"
    /usr/bin/time -v "$caretime" flow solve "$file" 2> bench/time.log
    echo "peak_memory $(peak_mb bench/time.log)"
    echo "== round $round: OR-Tools"
    /usr/bin/time -v python3 bench/ortools_mcf.py "$file" 2> bench/time.log
    echo "peak_memory $(peak_mb bench/time.log)"
done
rm -f bench/time.log
