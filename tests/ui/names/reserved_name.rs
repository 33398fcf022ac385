use metrics_core::{Gauge, Metrics};

#[derive(Metrics)]
struct M {
    /// Reserved.
    #[metric(name = "__internal")]
    internal: Gauge,
}

fn main() {}
