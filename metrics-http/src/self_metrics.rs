//! The exporter's own metrics, as client_golang's promhttp exposes them.

use metrics_core::{Encoder, LabelSet, Metrics, MetricsInfo};

/// The labels of `promhttp_metric_handler_requests_total`.
#[derive(LabelSet)]
pub struct CodeLabels {
    /// The HTTP status code of the response.
    pub code: u16,
}

pub(crate) mod fields {
    use metrics_core::{Counter, Family, Gauge, Histogram, Metrics};

    use super::CodeLabels;

    /// The metrics themselves. `#[derive(Metrics)]` gives every struct a `Default`; this one
    /// stays private so that no one can make a set of scrape metrics no exporter updates.
    #[derive(Metrics)]
    pub(crate) struct ScrapeMetrics {
        /// Total number of scrapes by HTTP status code.
        #[metric(name = "promhttp_metric_handler_requests")]
        pub(crate) requests: Family<CodeLabels, Counter>,
        /// Current number of scrapes being served.
        #[metric(name = "promhttp_metric_handler_requests_in_flight")]
        pub(crate) in_flight: Gauge,
        /// Time taken to render and compress a scrape.
        #[metric(name = "promhttp_metric_handler_duration", unit = "seconds", buckets = exponential(0.0001, 4.0, 8))]
        pub(crate) duration: Histogram,
        /// Size of scrape responses before compression.
        #[metric(name = "promhttp_metric_handler_response_size", unit = "bytes", buckets = exponential(1024.0, 4.0, 8))]
        pub(crate) size: Histogram,
    }
}

/// The metrics about the scrapes an [`Exporter`](crate::Exporter) serves:
/// `promhttp_metric_handler_requests_total{code}`, `..._requests_in_flight`,
/// `..._duration_seconds` and `..._response_size_bytes`.
///
/// Each exporter makes its own and registers it when built; the type is public so that a
/// [`Catalog`](metrics_core::Catalog) can list these metrics. It has no constructor and no
/// `Default`: a set nobody updates would only print HELP and TYPE lines.
///
/// ```
/// use metrics_core::Catalog;
/// let catalog = Catalog::of::<metrics_http::ScrapeMetrics>();
/// assert_eq!(catalog.metrics[0].name, "promhttp_metric_handler_requests_total");
/// ```
///
/// ```compile_fail
/// // No Default: the exporter makes the only working one.
/// let m = <metrics_http::ScrapeMetrics as Default>::default();
/// ```
pub struct ScrapeMetrics(pub(crate) fields::ScrapeMetrics);

impl Metrics for ScrapeMetrics {
    const INFO: &'static MetricsInfo = <fields::ScrapeMetrics as Metrics>::INFO;

    fn encode<E: Encoder>(&self, e: &mut E) {
        self.0.encode(e);
    }
}

impl ScrapeMetrics {
    /// The exporter's metrics, with the status codes client_golang shows from the start (200,
    /// 500, 503).
    pub(crate) fn new() -> Self {
        let m = fields::ScrapeMetrics::default();
        for code in [200, 500, 503] {
            drop(m.requests.get_or_create(&CodeLabels { code }));
        }
        ScrapeMetrics(m)
    }
}
