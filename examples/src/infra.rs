//! Infra: the client_golang-style `/metrics` of its published page, in Rust. Build and database info,
//! inventory gauges, a summary, runtime gauges (tokio's, in the place of the page's `go_*`),
//! the request metrics of a small axum API recorded by the tower middleware, the process
//! collector, and the exporter's own scrape metrics, all on one listener.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use axum::Router;
use axum::extract::{Path, State};
use axum::routing::{get, put};
use metrics_core::{Catalog, Gauge, GaugeFn, Info, LabelSet, Metrics, Registry, Summary};
use metrics_http::middleware::{HttpMetrics, HttpMetricsLayer};
use metrics_http::process::ProcessMetrics;
use metrics_http::{BuildLabels, Exporter};
use serde::{Deserialize, Serialize};
use tokio::sync::oneshot;

/// The `name` label of `database_info`.
#[derive(LabelSet)]
pub struct DatabaseLabels {
    /// The database driver.
    pub name: String,
}

/// Build and database metrics.
#[derive(Metrics)]
pub struct InfraMetrics {
    /// Build information about Infra Server.
    pub build_info: Info<BuildLabels>,
    /// Database connection status.
    pub database_connected: Gauge,
    /// Information about configured database.
    pub database_info: Info<DatabaseLabels>,
    /// A summary of the duration of database queries.
    #[metric(name = "database_query_duration", unit = "seconds", quantiles = [0.0, 0.25, 0.5, 0.75, 1.0], max_age = "10m")]
    pub query_duration: Summary,
}

/// The async runtime's gauges, in the spirit of the page's `go_goroutines` and `go_threads`.
#[derive(Metrics)]
pub struct RuntimeMetrics {
    /// Number of tasks currently alive in the tokio runtime.
    pub tokio_alive_tasks: GaugeFn,
    /// Number of tasks waiting in the tokio runtime's global queue.
    pub tokio_global_queue_depth: GaugeFn,
    /// Number of worker threads of the tokio runtime.
    pub tokio_workers: GaugeFn,
}

/// Inventory gauges.
#[derive(Metrics)]
pub struct InventoryMetrics {
    /// Number of destinations managed by Infra.
    pub infra_destinations: Gauge,
    /// Number of grants managed by Infra.
    pub infra_grants: Gauge,
    /// Number of groups managed by Infra.
    pub infra_groups: Gauge,
    /// Number of providers managed by Infra.
    pub infra_providers: Gauge,
    /// Number of users managed by Infra.
    pub infra_users: Gauge,
}

/// The catalog of Infra's own metrics (the exporter's and the process collector's included).
pub fn catalog() -> Catalog {
    crate::catalog_of(|c| {
        c.add::<InfraMetrics>()
            .add::<RuntimeMetrics>()
            .add::<HttpMetrics>()
            .add::<InventoryMetrics>()
            .add::<ProcessMetrics>()
            .add::<metrics_http::ScrapeMetrics>();
    })
}

/// A destination of the API.
#[derive(Clone, Serialize, Deserialize)]
pub struct Destination {
    /// Its name.
    pub name: String,
}

#[derive(Clone)]
struct AppState {
    infra: Arc<InfraMetrics>,
    inventory: Arc<InventoryMetrics>,
    destinations: Arc<Mutex<BTreeMap<u64, Destination>>>,
}

impl AppState {
    /// A simulated database query, timed into the summary.
    fn query<T>(&self, f: impl FnOnce(&mut BTreeMap<u64, Destination>) -> T) -> T {
        let start = Instant::now();
        let out = f(&mut self.destinations.lock().unwrap_or_else(PoisonError::into_inner));
        self.infra.query_duration.observe(start.elapsed().as_secs_f64());
        out
    }
}

async fn grants(State(s): State<AppState>) -> axum::Json<Vec<&'static str>> {
    s.query(|_| ());
    axum::Json(vec!["admin@infra"])
}

async fn destinations(State(s): State<AppState>) -> axum::Json<BTreeMap<u64, Destination>> {
    axum::Json(s.query(|d| d.clone()))
}

async fn put_destination(
    State(s): State<AppState>,
    Path(id): Path<u64>,
    axum::Json(d): axum::Json<Destination>,
) -> axum::Json<Destination> {
    let n = s.query(|all| {
        all.insert(id, d.clone());
        all.len()
    });
    s.inventory.infra_destinations.set(n as i64);
    axum::Json(d)
}

/// A running Infra server; dropping it stops the server.
#[must_use = "dropping `Running` stops the Infra server: keep it for as long as the server should run"]
pub struct Running {
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<std::io::Result<()>>>,
}

impl Running {
    /// Where the server listens.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops the server and waits for it.
    pub fn stop(mut self) -> std::io::Result<()> {
        self.stop_and_join()
    }

    fn stop_and_join(&mut self) -> std::io::Result<()> {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        match self.thread.take().map(|t| t.join()) {
            Some(Ok(r)) => r,
            Some(Err(_)) => Err(std::io::Error::other("the infra server thread panicked")),
            None => Ok(()),
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.stop_and_join();
    }
}

/// Builds the metrics and the application, binds `listen`, and serves on a thread of its own.
pub fn start(listen: SocketAddr) -> std::io::Result<Running> {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    let registry = Arc::new(Registry::new());
    let infra = Arc::new(InfraMetrics::default());
    let _ = infra.build_info.set(BuildLabels { branch: "main".into(), ..metrics_http::build_labels!() });
    let _ = infra.database_info.set(DatabaseLabels { name: "sqlite".into() });
    infra.database_connected.set(1);
    let runtime = Arc::new(RuntimeMetrics::default());
    let handle = rt.handle().clone();
    let h = handle.clone();
    runtime.tokio_alive_tasks.set(move || h.metrics().num_alive_tasks());
    let h = handle.clone();
    runtime.tokio_global_queue_depth.set(move || h.metrics().global_queue_depth());
    runtime.tokio_workers.set(move || handle.metrics().num_workers());
    let http = Arc::new(HttpMetrics::default());
    let inventory = Arc::new(InventoryMetrics::default());
    for (g, v) in [
        (&inventory.infra_grants, 1),
        (&inventory.infra_groups, 4),
        (&inventory.infra_providers, 1),
        (&inventory.infra_users, 9),
    ] {
        g.set(v);
    }
    let err = std::io::Error::other;
    registry.register_arc(infra.clone()).map_err(err)?;
    registry.register_arc(runtime).map_err(err)?;
    registry.register_arc(http.clone()).map_err(err)?;
    registry.register_arc(inventory.clone()).map_err(err)?;
    registry.register_arc(Arc::new(ProcessMetrics::new())).map_err(err)?;
    let exporter = Exporter::builder(registry).json_path(None).build().map_err(err)?;

    let mut initial = BTreeMap::new();
    initial.insert(1, Destination { name: "kubernetes.prod".into() });
    inventory.infra_destinations.set(initial.len() as i64);
    let state = AppState { infra, inventory, destinations: Arc::new(Mutex::new(initial)) };
    let api = Router::new()
        .route("/v1/grants", get(grants))
        .route("/v1/destinations", get(destinations))
        .route("/v1/destinations/{id}", put(put_destination))
        .with_state(state)
        .layer(HttpMetricsLayer::new(http));
    let app = api.merge(metrics_http::axum::router(exporter));

    let listener = rt.block_on(tokio::net::TcpListener::bind(listen))?;
    let addr = listener.local_addr()?;
    let (tx, rx) = oneshot::channel::<()>();
    let thread = std::thread::Builder::new().name("infra".into()).spawn(move || {
        rt.block_on(async move {
            axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>())
                .with_graceful_shutdown(async move {
                    let _ = rx.await;
                })
                .await
        })
    })?;
    Ok(Running { addr, stop: Some(tx), thread: Some(thread) })
}
