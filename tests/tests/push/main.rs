//! Pushing: the engine's faults against a scripted receiver, OTLP decoded with the official
//! schema, and real engines (Prometheus' remote-write receiver, VictoriaMetrics, the
//! Pushgateway).

mod engines;
mod fake;
mod faults;
mod otlp;

use std::sync::Arc;

use metrics_core::{Counter, Format, Metrics, Registry};
use metrics_push::remote_write::proto::WriteRequest;
use prost::Message;

/// A registry with one counter.
#[derive(Metrics)]
pub struct Jobs {
    /// Jobs run.
    pub jobs: Counter,
}

/// A registry holding a fresh [`Jobs`].
pub fn registry() -> (Arc<Registry>, Arc<Jobs>) {
    let jobs = Arc::new(Jobs::default());
    let r = Arc::new(Registry::new());
    r.register_arc(jobs.clone()).unwrap_or_else(|e| panic!("{e}"));
    (r, jobs)
}

/// A remote-write body, decompressed and decoded.
pub fn decode_remote_write(body: &[u8]) -> WriteRequest {
    let raw = snap::raw::Decoder::new().decompress_vec(body).unwrap_or_else(|e| panic!("not snappy: {e}"));
    WriteRequest::decode(raw.as_slice()).unwrap_or_else(|e| panic!("not a WriteRequest: {e}"))
}

/// The value of the series named `name` in a remote-write body.
pub fn value_in(body: &[u8], name: &str) -> Option<f64> {
    decode_remote_write(body)
        .timeseries
        .iter()
        .find(|s| s.labels.iter().any(|l| l.name == "__name__" && l.value == name))
        .map(|s| s.samples[0].value)
}

/// The value of a sample line of the registry's Prometheus text (`name{labels}`).
pub fn sample(registry: &Registry, series: &str) -> Option<f64> {
    registry
        .render(Format::Prometheus)
        .lines()
        .find_map(|l| l.strip_prefix(series).and_then(|v| v.strip_prefix(' ')).and_then(|v| v.parse().ok()))
}
