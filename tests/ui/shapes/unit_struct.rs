use metrics_core::Metrics;

#[derive(Metrics)]
struct M;

fn main() {}
