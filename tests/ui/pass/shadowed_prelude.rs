// The generated code must reach everything through absolute paths: shadow what it could
// otherwise pick up by accident.
#![allow(dead_code, non_camel_case_types)]

mod std {}
mod core {}
struct Option;
struct Result;
struct Ok;
struct Some;
struct None;
struct Default;
struct usize;
struct bool;
struct str;

#[derive(::metrics_core::LabelValue)]
enum Method {
    Get,
    Post,
}

#[derive(::metrics_core::LabelSet)]
struct Labels {
    method: Method,
    path: ::std::string::String,
}

#[derive(::metrics_core::Metrics)]
struct Inner {
    /// Flattened.
    inner: ::metrics_core::Gauge,
}

// An alias: the derive cannot read its kind, so const checks run for it.
type Errors = ::metrics_core::Counter;

#[derive(::metrics_core::Metrics)]
#[metrics(prefix = "shadow")]
struct M {
    /// Errors.
    errors: Errors,
    /// Flattened metrics.
    #[metric(flatten)]
    nested: Inner,
    /// Requests.
    requests: ::metrics_core::Family<Labels, ::metrics_core::Counter>,
    /// Latency.
    #[metric(buckets = exponential(0.001, 2.0, 4))]
    latency: ::metrics_core::Histogram,
}

fn main() {
    let m = <M as ::std::default::Default>::default();
    m.requests.get_or_create(&Labels { method: Method::Get, path: "/".into() }).inc();
    m.latency.observe(0.1);
}
