//! The push engine's own metrics, registered in the registry it pushes.

use std::sync::LazyLock;

use metrics_core::{Counter, Family, Histogram, LabelSet, Metrics};

/// The `destination` label.
#[derive(LabelSet)]
pub struct DestinationLabels {
    /// The destination's name (`remote-write 127.0.0.1:9090` unless configured).
    pub destination: String,
}

/// The labels of `metrics_push_requests_total`.
#[derive(LabelSet)]
pub struct RequestLabels {
    /// The destination's name.
    pub destination: String,
    /// The HTTP status of the answer, or `error` when there was none (connection refused or
    /// closed, timeout).
    pub code: String,
}

/// The labels of `metrics_push_failures_total`.
#[derive(LabelSet)]
pub struct FailureLabels {
    /// The destination's name.
    pub destination: String,
    /// `rejected` (a 4xx other than 429: not retried), `retries` (every retry failed),
    /// `collect` (the registry could not be turned into a request), `shutdown` (the shutdown's
    /// time ran out).
    pub reason: &'static str,
}

/// The metrics of every push destination of the process: requests by status, payloads given
/// up, request durations and payloads dropped from a full queue.
///
/// ```
/// let catalog = metrics_core::Catalog::of::<metrics_push::PushMetrics>();
/// let names: Vec<&str> = catalog.metrics.iter().map(|m| m.name.as_str()).collect();
/// assert_eq!(
///     names,
///     ["metrics_push_requests_total", "metrics_push_failures_total", "metrics_push_duration_seconds", "metrics_push_dropped_total"]
/// );
/// ```
#[derive(Metrics)]
pub struct PushMetrics {
    /// Push requests sent, by destination and HTTP status (`error` when no answer came).
    #[metric(name = "metrics_push_requests")]
    pub requests: Family<RequestLabels, Counter>,
    /// Payloads given up, by destination and reason.
    #[metric(name = "metrics_push_failures")]
    pub failures: Family<FailureLabels, Counter>,
    /// Time taken by push requests, answered or not.
    #[metric(name = "metrics_push_duration", unit = "seconds", buckets = exponential(0.001, 4.0, 8))]
    pub duration: Family<DestinationLabels, Histogram>,
    /// Payloads dropped, oldest first, because the destination's queue was full.
    #[metric(name = "metrics_push_dropped")]
    pub dropped: Family<DestinationLabels, Counter>,
}

/// The process-wide push metrics.
pub(crate) static PUSH_METRICS: LazyLock<PushMetrics> = LazyLock::new(PushMetrics::default);
