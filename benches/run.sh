#!/usr/bin/env bash
# Runs the side-by-side benchmarks (this project, the peer crates and the floors) and the
# memory measurement, then writes BENCHMARKS.md with medians and ratios. About 6-8 minutes on
# 2 cores. Usage: bash benches/run.sh
set -euo pipefail
cd "$(dirname "$0")/.."

rm -rf target/criterion
cargo bench -p benches --bench peers --bench encoding -- --noplot 2>&1 | grep -E "^[a-z_0-9/.-]+ *time:|^[a-z_0-9/.-]+$|time:" || true
cargo run --release -q -p benches --bin memory > target/memory.txt
# Instructions per increment (dense family, unlabelled counter; callgrind), when valgrind is
# there: the timings of those workloads sit on the cost of one locked add, and these show the
# work beside it.
: > target/instructions.txt
if command -v valgrind > /dev/null; then
  cargo build --release -q -p benches --bin increments
  ir() { valgrind --tool=callgrind --callgrind-out-file=/dev/null target/release/increments "$1" "$2" 2>&1 | awk '/Collected/ {print $4}'; }
  for impl in raw ours measured counter-raw counter-ours; do
    a=$(ir "$impl" 1000000); b=$(ir "$impl" 3000000)
    echo "$impl $(( (b - a) / 2000000 ))" >> target/instructions.txt
  done
fi
python3 benches/report.py target/criterion target/memory.txt target/instructions.txt > BENCHMARKS.md
echo "wrote BENCHMARKS.md"
