use metrics_core::Metrics;

mod other {
    // Named like a counter, but a gauge: the derive must not take it for a counter.
    pub type Counter = metrics_core::Gauge;
}
use other::Counter;

#[derive(Metrics)]
struct M {
    /// Connections.
    open: Counter,
}

fn main() {}
