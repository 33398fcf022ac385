use metrics_core::LabelSet;

#[derive(LabelSet)]
struct L {
    status: u16,
    #[label(rename = "status")]
    code: u16,
}

fn main() {}
