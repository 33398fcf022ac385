use metrics_core::LabelSet;

#[derive(LabelSet)]
struct L {
    #[label(rename = "__name__")]
    route: String,
}

fn main() {}
