use metrics_core::LabelSet;

#[derive(LabelSet)]
struct L {
    #[label(rename = "http.method")]
    otel: String,
    #[label(rename = "http/method")]
    other: String,
}

fn main() {}
