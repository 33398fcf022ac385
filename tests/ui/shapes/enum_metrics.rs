use metrics_core::Metrics;

#[derive(Metrics)]
enum M {
    A,
}

fn main() {}
