//! The derives of `metrics-core`. Use them through `metrics_core`, which re-exports them with
//! their documentation.
//!
//! Each derive parses its input into a small AST (`ast`), validates it (`check`), and
//! expands it; errors are collected in a `ctxt::Ctxt` so that every mistake of a struct is
//! reported at once, each pointing at its token, next to a stub impl (`fallback`) that keeps
//! follow-on errors away.

mod ast;
mod attr;
// Shared with metrics-core, so that `buckets = linear(..)` and `Buckets::linear` agree.
#[path = "../../metrics-core/src/metric/bounds.rs"]
mod bounds;
mod case;
mod check;
mod ctxt;
mod expand_labels;
mod expand_metrics;
mod fallback;
#[path = "../../metrics-core/src/name.rs"]
#[allow(dead_code, unreachable_pub)]
mod name;

use proc_macro::TokenStream;
use syn::{DeriveInput, parse_macro_input};

/// Implements `metrics_core::Metrics` and `Default` for a struct of metrics.
#[proc_macro_derive(Metrics, attributes(metrics, metric))]
pub fn derive_metrics(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    expand_metrics::derive(&input).into()
}

/// Implements `metrics_core::LabelSet` for a struct of labels.
#[proc_macro_derive(LabelSet, attributes(label))]
pub fn derive_label_set(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    expand_labels::derive_label_set(&input).into()
}

/// Implements `metrics_core::LabelValue` for an enum of unit variants.
#[proc_macro_derive(LabelValue, attributes(label))]
pub fn derive_label_value(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    expand_labels::derive_label_value(&input).into()
}
