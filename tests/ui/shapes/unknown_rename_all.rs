use metrics_core::LabelValue;

#[derive(LabelValue)]
#[label(rename_all = "Title Case")]
enum V {
    A,
}

fn main() {}
