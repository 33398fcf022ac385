use metrics_core::{Gauge, Metrics};

#[derive(Metrics)]
struct M {
    /// Size.
    größe: Gauge,
}

fn main() {}
