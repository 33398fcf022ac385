use metrics_core::LabelSet;

#[derive(LabelSet)]
struct L {
    #[label(rename = "bad-label")]
    route: String,
}

fn main() {}
