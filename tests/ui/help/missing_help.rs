use metrics_core::{Counter, Metrics};

#[derive(Metrics)]
struct M {
    requests: Counter,
    #[doc = ""]
    errors: Counter,
}

fn main() {}
