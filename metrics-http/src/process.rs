//! `process_*` metrics of the running process, read from `/proc` (Linux) with the `procfs`
//! crate at each scrape, named as client_golang's process collector names them.

use metrics_core::{Encoder, Metrics, MetricsInfo};
use procfs::process::{LimitValue, Process};

mod fields {
    use metrics_core::{CounterFn, GaugeFn, Metrics};

    /// The collector's metrics. `#[derive(Metrics)]` gives every struct a `Default` whose
    /// callbacks are unset (HELP and TYPE, no samples), so this struct stays private and the
    /// public [`ProcessMetrics`](super::ProcessMetrics) wraps it with a `Default` that reads.
    #[derive(Metrics)]
    pub(super) struct ProcessMetrics {
        /// Total user and system CPU time spent in seconds.
        #[metric(name = "process_cpu", unit = "seconds")]
        pub(super) cpu: CounterFn,
        /// Maximum number of open file descriptors.
        #[metric(name = "process_max_fds")]
        pub(super) max_fds: GaugeFn,
        /// Number of open file descriptors.
        #[metric(name = "process_open_fds")]
        pub(super) open_fds: GaugeFn,
        /// Resident memory size in bytes.
        #[metric(name = "process_resident_memory", unit = "bytes")]
        pub(super) resident_memory: GaugeFn,
        /// Start time of the process since unix epoch in seconds.
        #[metric(name = "process_start_time", unit = "seconds")]
        pub(super) start_time: GaugeFn,
        /// Number of OS threads in the process.
        #[metric(name = "process_threads")]
        pub(super) threads: GaugeFn,
        /// Virtual memory size in bytes.
        #[metric(name = "process_virtual_memory", unit = "bytes")]
        pub(super) virtual_memory: GaugeFn,
        /// Maximum amount of virtual memory available in bytes.
        #[metric(name = "process_virtual_memory_max", unit = "bytes")]
        pub(super) virtual_memory_max: GaugeFn,
    }
}

/// The process collector: register an `Arc<ProcessMetrics>` (or a static) in a registry.
/// [`new`](Self::new) and [`Default`] are the same working collector; there is no way to make
/// one that reads nothing.
///
/// ```
/// use std::sync::Arc;
/// use metrics_core::{Format, Registry};
/// use metrics_http::process::ProcessMetrics;
///
/// let registry = Registry::new();
/// registry.register_arc(Arc::new(ProcessMetrics::default())).unwrap();
/// let text = registry.render(Format::Prometheus);
/// let threads = text.lines().find_map(|l| l.strip_prefix("process_threads ")).unwrap();
/// assert!(threads.parse::<f64>().unwrap() >= 1.0);
/// ```
pub struct ProcessMetrics(fields::ProcessMetrics);

impl Metrics for ProcessMetrics {
    const INFO: &'static MetricsInfo = <fields::ProcessMetrics as Metrics>::INFO;

    fn encode<E: Encoder>(&self, e: &mut E) {
        self.0.encode(e);
    }
}

impl Default for ProcessMetrics {
    /// The collector, reading the current process (as [`ProcessMetrics::new`]).
    fn default() -> Self {
        Self::new()
    }
}

fn stat() -> Option<procfs::process::Stat> {
    Process::myself().ok()?.stat().ok()
}

fn limit(v: LimitValue) -> f64 {
    match v {
        LimitValue::Value(n) => n as f64,
        // client_golang reports "unlimited" as the largest u64, as on Infra's published `/metrics` page.
        LimitValue::Unlimited => u64::MAX as f64,
    }
}

impl ProcessMetrics {
    /// The collector, reading the current process. Where `/proc` cannot be read a metric is
    /// NaN, never a made-up zero.
    pub fn new() -> Self {
        let m = fields::ProcessMetrics::default();
        let tps = procfs::ticks_per_second() as f64;
        let page = procfs::page_size() as f64;
        m.cpu.set(move || stat().map(|s| (s.utime + s.stime) as f64 / tps).unwrap_or(f64::NAN));
        m.open_fds.set(|| Process::myself().ok().and_then(|p| p.fd_count().ok()).map(|n| n as f64).unwrap_or(f64::NAN));
        m.max_fds.set(|| {
            Process::myself()
                .ok()
                .and_then(|p| p.limits().ok())
                .map(|l| limit(l.max_open_files.soft_limit))
                .unwrap_or(f64::NAN)
        });
        m.virtual_memory.set(|| stat().map(|s| s.vsize as f64).unwrap_or(f64::NAN));
        m.virtual_memory_max.set(|| {
            Process::myself()
                .ok()
                .and_then(|p| p.limits().ok())
                .map(|l| limit(l.max_address_space.soft_limit))
                .unwrap_or(f64::NAN)
        });
        m.resident_memory.set(move || stat().map(|s| s.rss as f64 * page).unwrap_or(f64::NAN));
        m.threads.set(|| stat().map(|s| s.num_threads as f64).unwrap_or(f64::NAN));
        let boot = procfs::boot_time_secs().ok().map(|b| b as f64);
        m.start_time.set(move || match (stat(), boot) {
            (Some(s), Some(b)) => b + s.starttime as f64 / tps,
            _ => f64::NAN,
        });
        ProcessMetrics(m)
    }
}
