//! `cargo run -p examples --bin metrics-docs`: the Markdown reference of every metric of the
//! examples, from the catalog the derive generates (kept as `docs/METRICS.md`).

fn main() {
    print!("{}", examples::metrics_docs());
}
