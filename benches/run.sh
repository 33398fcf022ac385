#!/usr/bin/env bash
# Runs the side-by-side benchmarks (this project, the peer crates and the floors) and the
# memory measurement, then writes BENCHMARKS.md with medians and ratios. About 6-8 minutes on
# 2 cores. Usage: bash benches/run.sh
set -euo pipefail
cd "$(dirname "$0")/.."

rm -rf target/criterion
cargo bench -p benches --bench peers -- --noplot 2>&1 | grep -E "^[a-z_0-9/.-]+ *time:|^[a-z_0-9/.-]+$|time:" || true
cargo run --release -q -p benches --bin memory > target/memory.txt
python3 benches/report.py target/criterion target/memory.txt > BENCHMARKS.md
echo "wrote BENCHMARKS.md"
