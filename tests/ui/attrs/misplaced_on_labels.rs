use metrics_core::{LabelSet, LabelValue};

#[derive(LabelSet)]
#[label(rename = "x")]
#[metric(name = "x")]
#[metrics(prefix = "app")]
struct L {
    #[metric(name = "x")]
    route: String,
    #[metrics(crate = "metrics_core")]
    code: u16,
}

#[derive(LabelValue)]
#[metric(name = "x")]
#[metrics(prefix = "app")]
enum V {
    #[metrics(crate = "metrics_core")]
    A,
    #[metric(name = "b")]
    #[label(rename_all = "UPPERCASE")]
    B,
}

// vise's spellings on label types.
#[derive(LabelSet)]
#[metrics(label = "method")]
struct Method {
    method: String,
}

#[derive(LabelValue)]
#[metrics(rename_all = "snake_case")]
enum Status {
    Ok,
}

fn main() {}
