#!/usr/bin/env bash
# Measures the compile-time cost of #[derive(Metrics)]: builds a crate with a 200-field derived
# struct and the same struct written by hand (the Metrics impl, descriptors and Default spelt
# out), each from a warm dependency cache, three times, and prints the median wall time of each.
# Usage: bash scripts/derive-build-time.sh
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
dir="$root/target/derive-cost"
rm -rf "$dir"
mkdir -p "$dir/derived/src" "$dir/by-hand/src"
python3 - "$dir" <<'PY'
import sys
d = sys.argv[1]
N = 200
head = '''use metrics_core::{Counter, Family, Gauge, Histogram, LabelSet};

#[derive(LabelSet)]
pub struct Route {
    pub route: String,
}
'''
def kind(i):
    return ["Family<Route, Counter>", "Family<Route, Gauge>", "Family<Route, Histogram>", "Counter"][i % 4]
derived = head + "\n#[derive(metrics_core::Metrics)]\n#[metrics(prefix = \"app\")]\npub struct Big {\n"
for i in range(N):
    attr = '    #[metric(unit = "seconds", buckets = [0.01, 0.1, 1.0])]\n' if i % 4 == 2 else ""
    derived += f"    /// Metric number {i}.\n{attr}    pub m{i}: {kind(i)},\n"
derived += "}\n"
open(f"{d}/derived/src/lib.rs", "w").write(derived)

m = "metrics_core::__private"
hand = head + "\npub struct Big {\n" + "".join(f"    pub m{i}: {kind(i)},\n" for i in range(N)) + "}\n\n"
for i in range(N):
    unit = '"seconds"' if i % 4 == 2 else '""'
    name = f"app_m{i}_seconds" if i % 4 == 2 else f"app_m{i}"
    buckets = "&[0.01, 0.1, 1.0]" if i % 4 == 2 else "&[]"
    hand += (f"const D{i}: {m}::Descriptor = {m}::Descriptor {{ name: \"{name}\", help: \"Metric number {i}.\", "
             f"kind: <{kind(i)} as {m}::Collect>::KIND, unit: {unit}, labels: <{kind(i)} as {m}::Collect>::LABELS, "
             f"buckets: {buckets}, quantiles: &[], max_age_secs: 0, limit: 0, legacy_name: false, location: \"Big.m{i}\" }};\n")
hand += f"\nimpl {m}::Metrics for Big {{\n    const INFO: &'static {m}::MetricsInfo = &{m}::MetricsInfo {{ type_name: \"Big\", items: &[\n"
hand += "".join(f"        {m}::MetricsItem::Metric(D{i}),\n" for i in range(N))
hand += f"    ] }};\n    fn encode<E: {m}::Encoder>(&self, e: &mut E) {{\n"
hand += "".join(f"        {m}::Collect::collect(&self.m{i}, &D{i}, e);\n" for i in range(N))
hand += "    }\n}\n\nimpl Default for Big {\n    fn default() -> Self {\n        Big {\n"
hand += "".join(f"            m{i}: <{kind(i)} as {m}::Collect>::from_descriptor(&D{i}),\n" for i in range(N))
hand += "        }\n    }\n}\n"
open(f"{d}/by-hand/src/lib.rs", "w").write(hand)
PY
for c in derived by-hand; do
  cat > "$dir/$c/Cargo.toml" <<TOML
[package]
name = "cost-$c"
version = "0.0.0"
edition = "2024"
publish = false
[dependencies]
metrics-core = { path = "$root/metrics-core" }
TOML
done
cat > "$dir/Cargo.toml" <<TOML
[workspace]
members = ["derived", "by-hand"]
resolver = "3"
TOML
cd "$dir"
cargo build -q 2>/dev/null || cargo build
for c in derived by-hand; do
  times=()
  for _ in 1 2 3; do
    touch "$c/src/lib.rs"
    s=$(date +%s.%N)
    CARGO_INCREMENTAL=0 cargo build -q -p "cost-$c"
    e=$(date +%s.%N)
    times+=("$(echo "$e - $s" | bc)")
  done
  printf '%s %s\n' "$c" "$(printf '%s\n' "${times[@]}" | sort -n | sed -n 2p)"
done
