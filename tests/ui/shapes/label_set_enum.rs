use metrics_core::LabelSet;

#[derive(LabelSet)]
enum L {
    A,
}

fn main() {}
