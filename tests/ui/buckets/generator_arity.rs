use metrics_core::{Histogram, Metrics};

#[derive(Metrics)]
struct M {
    /// Two arguments.
    #[metric(buckets = exponential(1.0, 2.0))]
    a: Histogram,
    /// Four arguments.
    #[metric(buckets = linear(1.0, 1.0, 3, 4))]
    b: Histogram,
    /// A width of zero.
    #[metric(buckets = linear(1.0, 0.0, 3))]
    c: Histogram,
    /// A negative width.
    #[metric(buckets = linear(1.0, -0.5, 3))]
    d: Histogram,
}

fn main() {}
