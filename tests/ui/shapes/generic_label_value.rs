use metrics_core::LabelValue;

#[derive(LabelValue)]
enum V<T> {
    A,
    B(T),
}

fn main() {}
