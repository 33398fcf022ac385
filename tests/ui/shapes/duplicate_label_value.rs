use metrics_core::LabelValue;

#[derive(LabelValue)]
enum Method {
    Get,
    #[label(rename = "get")]
    Fetch,
}

#[derive(LabelValue)]
#[label(rename_all = "lowercase")]
enum Kind {
    HttpGet,
    Httpget,
}

fn main() {}
