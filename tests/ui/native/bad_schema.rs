use metrics_core::{Histogram, Metrics};

#[derive(Metrics)]
struct M {
    /// Too fine.
    #[metric(unit = "seconds", native(schema = 9))]
    fine: Histogram,
    /// Too coarse.
    #[metric(unit = "seconds", native(schema = -5))]
    coarse: Histogram,
    /// Not an integer.
    #[metric(unit = "seconds", native(schema = 1.5))]
    half: Histogram,
}

fn main() {}
