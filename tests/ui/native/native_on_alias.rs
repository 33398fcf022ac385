use metrics_core::{Gauge, Metrics};

/// An alias hides the type from the derive: the `const` check still sees a gauge.
type Connections = Gauge;

#[derive(Metrics)]
struct M {
    /// Connections.
    #[metric(native)]
    connections: Connections,
}

fn main() {}
