use metrics_core::LabelValue;

#[derive(LabelValue)]
enum V {
    A,
    B(u8),
    C { x: u8 },
}

fn main() {}
