//! The compile-time guards of `metrics-http`: dropping a running server's handle (or leaving a
//! builder unused) is a warning naming what the drop does, shown here as errors under
//! `#![deny(unused_must_use)]` (`ui/http/*.stderr`). Regenerate with
//! `TRYBUILD=overwrite cargo test -p metrics-tests --test http_ui` and review.

#[test]
fn ui() {
    trybuild::TestCases::new().compile_fail("ui/http/*.rs");
}
