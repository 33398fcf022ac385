//! The derives of `metrics-core`. Use them through `metrics_core`, which re-exports them with
//! their documentation.
//!
//! Each derive runs through one driver (`driver`): it parses its input into a small AST (`ast`,
//! reading attributes with `attr`), checks it into plain values (`check`), and expands those
//! (`expand_metrics`, `expand_labels`). Errors are collected in a `ctxt::Ctxt` so that every
//! mistake of a type is reported at once, each pointing at its token, next to a stub impl
//! (`fallback`) that keeps follow-on errors away. Names come from the naming module shared with
//! `metrics-core` (`name`).

mod ast;
mod attr;
// Shared with metrics-core, so that `buckets = linear(..)` and `Buckets::linear` agree.
#[path = "../../metrics-core/src/metric/bounds.rs"]
mod bounds;
mod case;
mod check;
mod ctxt;
mod driver;
mod expand_labels;
mod expand_metrics;
mod fallback;
#[path = "../../metrics-core/src/name.rs"]
#[allow(dead_code, unreachable_pub)]
mod name;

use proc_macro::TokenStream;
use syn::{DeriveInput, parse_macro_input};

use crate::attr::Place;

/// Implements `metrics_core::Metrics` and `Default` for a struct of metrics.
#[proc_macro_derive(Metrics, attributes(metrics, metric, label))]
pub fn derive_metrics(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    driver::run(&input, Place::MetricsStruct, fallback::metrics, |cx, attrs, krate| {
        let c = ast::Container::from_syn(cx, &input, attrs)?;
        let checked = check::metrics(cx, &c);
        Some(expand_metrics::expand(&c, &checked, krate))
    })
    .into()
}

/// Implements `metrics_core::LabelSet` for a struct of labels.
#[proc_macro_derive(LabelSet, attributes(label, metrics, metric))]
pub fn derive_label_set(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    driver::run(&input, Place::LabelStruct, fallback::label_set, |cx, _, krate| {
        let s = ast::LabelStruct::from_syn(cx, &input)?;
        check::label_set(cx, &s);
        Some(expand_labels::expand_label_set(&s, krate))
    })
    .into()
}

/// Implements `metrics_core::LabelValue` for an enum of unit variants.
#[proc_macro_derive(LabelValue, attributes(label, metrics, metric))]
pub fn derive_label_value(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    driver::run(&input, Place::LabelEnum, fallback::label_value, |cx, _, krate| {
        let e = ast::LabelEnum::from_syn(cx, &input)?;
        check::label_enum(cx, &e);
        Some(expand_labels::expand_label_value(&e, krate))
    })
    .into()
}
