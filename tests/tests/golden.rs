//! Golden files: a struct using every metric type, hostile label values and help text, and
//! special floats, rendered in each format and compared with `fixtures/golden/*`.
//! `UPDATE_GOLDEN=1 cargo test -p metrics-tests --test golden` rewrites them (review the diff).

use std::sync::Arc;

use metrics_core::{
    Counter, CounterFn, Family, FloatCounter, FloatGauge, Format, Gauge, GaugeFn, Histogram, Info, LabelSet,
    LabelValue, Metrics, Registry, RenderOptions, Summary,
};
use metrics_tests::{dir, mask_created};

#[derive(LabelValue)]
enum Method {
    Get,
    #[label(rename = "POST")]
    Post,
}

#[derive(LabelValue)]
#[label(rename_all = "kebab-case")]
enum Class {
    ServerError,
    Ok,
}

#[derive(LabelSet)]
struct Dense {
    method: Method,
    class: Class,
}

#[derive(LabelSet)]
struct Route {
    route: String,
    #[label(rename = "status")]
    code: u16,
}

#[derive(LabelSet)]
struct Service {
    service: String,
}

#[derive(LabelSet)]
struct Version {
    version: String,
    commit: String,
}

#[derive(LabelSet)]
struct Runtime {
    rust: String,
}

#[derive(Metrics)]
#[metrics(prefix = "lua")]
struct Lua {
    /// Lua contexts alive.
    contexts: Gauge,
}

#[derive(Metrics)]
#[metrics(prefix = "app")]
struct All {
    /// Build information.
    build_info: Info<Version>,
    /// Runtime information: an info named without `_info` is `app_runtime_info` in every format.
    runtime: Info<Runtime>,
    /// Requests by method and class (a dense family).
    requests: Family<Dense, Counter>,
    /// Help with a backslash \ and "quotes"
    /// across two lines.
    escapes: Family<Service, Gauge>,
    /// Request latency.
    #[metric(unit = "seconds", buckets = [0.005, 0.5, 1.0, 1e6])]
    latency: Family<Route, Histogram>,
    /// Sizes, unlabelled.
    #[metric(unit = "bytes", buckets = exponential(1024.0, 4.0, 3))]
    size: Histogram,
    /// Pause durations.
    #[metric(unit = "seconds", quantiles = [0.0, 0.5, 1.0])]
    pause: Summary,
    /// CPU time.
    #[metric(name = "cpu", unit = "seconds")]
    cpu: FloatCounter,
    /// Special floats.
    special: Family<Service, FloatGauge>,
    /// A legacy counter name kept as written.
    #[metric(legacy_name)]
    total_connection_count: Counter,
    /// Read at scrape time.
    memory: GaugeFn,
    /// A counter read at scrape time.
    ticks: CounterFn,
    /// A family with no series yet.
    empty: Family<Route, Counter>,
    /// Flattened.
    #[metric(flatten)]
    lua: Lua,
}

fn registry() -> Registry {
    let m = All::default();
    let _ = m.build_info.set(Version { version: "1.2.0".into(), commit: "abc\"def".into() });
    let _ = m.runtime.set(Runtime { rust: "1.90".into() });
    m.requests.get_or_create(&Dense { method: Method::Post, class: Class::ServerError }).inc_by(3);
    m.requests.get_or_create(&Dense { method: Method::Get, class: Class::Ok }).inc_by(9_007_199_254_740_993);
    m.escapes.get_or_create(&Service { service: "back\\slash \"quoted\"\nnew line".into() }).set(-1);
    m.escapes.get_or_create(&Service { service: "ünïcødé ✓".into() }).set(2);
    m.escapes.get_or_create(&Service { service: String::new() }).set(0);
    let route = m.latency.get_or_create(&Route { route: "/v1/destinations/:id".into(), code: 200 });
    for v in [0.001, 0.25, 0.75, 2.0] {
        route.observe(v);
    }
    m.size.observe(5000.0);
    for v in [1.0, 2.0, 3.0] {
        m.pause.observe(v);
    }
    m.cpu.inc_by(0.25);
    for (s, v) in [
        ("nan", f64::NAN),
        ("inf", f64::INFINITY),
        ("-inf", f64::NEG_INFINITY),
        ("-0", -0.0),
        ("subnormal", 5e-324),
        ("big", 1.8446744073709552e19),
    ] {
        m.special.get_or_create(&Service { service: s.into() }).set(v);
    }
    m.total_connection_count.inc();
    m.memory.set(|| 185_647_104_u64);
    m.ticks.set(|| 7.5_f64);
    m.lua.contexts.set(1);
    let r = Registry::new();
    if let Err(e) = r.register_arc(Arc::new(m)) {
        panic!("{e}");
    }
    r
}

fn check(file: &str, got: &str) {
    let path = dir().join("fixtures/golden").join(file);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        if let Err(e) = std::fs::write(&path, got) {
            panic!("writing {}: {e}", path.display());
        }
        return;
    }
    let want = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("reading {}: {e} (run with UPDATE_GOLDEN=1 to create it)", path.display()));
    assert!(got == want, "{file} differs from the golden file:\n--- got\n{got}\n--- want\n{want}");
}

#[test]
fn prometheus_text() {
    check("all.prom", &registry().render(Format::Prometheus));
}

#[test]
fn openmetrics_text() {
    check("all.om", &mask_created(&registry().render(Format::OpenMetrics)));
}

#[test]
fn json() {
    let text = registry().render(Format::Json);
    let value: serde_json::Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("invalid JSON: {e}\n{text}"));
    let pretty = serde_json::to_string_pretty(&value).unwrap_or_default() + "\n";
    check("all.json", &pretty);
}

#[test]
fn prefix_applies_to_every_sample_name() {
    let r = registry();
    let mut out = Vec::new();
    let opts = RenderOptions::new(Format::OpenMetrics).with_prefix("kumomta_").unwrap_or_else(|e| panic!("{e}"));
    r.render_into(&opts, &mut out);
    let text = String::from_utf8(out).unwrap_or_default();
    for line in text.lines().filter(|l| !l.is_empty() && *l != "# EOF") {
        let name = line.trim_start_matches("# TYPE ").trim_start_matches("# HELP ").trim_start_matches("# UNIT ");
        assert!(name.starts_with("kumomta_"), "unprefixed: {line}");
    }
    // Any UTF-8 prefix is escaped with the name; only a reserved one is refused.
    assert!(RenderOptions::new(Format::Prometheus).with_prefix("9lives-").is_ok());
    assert!(RenderOptions::new(Format::Prometheus).with_prefix("__bad").is_err());
}

#[test]
fn render_into_appends_and_reuses_the_buffer() {
    let r = registry();
    let mut buf = b"previous".to_vec();
    r.render_into(&RenderOptions::new(Format::Prometheus), &mut buf);
    assert!(buf.starts_with(b"previous# HELP app_build_info"));
    let cap = buf.capacity();
    buf.clear();
    r.render_into(&RenderOptions::new(Format::Prometheus), &mut buf);
    assert_eq!(buf.capacity(), cap, "a second render of the same size reuses the buffer");
}

#[test]
fn an_info_has_one_name_in_every_format() {
    // Declared `runtime` (no `_info`): the sample is `app_runtime_info` in every format, so what
    // curl shows is what Prometheus stores; OpenMetrics names the family `app_runtime`.
    let r = registry();
    let sample = "app_runtime_info{rust=\"1.90\"} 1\n";
    let prom = r.render(Format::Prometheus);
    assert!(prom.contains("# TYPE app_runtime_info gauge\n") && prom.contains(sample), "{prom}");
    let om = r.render(Format::OpenMetrics);
    assert!(om.contains("# TYPE app_runtime info\n") && om.contains(sample), "{om}");
    let json: serde_json::Value = serde_json::from_str(&r.render(Format::Json)).unwrap_or_default();
    assert!(json.get("app_runtime_info").is_some() && json.get("app_runtime").is_none(), "{json}");
    let catalog = metrics_core::Catalog::of::<All>();
    assert!(catalog.metrics.iter().any(|m| m.name == "app_runtime_info"), "{catalog:?}");
}
