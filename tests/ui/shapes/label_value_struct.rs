use metrics_core::LabelValue;

#[derive(LabelValue)]
struct V {
    a: u8,
}

fn main() {}
