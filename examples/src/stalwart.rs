//! Stalwart: the Prometheus exporter its documentation describes. Reads `[metrics.prometheus]` (`enable`,
//! `auth.username`, `auth.secret`, plus `listen`) from a TOML file, serves
//! `/metrics/prometheus` behind basic auth, and does not listen at all when disabled.

use std::net::SocketAddr;
use std::sync::{Arc, LazyLock};

use metrics_core::{Catalog, Counter, Family, Gauge, Histogram, LabelSet, LabelValue, Metrics, Registry};
use metrics_http::{Exporter, ExporterConfig, Server, ServerHandle};
use serde::Deserialize;

/// The protocol of a delivery.
#[derive(LabelValue)]
pub enum Protocol {
    /// SMTP.
    Smtp,
    /// LMTP.
    Lmtp,
}

/// How a delivery attempt ended.
#[derive(LabelValue)]
pub enum Outcome {
    /// Delivered.
    Delivered,
    /// Deferred, to be retried.
    Deferred,
    /// Bounced.
    Bounced,
}

/// The labels of `delivery_attempts_total`: all enums, so the family is a dense array.
#[derive(LabelSet)]
pub struct DeliveryLabels {
    /// The protocol.
    pub protocol: Protocol,
    /// The outcome.
    pub outcome: Outcome,
}

/// A mail server's metrics.
#[derive(Metrics)]
pub struct StalwartMetrics {
    /// Delivery attempts by protocol and outcome.
    #[metric(name = "delivery_attempts")]
    pub deliveries: Family<DeliveryLabels, Counter>,
    /// Messages waiting in the outgoing queue.
    pub queue_messages: Gauge,
    /// Duration of SMTP sessions.
    #[metric(name = "smtp_session_duration", unit = "seconds", buckets = [0.1, 0.5, 1.0, 5.0, 30.0])]
    pub session_duration: Histogram,
}

/// The catalog of the example's metrics.
pub fn catalog() -> Catalog {
    crate::catalog_of(|c| {
        c.add::<StalwartMetrics>().add::<metrics_http::ScrapeMetrics>();
    })
}

/// The process-wide metrics.
pub static METRICS: LazyLock<StalwartMetrics> = LazyLock::new(|| {
    let m = StalwartMetrics::default();
    m.deliveries.get_or_create(&DeliveryLabels { protocol: Protocol::Smtp, outcome: Outcome::Delivered }).inc_by(3);
    m.deliveries.get_or_create(&DeliveryLabels { protocol: Protocol::Smtp, outcome: Outcome::Deferred }).inc();
    m.queue_messages.set(2);
    m.session_duration.observe(0.3);
    m
});

/// The part of Stalwart's configuration the example reads.
#[derive(Debug, Deserialize)]
pub struct Config {
    /// `[metrics]`
    pub metrics: MetricsConfig,
}

/// `[metrics]`
#[derive(Debug, Deserialize)]
pub struct MetricsConfig {
    /// `[metrics.prometheus]`
    #[serde(default)]
    pub prometheus: ExporterConfig,
}

/// Reads and parses a configuration file; errors name the file and, for bad values, the key.
pub fn load(path: &std::path::Path) -> Result<Config, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    toml::from_str(&text).map_err(|e| format!("invalid configuration {}: {e}", path.display()))
}

/// Registers the metrics and, if the exporter is enabled, serves `/metrics/prometheus` on
/// `listen` (or the configured address). `Ok(None)` when disabled: nothing listens.
pub fn start(config: &ExporterConfig, listen: Option<SocketAddr>) -> std::io::Result<Option<ServerHandle>> {
    if !config.enable {
        return Ok(None);
    }
    let registry = Arc::new(Registry::new());
    registry.register(&METRICS).map_err(std::io::Error::other)?;
    let mut config = config.clone();
    config.path = "/metrics/prometheus".into();
    config.json_path = String::new();
    if let Some(l) = listen {
        config.listen = l;
    }
    let exporter = Exporter::builder(registry).config(&config).build().map_err(std::io::Error::other)?;
    Server::spawn_thread(Server::builder(exporter).config(&config)).map(Some)
}
