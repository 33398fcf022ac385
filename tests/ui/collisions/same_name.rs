use metrics_core::{Gauge, Metrics};

#[derive(Metrics)]
struct M {
    /// Connections.
    connections: Gauge,
    /// Renamed onto the first.
    #[metric(name = "connections")]
    conns: Gauge,
}

fn main() {}
