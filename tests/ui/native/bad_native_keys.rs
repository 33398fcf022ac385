use metrics_core::{Histogram, Metrics};

#[derive(Metrics)]
struct M {
    /// Unknown key.
    #[metric(unit = "seconds", native(factor = 1.1))]
    a: Histogram,
    /// A value where settings go.
    #[metric(unit = "seconds", native = 3)]
    b: Histogram,
    /// Twice the same key.
    #[metric(unit = "seconds", native(schema = 2, schema = 3))]
    c: Histogram,
}

fn main() {}
