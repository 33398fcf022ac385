use metrics_core::{Gauge, Metrics};

#[derive(Metrics)]
struct M {
    /// Connections.
    #[metric(legacy_name)]
    connections: Gauge,
}

fn main() {}
