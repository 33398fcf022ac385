use metrics_core::{Counter, Metrics};

#[derive(Metrics)]
#[metrics(namespace = "app")]
struct M {
    /// Requests.
    #[metric(nmae = "requests", unit = "seconds", bukets = [1.0])]
    requests: Counter,
}

fn main() {}
