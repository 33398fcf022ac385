use metrics_core::{Counter, Metrics};

#[derive(Metrics)]
struct M {
    /// Requests.
    #[metric(name = "a", name = "b")]
    #[metric(help = "x")]
    #[metric(help = "y")]
    requests: Counter,
}

fn main() {}
