use metrics_core::{LabelSet, LabelValue};

#[derive(LabelSet)]
struct L {
    #[label(rename_all = "snake_case")]
    route: String,
    #[label(rename = "a", skip)]
    other: String,
}

#[derive(LabelValue)]
#[label(rename = "x")]
enum V {
    #[label(skip)]
    A,
}

fn main() {}
