use metrics_core::{Counter, Metrics};

#[derive(Metrics)]
struct M(Counter);

fn main() {}
