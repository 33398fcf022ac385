use metrics_core::{Histogram, Metrics};

#[derive(Metrics)]
struct M {
    /// Negative.
    #[metric(unit = "seconds", native(zero_threshold = -0.001))]
    negative: Histogram,
    /// Infinite (the literal overflows to infinity).
    #[metric(unit = "seconds", native(zero_threshold = 1e400))]
    infinite: Histogram,
}

fn main() {}
