use metrics_core::LabelSet;

struct Route;

#[derive(LabelSet)]
struct L {
    route: Route,
}

fn main() {}
