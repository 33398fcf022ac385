#!/usr/bin/env bash
# Measures the compile-time cost of #[derive(Metrics)] against its peer, vise 0.3's derive: for
# 20, 200 and 400 fields, builds a crate with the struct derived by ours, the same struct written
# by hand (the Metrics impl, descriptors and Default spelt out: the floor), the same fields
# derived by vise, and ours again with every type behind an alias (the worst case: the derive
# cannot read the kinds, so every rule and collision check runs in `const` evaluation). Each
# crate is rebuilt RUNS times (default 5) from a warm dependency cache and the medians of CPU
# and wall time printed, so that other builds on a shared machine skew them less.
# Works offline from the cargo cache (vise is a dependency of the `benches` member, so it is
# there after any workspace build) and online on a fresh machine.
# Usage: bash scripts/derive-build-time.sh            (RUNS=9 SIZES="200 400" to change)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
dir="$root/target/derive-cost"
runs="${RUNS:-5}"
sizes="${SIZES:-20 200 400}"
rm -rf "$dir"
mkdir -p "$dir"
python3 - "$dir" $sizes <<'PY'
import os, sys
d = sys.argv[1]
sizes = [int(n) for n in sys.argv[2:]]

def kind(i):
    return ["Family<Route, Counter>", "Family<Route, Gauge>", "Family<Route, Histogram>", "Counter"][i % 4]

def ours(n):
    s = '''use metrics_core::{Counter, Family, Gauge, Histogram, LabelSet};

#[derive(LabelSet)]
pub struct Route {
    pub route: String,
}

#[derive(metrics_core::Metrics)]
#[metrics(prefix = "app")]
pub struct Big {
'''
    for i in range(n):
        attr = '    #[metric(unit = "seconds", buckets = [0.01, 0.1, 1.0])]\n' if i % 4 == 2 else ""
        s += f"    /// Metric number {i}.\n{attr}    pub m{i}: {kind(i)},\n"
    return s + "}\n"

def by_hand(n):
    m = "metrics_core::__private"
    s = '''use metrics_core::{Counter, Family, Gauge, Histogram, LabelSet};

#[derive(LabelSet)]
pub struct Route {
    pub route: String,
}

pub struct Big {
''' + "".join(f"    pub m{i}: {kind(i)},\n" for i in range(n)) + "}\n\n"
    for i in range(n):
        unit = '"seconds"' if i % 4 == 2 else '""'
        name = f"app_m{i}_seconds" if i % 4 == 2 else f"app_m{i}"
        buckets = "&[0.01, 0.1, 1.0]" if i % 4 == 2 else "&[]"
        s += (f"const D{i}: {m}::Descriptor = {m}::Descriptor {{ name: \"{name}\", help: \"Metric number {i}.\", "
              f"kind: <{kind(i)} as {m}::Collect>::KIND, unit: {unit}, labels: <{kind(i)} as {m}::Collect>::LABELS, "
              f"buckets: {buckets}, native: None, quantiles: &[], max_age_secs: 0, limit: 0, legacy_name: false, location: \"Big.m{i}\" }};\n")
    s += f"\nimpl {m}::Metrics for Big {{\n    const INFO: &'static {m}::MetricsInfo = &{m}::MetricsInfo {{ type_name: \"Big\", items: &[\n"
    s += "".join(f"        {m}::MetricsItem::Metric(D{i}),\n" for i in range(n))
    s += f"    ] }};\n    fn encode<E: {m}::Encoder>(&self, e: &mut E) {{\n"
    s += "".join(f"        {m}::Collect::collect(&self.m{i}, &D{i}, e);\n" for i in range(n))
    s += "    }\n}\n\nimpl Default for Big {\n    fn default() -> Self {\n        Big {\n"
    s += "".join(f"            m{i}: <{kind(i)} as {m}::Collect>::from_descriptor(&D{i}),\n" for i in range(n))
    return s + "        }\n    }\n}\n"

def aliased(n):
    # The same struct, every metric type named through an alias.
    aliases = "pub type C = Counter;\npub type G = Gauge;\npub type H = Histogram;\n\n#[derive(metrics_core::Metrics)]"
    out = ours(n).replace("#[derive(metrics_core::Metrics)]", aliases, 1)
    for ty, alias in [("Counter>", "C>"), ("Gauge>", "G>"), ("Histogram>", "H>"), ("Counter,", "C,")]:
        out = out.replace(f": Family<Route, {ty}" if ty.endswith(">") else f": {ty}", f": Family<Route, {alias}" if ty.endswith(">") else f": {alias}")
    return out

def vise(n):
    s = '''use vise::{Buckets, Counter, EncodeLabelSet, Family, Gauge, Histogram, Metrics, Unit};

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct Route {
    pub route: String,
}

#[derive(Debug, Metrics)]
#[metrics(prefix = "app")]
pub struct Big {
'''
    for i in range(n):
        attr = "    #[metrics(unit = Unit::Seconds, buckets = Buckets::values(&[0.01, 0.1, 1.0]))]\n" if i % 4 == 2 else ""
        s += f"    /// Metric number {i}.\n{attr}    pub m{i}: {kind(i)},\n"
    return s + "}\n"

members = []
for n in sizes:
    for c, gen in [("ours", ours), ("by-hand", by_hand), ("vise", vise), ("aliased", aliased)]:
        name = f"{c}-{n}"
        members.append(name)
        os.makedirs(f"{d}/{name}/src")
        open(f"{d}/{name}/src/lib.rs", "w").write(gen(n))
        dep = 'vise = "0.3"' if c == "vise" else 'metrics-core = { path = "ROOT/metrics-core" }'
        open(f"{d}/{name}/Cargo.toml", "w").write(
            f'[package]\nname = "cost-{name}"\nversion = "0.0.0"\nedition = "2024"\npublish = false\n[dependencies]\n{dep}\n')
open(f"{d}/members", "w").write(" ".join(members))
PY
members="$(cat "$dir/members")"
for m in $members; do sed -i "s|ROOT|$root|" "$dir/$m/Cargo.toml"; done
{
  echo '[workspace]'
  printf 'members = [%s]\n' "$(printf '"%s", ' $members | sed 's/, $//')"
  echo 'resolver = "3"'
} > "$dir/Cargo.toml"
# The workspace's lock file pins the versions the cache holds.
cp "$root/Cargo.lock" "$dir/Cargo.lock"
cd "$dir"
# Warm the dependencies (offline from the cache when it can, else from crates.io).
cargo build -q --offline 2>/dev/null || cargo build -q
median() { sort -n | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }
# CPU time (user + system, cargo and rustc) is what a build costs, and moves less than wall time
# when other builds share the machine; both are printed.
TIMEFORMAT='%R %U %S'
printf '%-8s %11s %11s %11s %11s   (median of %s builds: CPU s, wall s)\n' fields ours by-hand vise ours-alias "$runs"
for n in $sizes; do
  row=()
  for c in ours by-hand vise aliased; do
    cpu=()
    wall=()
    for _ in $(seq "$runs"); do
      touch "$c-$n/src/lib.rs"
      t=$( { time CARGO_INCREMENTAL=0 cargo build -q --offline -p "cost-$c-$n" >/dev/null 2>&1; } 2>&1 )
      read -r r u s <<<"$t"
      wall+=("$r")
      cpu+=("$(echo "$u + $s" | bc)")
    done
    row+=("$(printf '%.2f/%.2f' "$(printf '%s\n' "${cpu[@]}" | median)" "$(printf '%s\n' "${wall[@]}" | median)")")
  done
  printf '%-8s %11s %11s %11s %11s\n' "$n" "${row[@]}"
done
