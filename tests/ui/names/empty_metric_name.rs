use metrics_core::{Counter, Metrics};

#[derive(Metrics)]
struct M {
    /// Requests.
    #[metric(name = "")]
    requests: Counter,
}

fn main() {}
