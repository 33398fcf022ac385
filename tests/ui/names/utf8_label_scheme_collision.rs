use metrics_core::LabelSet;

// Distinct as written and for legacy scrapers (`a__b`, `a_b`; `a_dot_b`, `a_b`; `U__a_2e_b`,
// `a_b`), one label under `dots` or `values`.
#[derive(LabelSet)]
struct Dots {
    #[label(rename = "a--b")]
    dashes: String,
    a_b: String,
}

#[derive(LabelSet)]
struct DotWord {
    #[label(rename = "a.b")]
    dotted: String,
    #[label(rename = "a-dot-b")]
    spelled: String,
}

#[derive(LabelSet)]
struct Values {
    #[label(rename = "x.y")]
    dotted: String,
    #[label(rename = "U__x_2e_y")]
    encoded: String,
}

fn main() {}
