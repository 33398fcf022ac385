// A timer observes when it is dropped: dropping it at once is a mistake the compiler reports.
#![deny(unused_must_use)]

use metrics_core::{Family, Histogram, LabelSet};

#[derive(LabelSet)]
struct L {
    route: String,
}

fn main() {
    let h = Histogram::default();
    h.start_timer();
    let f: Family<L, Histogram> = Family::new();
    f.get_or_create(&L { route: "/".into() }).start_timer();
}
