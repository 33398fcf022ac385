use metrics_core::{Gauge, Metrics};

#[derive(Metrics)]
struct M {
    /// Connections.
    #[metric(buckets = [1.0, 2.0])]
    connections: Gauge,
}

fn main() {}
