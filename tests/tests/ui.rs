//! Every compile error `#[derive(Metrics)]`, `#[derive(LabelSet)]` and `#[derive(LabelValue)]`
//! can give, each with its expected message (`ui/<category>/*.stderr`), and the pass cases.
//! Regenerate the expected files with `TRYBUILD=overwrite cargo test -p metrics-tests --test ui`
//! and review them.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    for category in ["names", "types", "collisions", "buckets", "help", "attrs", "shapes", "native"] {
        t.compile_fail(format!("ui/{category}/*.rs"));
    }
    t.pass("ui/pass/*.rs");
}
