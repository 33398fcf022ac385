use metrics_core::Metrics;

#[derive(Metrics)]
union M {
    a: u32,
}

fn main() {}
