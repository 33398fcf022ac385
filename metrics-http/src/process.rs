//! `process_*` metrics of the running process, read from `/proc` (Linux) with the `procfs`
//! crate at each scrape, named as client_golang's process collector names them.

use metrics_core::{CounterFn, GaugeFn, Metrics};
use procfs::process::{LimitValue, Process};

/// The process collector: register an `Arc<ProcessMetrics>` (or a static) in a registry.
#[derive(Metrics)]
pub struct ProcessMetrics {
    /// Total user and system CPU time spent in seconds.
    #[metric(name = "process_cpu", unit = "seconds")]
    pub cpu: CounterFn,
    /// Maximum number of open file descriptors.
    #[metric(name = "process_max_fds")]
    pub max_fds: GaugeFn,
    /// Number of open file descriptors.
    #[metric(name = "process_open_fds")]
    pub open_fds: GaugeFn,
    /// Resident memory size in bytes.
    #[metric(name = "process_resident_memory", unit = "bytes")]
    pub resident_memory: GaugeFn,
    /// Start time of the process since unix epoch in seconds.
    #[metric(name = "process_start_time", unit = "seconds")]
    pub start_time: GaugeFn,
    /// Number of OS threads in the process.
    #[metric(name = "process_threads")]
    pub threads: GaugeFn,
    /// Virtual memory size in bytes.
    #[metric(name = "process_virtual_memory", unit = "bytes")]
    pub virtual_memory: GaugeFn,
    /// Maximum amount of virtual memory available in bytes.
    #[metric(name = "process_virtual_memory_max", unit = "bytes")]
    pub virtual_memory_max: GaugeFn,
}

fn stat() -> Option<procfs::process::Stat> {
    Process::myself().ok()?.stat().ok()
}

fn limit(v: LimitValue) -> f64 {
    match v {
        LimitValue::Value(n) => n as f64,
        // client_golang reports "unlimited" as the largest u64, as in the Infra seed.
        LimitValue::Unlimited => u64::MAX as f64,
    }
}

impl ProcessMetrics {
    /// The collector, reading the current process. Where `/proc` cannot be read a metric is
    /// NaN, never a made-up zero.
    pub fn new() -> Self {
        let m = Self::default();
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
        m
    }
}
