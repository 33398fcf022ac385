use metrics_core::LabelSet;

#[derive(LabelSet)]
struct L {
    #[label(rename = "")]
    route: String,
}

fn main() {}
