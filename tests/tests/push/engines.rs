//! Real engines receiving pushes: Prometheus 2.42's remote-write receiver and VictoriaMetrics
//! (kumo's metrics by remote write), the Pushgateway (the `batch` job's).

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use metrics_core::Registry;
use metrics_push::Destination;
use metrics_tests::{Reaped, free_port, get, query, tool, value_of};

fn temp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("push-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
    dir
}

/// Starts `cmd` with its output in `dir/log`, and waits (at most 60 s) until `addr` accepts
/// connections.
fn spawn(mut cmd: Command, dir: &std::path::Path, addr: &str) -> Reaped {
    let log = std::fs::File::create(dir.join("log")).unwrap_or_else(|e| panic!("{e}"));
    let child = Reaped(cmd.stdout(Stdio::null()).stderr(log).spawn().unwrap_or_else(|e| panic!("{cmd:?}: {e}")));
    let start = Instant::now();
    while std::net::TcpStream::connect(addr).is_err() {
        assert!(start.elapsed() < Duration::from_secs(60), "{cmd:?} did not listen on {addr}");
        std::thread::sleep(Duration::from_millis(100));
    }
    child
}

/// Polls `q` until `ok` accepts its value (at most 60 s); returns the last value.
fn poll(engine: &str, q: &str, ok: impl Fn(f64) -> bool) -> Option<f64> {
    let start = Instant::now();
    loop {
        let v = value_of(&query(engine, q));
        if v.is_some_and(&ok) || start.elapsed() > Duration::from_secs(60) {
            return v;
        }
        std::thread::sleep(Duration::from_millis(250));
    }
}

/// kumo's registry pushed every 200 ms to `url`; checks counters, gauges and a histogram
/// queried back from `engine`, and a counter moving between two queries.
fn kumo_by_remote_write(engine: &str, url: &str, name: &str) {
    let kumo =
        examples::kumo::start(crate_local(), vec![], Duration::from_millis(100)).unwrap_or_else(|e| panic!("{e}"));
    let pusher = Destination::remote_write(url)
        .name(name)
        .external_label("job", "kumo")
        .interval(Some(Duration::from_millis(200)))
        .start(kumo.registry.clone())
        .unwrap_or_else(|e| panic!("{e}"));
    let delivered = "total_messages_delivered{job=\"kumo\",service=\"smtp_client\"}";
    let first = poll(engine, delivered, |v| v > 0.0).unwrap_or_else(|| panic!("{engine}: no {delivered}"));
    let later = poll(engine, delivered, |v| v > first);
    assert!(later.is_some_and(|l| l > first), "{delivered} did not move: {first} then {later:?}");
    assert_eq!(poll(engine, "memory_limit{job=\"kumo\"}", |v| v > 0.0), Some(101_234_377_728.0));
    assert_eq!(poll(engine, "lua_count{job=\"kumo\"}", |v| v == 1.0), Some(1.0));
    // The push's own histogram, as its series.
    let count = format!("metrics_push_duration_seconds_count{{job=\"kumo\",destination=\"{name}\"}}");
    assert!(poll(engine, &count, |v| v > 0.0).is_some_and(|v| v > 0.0), "{count}");
    let inf = format!("metrics_push_duration_seconds_bucket{{job=\"kumo\",destination=\"{name}\",le=~\".Inf\"}}");
    assert!(poll(engine, &inf, |v| v > 0.0).is_some_and(|v| v > 0.0), "{inf}");
    assert_eq!(pusher.shutdown(), Ok(()));
}

fn crate_local() -> std::net::SocketAddr {
    std::net::SocketAddr::from(([127, 0, 0, 1], 0))
}

#[test]
fn prometheus_receives_kumo_by_remote_write() {
    let bin = tool("prometheus", "apt-get install prometheus");
    let dir = temp("prometheus");
    std::fs::write(dir.join("prometheus.yml"), "global:\n  scrape_interval: 1m\n").unwrap_or_else(|e| panic!("{e}"));
    let web = format!("127.0.0.1:{}", free_port());
    let mut cmd = Command::new(bin);
    cmd.arg(format!("--config.file={}", dir.join("prometheus.yml").display()))
        .arg(format!("--storage.tsdb.path={}", dir.join("data").display()))
        .arg(format!("--web.listen-address={web}"))
        .arg("--web.enable-remote-write-receiver");
    let _server = spawn(cmd, &dir, &web);
    // (Prometheus 2.42's receiver drops the requests' metadata: the metadata API has nothing to
    // check here; the unit tests check the metadata we send.)
    kumo_by_remote_write(&web, &format!("http://{web}/api/v1/write"), "rw-prometheus");
}

#[test]
fn victoria_metrics_receives_kumo_by_remote_write() {
    let bin = tool("victoria-metrics", "apt-get install victoria-metrics");
    let dir = temp("victoria");
    let web = format!("127.0.0.1:{}", free_port());
    let mut cmd = Command::new(bin);
    cmd.arg(format!("-httpListenAddr={web}"))
        .arg(format!("-storageDataPath={}", dir.join("data").display()))
        .arg("-search.latencyOffset=0s")
        .arg("-search.disableCache");
    let _server = spawn(cmd, &dir, &web);
    kumo_by_remote_write(&web, &format!("http://{web}/api/v1/write"), "rw-victoria");
}

/// Starts a Pushgateway with a persistence file of its own; returns it and its address.
fn start_pushgateway(name: &str) -> (Reaped, String) {
    let bin = tool("prometheus-pushgateway", "apt-get install prometheus-pushgateway");
    let dir = temp(name);
    let web = format!("127.0.0.1:{}", free_port());
    let mut cmd = Command::new(bin);
    // Debian's default persistence file would carry groups from one run to the next.
    cmd.arg(format!("--web.listen-address={web}"))
        .arg(format!("--persistence.file={}", dir.join("pushgateway.data").display()));
    (spawn(cmd, &dir, &web), web)
}

#[test]
fn the_pushgateway_receives_the_batch_job() {
    let (_server, web) = start_pushgateway("pushgateway");
    let mut job = examples::batch::Job::new(&format!("http://{web}"));
    job.job = "nightly".into();
    job.grouping = vec![("path".into(), "/var/spool/in".into())];
    let outcome = examples::batch::run(&job).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(outcome, examples::batch::Outcome { processed: 93, failed: 7 });
    let text = get(&format!("http://{web}/metrics")).body;
    let line = |series: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(series).and_then(|v| v.strip_prefix(' ')).and_then(|v| v.parse::<f64>().ok()))
    };
    let group = "instance=\"\",job=\"nightly\",path=\"/var/spool/in\"";
    assert_eq!(line(&format!("batch_items_processed_total{{{group}}}")), Some(93.0), "{text}");
    assert_eq!(line(&format!("batch_items_failed_total{{{group}}}")), Some(7.0));
    assert_eq!(line(&format!("batch_item_duration_seconds_count{{{group}}}")), Some(100.0));
    assert!(line(&format!("batch_last_success_timestamp_seconds{{{group}}}")).is_some_and(|t| t > 1.7e9));
    assert!(line(&format!("push_time_seconds{{{group}}}")).is_some_and(|t| t > 1.7e9));

    // DELETE removes the group, and only it.
    let other = Destination::pushgateway(&format!("http://{web}"), "other").push_once(Arc::new(Registry::new()));
    assert_eq!(other, Ok(()));
    let delete = Destination::pushgateway(&format!("http://{web}"), "nightly")
        .grouping("path", "/var/spool/in")
        .method(metrics_push::PushMethod::Delete)
        .push_once(Arc::new(Registry::new()));
    assert_eq!(delete, Ok(()));
    let text = get(&format!("http://{web}/metrics")).body;
    assert!(!text.contains("job=\"nightly\""), "{text}");
    assert!(text.contains("push_time_seconds{instance=\"\",job=\"other\"}"), "{text}");

    // A push that cannot be delivered says why.
    let mut down = examples::batch::Job::new(&format!("http://127.0.0.1:{}", free_port()));
    down.retries = 1;
    let err = examples::batch::run(&down).err().map(|e| e.to_string()).unwrap_or_default();
    assert!(err.contains("gave up after 1 retries") && err.contains("Connection refused"), "{err}");
}

/// The Pushgateway parses a protobuf body (configured by `format = "protobuf"`): it would
/// answer 400 to the same bytes sent as text.
#[test]
fn the_pushgateway_takes_a_protobuf_body() {
    #[derive(serde::Deserialize)]
    struct App {
        metrics: Metrics,
    }
    #[derive(serde::Deserialize)]
    struct Metrics {
        push: metrics_push::PushConfig,
    }
    #[derive(metrics_core::Metrics)]
    struct Job {
        /// Rows copied.
        rows: metrics_core::Counter,
        /// Copy time.
        #[metric(unit = "seconds", buckets = [0.5, 1.0])]
        copy: metrics_core::Histogram,
    }
    let (_server, web) = start_pushgateway("pushgateway-protobuf");
    let job = Arc::new(Job::default());
    job.rows.inc_by(41);
    job.copy.observe(0.7);
    job.copy.observe(3.0);
    let r = Arc::new(Registry::new());
    r.register_arc(job.clone()).unwrap_or_else(|e| panic!("{e}"));
    let app: App = toml::from_str(&format!(
        "[metrics.push.pushgateway]\nurl = \"http://{web}\"\njob = \"copy\"\nformat = \"protobuf\"\ninterval = 0\n"
    ))
    .unwrap_or_else(|e| panic!("{e}"));
    for p in app.metrics.push.start(&r).unwrap_or_else(|e| panic!("{e}")) {
        assert_eq!(p.shutdown(), Ok(()));
    }
    let text = get(&format!("http://{web}/metrics")).body;
    let line = |series: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(series).and_then(|v| v.strip_prefix(' ')).and_then(|v| v.parse::<f64>().ok()))
    };
    assert_eq!(line("rows_total{instance=\"\",job=\"copy\"}"), Some(41.0), "{text}");
    assert_eq!(line("copy_seconds_bucket{instance=\"\",job=\"copy\",le=\"1\"}"), Some(1.0), "{text}");
    assert_eq!(line("copy_seconds_count{instance=\"\",job=\"copy\"}"), Some(2.0), "{text}");
    assert!(line("push_time_seconds{instance=\"\",job=\"copy\"}").is_some_and(|t| t > 1.7e9), "{text}");
}

/// Prometheus 2.42 with exemplar storage keeps the exemplars of remote-written series: a
/// counter's, and a histogram bucket's on the `_bucket` series of its bound.
#[test]
fn prometheus_stores_remote_written_exemplars() {
    #[derive(metrics_core::LabelSet)]
    struct Trace {
        trace_id: String,
    }
    #[derive(metrics_core::Metrics)]
    struct Traced {
        /// Orders placed.
        orders: metrics_core::Counter,
        /// Checkout time.
        #[metric(unit = "seconds", buckets = [0.5, 1.0])]
        checkout: metrics_core::Histogram,
    }
    let (_server, web, _dir) = metrics_tests::start_prometheus(
        "rw-exemplars",
        "global:\n  scrape_interval: 1m\n",
        &["--web.enable-remote-write-receiver", "--enable-feature=exemplar-storage"],
    );
    let m = Arc::new(Traced::default());
    m.orders.inc_by_with_exemplar(3, &Trace { trace_id: "4bf92f3577b34da6".into() });
    m.checkout.observe_with_exemplar(0.7, &Trace { trace_id: "00f067aa0ba902b7".into() });
    let r = Arc::new(Registry::new());
    r.register_arc(m).unwrap_or_else(|e| panic!("{e}"));
    let pushed = Destination::remote_write(&format!("http://{web}/api/v1/write"))
        .name("rw-exemplars")
        .external_label("job", "traced")
        .push_once(r);
    assert_eq!(pushed, Ok(()));
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    let url = format!(
        "http://{web}/api/v1/query_exemplars?query=%7Bjob%3D%22traced%22%7D&start={}&end={}",
        now - 600,
        now + 600
    );
    // `(series name, le, trace id, value)` of every exemplar stored.
    let found = || -> Vec<(String, String, String, f64)> {
        let v: serde_json::Value = serde_json::from_str(&get(&url).body).unwrap_or(serde_json::Value::Null);
        let mut out = Vec::new();
        for s in v["data"].as_array().cloned().unwrap_or_default() {
            let name = s["seriesLabels"]["__name__"].as_str().unwrap_or("").to_owned();
            let le = s["seriesLabels"]["le"].as_str().unwrap_or("").to_owned();
            for e in s["exemplars"].as_array().cloned().unwrap_or_default() {
                let trace = e["labels"]["trace_id"].as_str().unwrap_or("").to_owned();
                let value = e["value"].as_str().and_then(|v| v.parse().ok()).unwrap_or(f64::NAN);
                out.push((name.clone(), le.clone(), trace, value));
            }
        }
        out.sort_by(|a, b| a.0.cmp(&b.0));
        out
    };
    let start = Instant::now();
    let mut got = found();
    while got.len() < 2 && start.elapsed() < Duration::from_secs(30) {
        std::thread::sleep(Duration::from_millis(250));
        got = found();
    }
    assert_eq!(
        got,
        [
            ("checkout_seconds_bucket".into(), "1".into(), "00f067aa0ba902b7".into(), 0.7),
            ("orders_total".into(), String::new(), "4bf92f3577b34da6".into(), 3.0),
        ]
    );
}
