//! KumoMTA: every metric of its documented `/metrics` page, with the exact name, type, help text and label
//! names, served on `/metrics` (with `?prefix=`) and `/metrics.json` to trusted IPs only.
//!
//! KumoMTA names its counters without `_total` (`total_messages_delivered`); those counters use
//! `#[metric(legacy_name)]` so that Prometheus text keeps the names dashboards use. The
//! trade-off: `promtool check metrics` reports them, and OpenMetrics still exposes the required
//! `..._total` samples.

use std::net::SocketAddr;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, LazyLock};
use std::time::Duration;

use metrics_core::{Catalog, Counter, Family, Gauge, GaugeFn, LabelSet, Metrics, Registry};
use metrics_http::{AccessPolicy, Exporter, Server, ServerHandle, TrustedHost};

/// The `service` label.
#[derive(LabelSet)]
pub struct ServiceLabels {
    /// `esmtp_listener`, `smtp_client`, `smtp_client:source->mx`, ...
    pub service: String,
}

/// The `queue` label.
#[derive(LabelSet)]
pub struct QueueLabels {
    /// The scheduled queue's name (a domain).
    pub queue: String,
}

/// The Lua policy engine's metrics (flattened into [`KumoMetrics`]).
#[derive(Metrics)]
pub struct LuaMetrics {
    /// the number of lua contexts currently alive
    pub lua_count: Gauge,
    /// how many times the policy lua script has been loaded into a new context
    #[metric(legacy_name)]
    pub lua_load_count: Counter,
    /// the number of lua contexts available for reuse in the pool
    pub lua_spare_count: Gauge,
}

/// KumoMTA's metrics, in the documented page's order.
#[derive(Metrics)]
pub struct KumoMetrics {
    /// number of active connections
    pub connection_count: Family<ServiceLabels, Gauge>,
    /// number of messages in the scheduled queue
    pub scheduled_count: Family<QueueLabels, Gauge>,
    /// The Lua policy engine's metrics.
    #[metric(flatten)]
    pub lua: LuaMetrics,
    /// soft memory limit measured in bytes
    pub memory_limit: Gauge,
    /// number of bytes of used memory
    pub memory_usage: GaugeFn,
    /// total number of Message objects
    pub message_count: Gauge,
    /// total number of Message objects with body data loaded
    pub message_data_resident_count: Gauge,
    /// total number of Message objects with metadata loaded
    pub message_meta_resident_count: Gauge,
    /// number of messages in the ready queue
    pub ready_count: Family<ServiceLabels, Gauge>,
    /// total number of active connections ever made
    #[metric(legacy_name)]
    pub total_connection_count: Family<ServiceLabels, Counter>,
    /// total number of messages ever delivered
    #[metric(legacy_name)]
    pub total_messages_delivered: Family<ServiceLabels, Counter>,
    /// total number of message delivery attempts that permanently failed
    #[metric(legacy_name)]
    pub total_messages_fail: Family<ServiceLabels, Counter>,
    /// total number of message delivery attempts that transiently failed
    #[metric(legacy_name)]
    pub total_messages_transfail: Family<ServiceLabels, Counter>,
}

/// The catalog of KumoMTA's metrics.
pub fn catalog() -> Catalog {
    Catalog::of::<KumoMetrics>()
}

fn svc(s: &str) -> ServiceLabels {
    ServiceLabels { service: s.to_owned() }
}

/// Resident memory of this process, from `/proc/self/statm` (0 where it cannot be read).
fn resident_bytes() -> u64 {
    let pages = std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| s.split_whitespace().nth(1).and_then(|v| v.parse::<u64>().ok()));
    pages.unwrap_or(0) * 4096
}

impl KumoMetrics {
    /// Metrics with the series of the documented example present from the start.
    pub fn new() -> Self {
        let m = Self::default();
        for s in ["esmtp_listener", "smtp_client", "smtp_client:source2->"] {
            drop(m.connection_count.get_or_create(&svc(s)));
        }
        drop(m.scheduled_count.get_or_create(&QueueLabels { queue: "example.com".into() }));
        m.lua.lua_count.set(1);
        m.lua.lua_load_count.inc();
        m.lua.lua_spare_count.set(1);
        m.memory_limit.set(101_234_377_728);
        m.memory_usage.set(resident_bytes);
        for s in
            ["smtp_client:source1->loopback.dummy-mx.example.com", "smtp_client:source2->loopback.dummy-mx.example.com"]
        {
            drop(m.ready_count.get_or_create(&svc(s)));
        }
        for s in ["smtp_client", "smtp_client:source2->"] {
            drop(m.total_connection_count.get_or_create(&svc(s)));
            drop(m.total_messages_delivered.get_or_create(&svc(s)));
            drop(m.total_messages_fail.get_or_create(&svc(s)));
            drop(m.total_messages_transfail.get_or_create(&svc(s)));
        }
        m
    }

    /// One step of the simulated workload: connections come and go, messages are delivered.
    pub fn simulate(&self, tick: u64) {
        let client = svc("smtp_client");
        let conns = (tick % 7) as i64;
        self.connection_count.get_or_create(&client).set(conns);
        self.connection_count.get_or_create(&svc("esmtp_listener")).set((tick % 3) as i64);
        self.total_connection_count.get_or_create(&client).inc();
        self.total_messages_delivered.get_or_create(&client).inc_by(1 + tick % 5);
        if tick.is_multiple_of(10) {
            self.total_messages_transfail.get_or_create(&client).inc();
        }
        if tick.is_multiple_of(50) {
            self.total_messages_fail.get_or_create(&client).inc();
        }
        self.ready_count
            .get_or_create(&svc("smtp_client:source1->loopback.dummy-mx.example.com"))
            .set((tick * 7 % 60) as i64);
        self.scheduled_count.get_or_create(&QueueLabels { queue: "example.com".into() }).set((tick % 11) as i64);
        self.message_count.set(1 + (tick % 13) as i64);
        self.message_data_resident_count.set((tick % 13) as i64);
        self.message_meta_resident_count.set((tick % 13) as i64);
    }
}

/// The process-wide metrics, as an application would declare them.
pub static METRICS: LazyLock<KumoMetrics> = LazyLock::new(KumoMetrics::new);

/// A running KumoMTA-like process; dropping it stops the workload and the server.
#[must_use = "dropping `Running` stops the workload and the metrics server: keep it for as long as they should run"]
pub struct Running {
    /// The metrics server.
    pub server: ServerHandle,
    /// The registry it serves (and that push destinations push).
    pub registry: Arc<Registry>,
    /// Dropping it wakes the workload thread at once, whatever its tick.
    stop: Option<mpsc::Sender<()>>,
    workload: Option<std::thread::JoinHandle<()>>,
}

impl Running {
    /// Where the server listens.
    pub fn local_addr(&self) -> SocketAddr {
        self.server.local_addr()
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(t) = self.workload.take() {
            let _ = t.join();
        }
    }
}

/// Registers the metrics, starts the workload and serves `/metrics` and `/metrics.json` on
/// `listen` to `trusted` addresses only (loopback when empty).
pub fn start(listen: SocketAddr, trusted: Vec<TrustedHost>, tick: Duration) -> std::io::Result<Running> {
    let registry = Arc::new(Registry::new());
    registry.register(&METRICS).map_err(std::io::Error::other)?;
    let mut policy = AccessPolicy::default();
    if !trusted.is_empty() {
        policy.trusted = trusted;
    }
    // KumoMTA serves Prometheus text only, and its counter names depend on it.
    let exporter = Exporter::builder(registry.clone())
        .access(policy)
        .openmetrics(false)
        .protobuf(false)
        .build()
        .map_err(std::io::Error::other)?;
    let server = Server::spawn_thread(Server::builder(exporter).listen(listen))?;
    let (stop, stopped) = mpsc::channel::<()>();
    let workload = std::thread::Builder::new().name("kumo-workload".into()).spawn(move || {
        let mut n = 0u64;
        loop {
            n += 1;
            METRICS.simulate(n);
            match stopped.recv_timeout(tick) {
                Err(RecvTimeoutError::Timeout) => continue,
                _ => return,
            }
        }
    })?;
    Ok(Running { server, registry, stop: Some(stop), workload: Some(workload) })
}
