use metrics_core::LabelValue;

#[derive(LabelValue)]
enum V {}

fn main() {}
