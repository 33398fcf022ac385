//! A batch job: processes items (every 13th one fails), records what it did, and pushes its
//! metrics once at the end with PUT to a Pushgateway group (the `batch` binary).

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use metrics_core::{Counter, FloatGauge, Histogram, Metrics, Registry};
use metrics_push::{Destination, PushError};

/// What the job records.
#[derive(Metrics)]
pub struct BatchMetrics {
    /// Items processed successfully.
    #[metric(name = "batch_items_processed")]
    pub processed: Counter,
    /// Items that failed.
    #[metric(name = "batch_items_failed")]
    pub failed: Counter,
    /// Time taken by one item.
    #[metric(name = "batch_item_duration", unit = "seconds", buckets = exponential(0.000_001, 10.0, 7))]
    pub duration: Histogram,
    /// When the job last finished successfully.
    #[metric(name = "batch_last_success_timestamp", unit = "seconds")]
    pub last_success: FloatGauge,
}

/// One run of the job.
#[derive(Debug, Clone)]
pub struct Job {
    /// The Pushgateway's base URL.
    pub pushgateway: String,
    /// The group's job name.
    pub job: String,
    /// Grouping labels after the job.
    pub grouping: Vec<(String, String)>,
    /// How many items to process.
    pub items: u64,
    /// Retries of the push.
    pub retries: u32,
}

impl Job {
    /// A job of 100 items named `batch`, pushing to `pushgateway` with 3 retries.
    pub fn new(pushgateway: &str) -> Self {
        Job { pushgateway: pushgateway.to_owned(), job: "batch".into(), grouping: Vec::new(), items: 100, retries: 3 }
    }
}

/// What a run did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Outcome {
    /// Items processed.
    pub processed: u64,
    /// Items that failed.
    pub failed: u64,
}

/// The work of one item: a checksum over its number; every 13th item fails.
fn process(item: u64) -> Result<u64, String> {
    let sum = (0..1000u64).fold(item, |acc, i| acc.wrapping_mul(31).wrapping_add(i));
    if item % 13 == 12 { Err(format!("item {item} is malformed")) } else { Ok(sum) }
}

/// Runs the job and pushes its metrics; the error says why the push failed (or why the
/// destination is wrong, before any work is done).
pub fn run(job: &Job) -> Result<Outcome, PushError> {
    let metrics = Arc::new(BatchMetrics::default());
    let registry = Arc::new(Registry::new());
    registry.register_arc(metrics.clone()).map_err(|e| PushError::Config(e.to_string()))?;
    let mut destination = Destination::pushgateway(&job.pushgateway, &job.job)
        .timeout(Duration::from_secs(5))
        .max_retries(job.retries)
        .backoff(Duration::from_millis(200), Duration::from_secs(2));
    for (k, v) in &job.grouping {
        destination = destination.grouping(k, v);
    }
    // Started before the work so that a bad URL or grouping fails at once, not after it.
    let pusher = destination.start(registry)?;
    for item in 0..job.items {
        let timer = Instant::now();
        let outcome = process(item);
        metrics.duration.observe(timer.elapsed().as_secs_f64());
        match outcome {
            Ok(_) => metrics.processed.inc(),
            Err(_) => metrics.failed.inc(),
        }
    }
    let now = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs_f64()).unwrap_or(0.0);
    metrics.last_success.set(now);
    pusher.shutdown()?;
    Ok(Outcome { processed: metrics.processed.get(), failed: metrics.failed.get() })
}
