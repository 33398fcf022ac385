//! The exporter's own metrics, as client_golang's promhttp exposes them.

use metrics_core::{Counter, Family, Gauge, Histogram, LabelSet, Metrics};

/// The labels of [`ScrapeMetrics::requests`].
#[derive(LabelSet)]
pub struct CodeLabels {
    /// The HTTP status code of the response.
    pub code: u16,
}

/// Metrics about the scrapes the exporter serves.
#[derive(Metrics)]
pub struct ScrapeMetrics {
    /// Total number of scrapes by HTTP status code.
    #[metric(name = "promhttp_metric_handler_requests")]
    pub requests: Family<CodeLabels, Counter>,
    /// Current number of scrapes being served.
    #[metric(name = "promhttp_metric_handler_requests_in_flight")]
    pub in_flight: Gauge,
    /// Time taken to render and compress a scrape.
    #[metric(name = "promhttp_metric_handler_duration", unit = "seconds", buckets = exponential(0.0001, 4.0, 8))]
    pub duration: Histogram,
    /// Size of scrape responses before compression.
    #[metric(name = "promhttp_metric_handler_response_size", unit = "bytes", buckets = exponential(1024.0, 4.0, 8))]
    pub size: Histogram,
}

impl ScrapeMetrics {
    /// Metrics with the status codes client_golang shows from the start (200, 500, 503).
    pub fn new() -> Self {
        let m = Self::default();
        for code in [200, 500, 503] {
            drop(m.requests.get_or_create(&CodeLabels { code }));
        }
        m
    }
}
