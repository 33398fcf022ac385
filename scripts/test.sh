#!/usr/bin/env bash
# The project's test command: installs the external tools the conformance tests need (if
# missing), then runs formatting, lints, docs and every test of the default members.
# Benchmarks (the `benches` member, with the peer crates) are not built here: see BENCHMARKS.md.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install.sh

echo "== cargo fmt"
cargo fmt --all -- --check
echo "== cargo clippy"
cargo clippy --workspace --all-targets --all-features -- -D warnings
echo "== cargo doc"
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps --all-features --exclude benches -q
echo "== cargo test"
cargo test --all-features
echo "== loom model checks"
RUSTFLAGS="--cfg loom" CARGO_TARGET_DIR=target/loom cargo test -q -p metrics-core --lib --release loom
