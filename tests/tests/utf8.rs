//! UTF-8 metric and label names end to end: a registry of OpenTelemetry-style dotted names
//! served over HTTP under every escaping scheme, read back by the UTF-8-aware Python parsers
//! (prometheus-client 0.26), by the legacy ones (0.21, promtool), and scraped by a real
//! Prometheus 2.42, which stores the `underscores` spelling; protobuf negotiated with each
//! scheme and decoded by prost; `?prefix=` with a dotted prefix under every scheme.

use std::net::SocketAddr;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::{Arc, LazyLock};
use std::time::{Duration, Instant};

use metrics_core::{Counter, Family, Gauge, Histogram, LabelSet, Metrics, Registry};
use metrics_http::{Exporter, ExporterConfig, Server, ServerHandle};
use metrics_tests::pb::decode;
use metrics_tests::{get, python, python_on_text, python_utf8, query, request, start_prometheus, tool, value_of};

#[derive(LabelSet)]
struct Request {
    #[label(rename = "http.request.method")]
    method: &'static str,
    #[label(rename = "http.response.status_code")]
    status: u16,
}

#[derive(LabelSet)]
struct Rpc {
    #[label(rename = "rpc.method")]
    method: &'static str,
}

#[derive(Metrics)]
struct Otel {
    /// Requests served.
    #[metric(name = "http.server.requests")]
    requests: Family<Request, Counter>,
    /// Time to serve an RPC.
    #[metric(name = "rpc.server.duration", unit = "seconds", buckets = [0.1, 1.0])]
    duration: Family<Rpc, Histogram>,
    /// A name with a quote, a backslash and non-ASCII letters.
    #[metric(name = "größe.\"q\"\\x")]
    size: Gauge,
    /// A legacy name beside the others.
    jobs_running: Gauge,
}

static METRICS: LazyLock<Otel> = LazyLock::new(|| {
    let m = Otel::default();
    m.requests.with(&Request { method: "GET", status: 200 }, |c| c.inc_by(3));
    m.duration.with(&Rpc { method: "Get" }, |h| h.observe(0.5));
    m.size.set(7);
    m.jobs_running.set(2);
    m
});

/// Prometheus 3's default `Accept`.
const PROM3: &str = "application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.5,application/openmetrics-text;version=0.0.1;q=0.4,text/plain;version=1.0.0;escaping=allow-utf-8;q=0.3,text/plain;version=0.0.4;q=0.2,*/*;q=0.1";
const TEXT_UTF8: &str = "text/plain;version=1.0.0;escaping=allow-utf-8";

fn serve(config: &ExporterConfig) -> ServerHandle {
    let registry = Arc::new(Registry::new());
    registry.register(&METRICS).unwrap_or_else(|e| panic!("{e}"));
    let exporter = Exporter::builder(registry).config(config).build().unwrap_or_else(|e| panic!("{e}"));
    Server::spawn_thread(Server::builder(exporter).listen(SocketAddr::from(([127, 0, 0, 1], 0))))
        .unwrap_or_else(|e| panic!("{e}"))
}

fn scrape(s: &ServerHandle, path: &str, accept: Option<&str>) -> (String, String) {
    let url = format!("http://{}{path}", s.local_addr());
    let headers: Vec<(&str, &str)> = accept.map(|a| ("accept", a)).into_iter().collect();
    let r = request("GET", &url, &headers);
    assert_eq!(r.status, 200, "{path} {accept:?}: {}", r.body);
    (r.header("content-type").unwrap_or_default().to_owned(), r.body)
}

#[test]
fn every_scheme_over_http() {
    let s = serve(&ExporterConfig::default());
    let has = |body: &str, line: &str| assert!(body.contains(&format!("\n{line}\n")), "no `{line}` in\n{body}");

    let (ct, body) = scrape(&s, "/metrics", Some(PROM3));
    assert_eq!(ct, "application/openmetrics-text; version=1.0.0; charset=utf-8; escaping=allow-utf-8");
    assert!(body.starts_with("# TYPE \"http.server.requests\" counter\n"), "{body}");
    has(&body, r#"{"http.server.requests_total","http.request.method"="GET","http.response.status_code"="200"} 3"#);
    has(&body, r#"{"rpc.server.duration_seconds_bucket","rpc.method"="Get",le="1.0"} 1"#);
    has(&body, r#"{"größe.\"q\"\\x"} 7"#);
    has(&body, "jobs_running 2");
    assert!(body.ends_with("# EOF\n"));

    let (ct, body) = scrape(&s, "/metrics", Some(TEXT_UTF8));
    assert_eq!(ct, "text/plain; version=1.0.0; charset=utf-8; escaping=allow-utf-8");
    has(&body, r#"# TYPE "http.server.requests_total" counter"#);
    has(&body, r#"{"http.server.requests_total","http.request.method"="GET","http.response.status_code"="200"} 3"#);

    for accept in [None, Some("text/plain;version=0.0.4;escaping=allow-utf-8"), Some("*/*")] {
        let (ct, body) = scrape(&s, "/metrics", accept);
        assert_eq!(ct, "text/plain; version=0.0.4; charset=utf-8; escaping=underscores", "{accept:?}");
        has(&body, "http_server_requests_total{http_request_method=\"GET\",http_response_status_code=\"200\"} 3");
        has(&body, "rpc_server_duration_seconds_bucket{rpc_method=\"Get\",le=\"1\"} 1");
        has(&body, "gr__e__q__x 7");
        assert!(!body.contains("{\""), "{body}");
    }

    let (ct, body) = scrape(&s, "/metrics", Some("text/plain;version=1.0.0;escaping=dots"));
    assert_eq!(ct, "text/plain; version=0.0.4; charset=utf-8; escaping=dots");
    has(
        &body,
        "http_dot_server_dot_requests__total{http_dot_request_dot_method=\"GET\",http_dot_response_dot_status__code=\"200\"} 3",
    );
    has(&body, "jobs__running 2");

    // The prefix first, then the escaping of the whole name.
    let (ct, body) = scrape(&s, "/metrics?prefix=app_", Some("text/plain;version=1.0.0;escaping=values"));
    assert_eq!(ct, "text/plain; version=0.0.4; charset=utf-8; escaping=values");
    has(
        &body,
        "U__app__http_2e_server_2e_requests__total{U__http_2e_request_2e_method=\"GET\",U__http_2e_response_2e_status__code=\"200\"} 3",
    );
    has(&body, "app_jobs_running 2");
    let (_, body) = scrape(&s, "/metrics?prefix=app_", Some(PROM3));
    has(&body, r#"{"app_http.server.requests_total","http.request.method"="GET","http.response.status_code"="200"} 3"#);

    // JSON keeps names as declared.
    let (ct, body) = scrape(&s, "/metrics.json", Some(PROM3));
    assert_eq!(ct, "application/json");
    let v: serde_json::Value = serde_json::from_str(&body).unwrap_or_else(|e| panic!("{e}: {body}"));
    let series = &v["http.server.requests_total"]["value"][0];
    assert_eq!(series["http.request.method"], "GET", "{body}");
    assert_eq!(series["@"], 3.0, "{body}");
}

#[test]
fn legacy_names_force_underscores_whatever_the_scraper_asks() {
    let config: ExporterConfig = toml::from_str("legacy-names = true").unwrap_or_else(|e| panic!("{e}"));
    let s = serve(&config);
    let (ct, body) = scrape(&s, "/metrics", Some(PROM3));
    assert_eq!(ct, "application/openmetrics-text; version=1.0.0; charset=utf-8; escaping=underscores");
    assert!(
        body.contains(
            "\nhttp_server_requests_total{http_request_method=\"GET\",http_response_status_code=\"200\"} 3\n"
        ),
        "{body}"
    );
    for accept in [TEXT_UTF8, "text/plain;version=1.0.0;escaping=dots", "text/plain;version=1.0.0;escaping=values"] {
        let (ct, body) = scrape(&s, "/metrics", Some(accept));
        assert_eq!(ct, "text/plain; version=0.0.4; charset=utf-8; escaping=underscores", "{accept}");
        assert!(body.contains("\nhttp_server_requests_total{http_request_method=\"GET\""), "{body}");
    }
    let (_, body) = scrape(&s, "/metrics.json", None);
    assert!(body.contains("\"http.server.requests_total\""), "{body}");
}

/// What a Python client's parser read from `text`.
fn dump(py: &Path, kind: &str, text: &str) -> Vec<serde_json::Value> {
    serde_json::from_slice(&python_on_text(py, "dump_families.py", kind, text)).unwrap_or_else(|e| panic!("{e}"))
}

/// `(family, sample name, labels, value)` of the first sample of the family named `family`.
fn first_sample(families: &[serde_json::Value], family: &str) -> (String, serde_json::Value, f64) {
    let f = families.iter().find(|f| f["name"] == family).unwrap_or_else(|| panic!("no family {family}: {families:?}"));
    let s = &f["samples"][0];
    (s[0].as_str().unwrap_or_default().to_owned(), s[1].clone(), s[2].as_f64().unwrap_or(f64::NAN))
}

#[test]
fn utf8_parsers_read_back_quoted_names() {
    let py = python_utf8();
    let s = serve(&ExporterConfig::default());
    for (kind, accept) in [("om", PROM3), ("prom", TEXT_UTF8)] {
        let (_, body) = scrape(&s, "/metrics", Some(accept));
        let families = dump(&py, kind, &body);
        let (name, labels, value) = first_sample(&families, "http.server.requests");
        assert_eq!(name, "http.server.requests_total", "{kind}");
        assert_eq!(labels, serde_json::json!({"http.request.method": "GET", "http.response.status_code": "200"}));
        assert_eq!(value, 3.0);
        let (name, labels, _) = first_sample(&families, "rpc.server.duration_seconds");
        assert_eq!(name, "rpc.server.duration_seconds_bucket", "{kind}");
        assert_eq!(labels["rpc.method"], "Get");
        let (name, _, value) = first_sample(&families, "größe.\"q\"\\x");
        assert_eq!((name.as_str(), value), ("größe.\"q\"\\x", 7.0), "{kind}");
        let (_, _, value) = first_sample(&families, "jobs_running");
        assert_eq!(value, 2.0);
        let help = families.iter().find(|f| f["name"] == "http.server.requests").map(|f| f["help"].clone());
        assert_eq!(help, Some(serde_json::json!("Requests served.")));
    }
}

#[test]
fn legacy_parsers_read_escaped_names() {
    let py = python();
    let s = serve(&ExporterConfig::default());
    // `dots` and `values` escape the suffixes too (`__total`, `__bucket`), as the scheme
    // says of the full exposed name: a legacy parser reads their samples, if not always as one
    // family with the metadata.
    for (kind, accept, sample, label) in [
        ("prom", None, "http_server_requests_total", "http_request_method"),
        (
            "prom",
            Some("text/plain;version=1.0.0;escaping=dots"),
            "http_dot_server_dot_requests__total",
            "http_dot_request_dot_method",
        ),
        (
            "prom",
            Some("text/plain;version=1.0.0;escaping=values"),
            "U__http_2e_server_2e_requests__total",
            "U__http_2e_request_2e_method",
        ),
        ("om", Some("application/openmetrics-text;version=1.0.0"), "http_server_requests_total", "http_request_method"),
    ] {
        let (_, body) = scrape(&s, "/metrics", accept);
        let families = dump(&py, kind, &body);
        let found = families
            .iter()
            .flat_map(|f| f["samples"].as_array().cloned().unwrap_or_default())
            .find(|s| s[0] == sample)
            .unwrap_or_else(|| panic!("no sample {sample} ({accept:?}): {families:?}"));
        assert_eq!((&found[1][label], found[2].as_f64()), (&serde_json::json!("GET"), Some(3.0)), "{accept:?}");
    }
    // promtool parses the escaped forms; its lint has nothing to say about the `underscores`
    // ones, and of the others only that the escaped `__bucket`, `__sum` and `__count` samples
    // (no longer `_bucket`, ... of the family) have no help text.
    let promtool = tool("promtool", "apt-get install prometheus");
    for accept in
        [None, Some("text/plain;version=1.0.0;escaping=dots"), Some("text/plain;version=1.0.0;escaping=values")]
    {
        let (_, body) = scrape(&s, "/metrics", accept);
        let mut child = Command::new(&promtool)
            .args(["check", "metrics"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("{e}"));
        if let Some(mut stdin) = child.stdin.take() {
            std::io::Write::write_all(&mut stdin, body.as_bytes()).unwrap_or_else(|e| panic!("{e}"));
        }
        let out = child.wait_with_output().unwrap_or_else(|e| panic!("{e}"));
        let said = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        if accept.is_none() {
            assert!(out.status.success(), "promtool on {accept:?}: {said}\n{body}");
        } else {
            let other: Vec<&str> = said.lines().filter(|l| !l.ends_with(" no help text")).collect();
            assert!(other.is_empty(), "promtool on {accept:?}: {other:?}\n{body}");
        }
    }
}

#[test]
fn prometheus_2_stores_the_underscores_spelling() {
    let s = serve(&ExporterConfig::default());
    let config = format!(
        "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\nscrape_configs:\n  - job_name: otel\n    static_configs: [{{targets: [\"{}\"]}}]\n",
        s.local_addr()
    );
    let (_server, web, tmp) = start_prometheus("utf8", &config, &[]);
    let q = "http_server_requests_total{job=\"otel\",http_request_method=\"GET\",http_response_status_code=\"200\"}";
    let start = Instant::now();
    let mut got = None;
    while start.elapsed() < Duration::from_secs(60) && got.is_none() {
        std::thread::sleep(Duration::from_millis(500));
        got = value_of(&query(&web, q));
    }
    let log = std::fs::read_to_string(tmp.join("prometheus.log")).unwrap_or_default();
    assert_eq!(got, Some(3.0), "{q}: {:?}\n{log}", query(&web, "up"));
    assert_eq!(value_of(&query(&web, "rpc_server_duration_seconds_count{rpc_method=\"Get\"}")), Some(1.0));
    assert_eq!(value_of(&query(&web, "gr__e__q__x")), Some(7.0));
    assert_eq!(value_of(&query(&web, "jobs_running")), Some(2.0));
    // Prometheus 2 asks for no scheme: what it scraped was the `underscores` spelling.
    let targets = get(&format!("http://{web}/api/v1/targets")).body;
    assert!(targets.contains("\"health\":\"up\""), "{targets}");
    drop(_server);
    let _ = std::fs::remove_dir_all(&tmp);
}

/// The protobuf `Accept` of a Prometheus with native histograms on, without the escaping
/// parameter (Prometheus 2, and Prometheus 3 from 3.1 on).
const PROTO: &str = "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited";

#[test]
fn protobuf_negotiates_every_scheme() {
    let s = serve(&ExporterConfig::default());
    let url = format!("http://{}/metrics", s.local_addr());
    // `(escaping=, family of the requests, its first label, the gauge, the histogram, the legacy gauge)`.
    let cases = [
        (
            None,
            "http_server_requests_total",
            "http_request_method",
            "gr__e__q__x",
            "rpc_server_duration_seconds",
            "jobs_running",
        ),
        (
            Some("allow-utf-8"),
            "http.server.requests_total",
            "http.request.method",
            "größe.\"q\"\\x",
            "rpc.server.duration_seconds",
            "jobs_running",
        ),
        (
            Some("underscores"),
            "http_server_requests_total",
            "http_request_method",
            "gr__e__q__x",
            "rpc_server_duration_seconds",
            "jobs_running",
        ),
        (
            Some("dots"),
            "http_dot_server_dot_requests__total",
            "http_dot_request_dot_method",
            "gr__e_dot__q__x",
            "rpc_dot_server_dot_duration__seconds",
            "jobs__running",
        ),
        (
            Some("values"),
            "U__http_2e_server_2e_requests__total",
            "U__http_2e_request_2e_method",
            "U__gr_f6__df_e_2e__22_q_22__5c_x",
            "U__rpc_2e_server_2e_duration__seconds",
            "jobs_running",
        ),
    ];
    for (scheme, requests, method, size, duration, jobs) in cases {
        // As Prometheus 3.0 asks (every range with the scheme), and with protobuf alone.
        let with = |r: &str| scheme.map_or(r.to_owned(), |e| format!("{r};escaping={e}"));
        for accept in [
            format!("{};q=0.5,{};q=0.4,*/*;q=0.1", with(PROTO), with("application/openmetrics-text;version=1.0.0")),
            with(PROTO),
        ] {
            let r = request("GET", &url, &[("accept", &accept)]);
            assert_eq!(r.status, 200, "{accept}");
            let want = format!("{PROTO_CT}; escaping={}", scheme.unwrap_or("underscores"));
            assert_eq!(r.header("content-type"), Some(want.as_str()), "{accept}");
            let families = decode(&r.raw);
            let family = |name: &str| {
                families.iter().find(|f| f.name == name).unwrap_or_else(|| {
                    panic!("{accept}: no family {name:?} in {:?}", families.iter().map(|f| &f.name).collect::<Vec<_>>())
                })
            };
            let f = family(requests);
            assert_eq!(f.help, "Requests served.");
            let m = &f.metric[0];
            assert_eq!(m.label[0].name, method, "{accept}");
            assert_eq!(m.label[0].value, "GET");
            assert_eq!(m.counter.as_ref().map(|c| c.value), Some(3.0));
            assert_eq!(family(size).metric[0].gauge.as_ref().map(|g| g.value), Some(7.0), "{accept}");
            assert_eq!(family(duration).metric[0].histogram.as_ref().map(|h| h.sample_count), Some(1), "{accept}");
            assert_eq!(family(jobs).metric[0].gauge.as_ref().map(|g| g.value), Some(2.0), "{accept}");
            // No name but under `allow-utf-8` is outside the legacy set.
            if scheme != Some("allow-utf-8") {
                for f in &families {
                    assert!(metrics_core::name::is_valid_metric_name(&f.name), "{accept}: {:?}", f.name);
                    for l in f.metric.iter().flat_map(|m| &m.label) {
                        assert!(metrics_core::name::is_valid_label_name(&l.name), "{accept}: {:?}", l.name);
                    }
                }
            }
        }
    }
    // `legacy-names` forces `underscores` on protobuf too.
    let config: ExporterConfig = toml::from_str("legacy-names = true").unwrap_or_else(|e| panic!("{e}"));
    let legacy = serve(&config);
    let accept = format!("{PROTO};escaping=allow-utf-8");
    let r = request("GET", &format!("http://{}/metrics", legacy.local_addr()), &[("accept", &accept)]);
    assert_eq!(r.header("content-type"), Some(format!("{PROTO_CT}; escaping=underscores").as_str()));
    assert!(decode(&r.raw).iter().any(|f| f.name == "http_server_requests_total"));
}

/// The protobuf `Content-Type` before its `escaping` parameter.
const PROTO_CT: &str = "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited";

#[test]
fn a_dotted_prefix_goes_first_then_every_scheme_escapes() {
    let s = serve(&ExporterConfig::default());
    let url = format!("http://{}/metrics?prefix=otel.", s.local_addr());
    let has = |body: &str, line: &str| assert!(body.contains(&format!("\n{line}\n")), "no `{line}` in\n{body}");
    let text = |accept: &str| {
        let r = request("GET", &url, &[("accept", accept)]);
        assert_eq!(r.status, 200, "{accept}: {}", r.body);
        r.body
    };
    let body = text(PROM3);
    has(
        &body,
        r#"{"otel.http.server.requests_total","http.request.method"="GET","http.response.status_code"="200"} 3"#,
    );
    has(&body, r#"{"otel.jobs_running"} 2"#);
    assert!(body.starts_with("# TYPE \"otel.http.server.requests\" counter\n"), "{body}");
    let body = text(TEXT_UTF8);
    has(&body, r#"# TYPE "otel.http.server.requests_total" counter"#);
    has(&body, r#"{"otel.rpc.server.duration_seconds_bucket","rpc.method"="Get",le="1"} 1"#);
    for (accept, requests, jobs) in [
        ("text/plain;version=0.0.4", "otel_http_server_requests_total{http_request_method", "otel_jobs_running 2"),
        (
            "text/plain;version=1.0.0;escaping=dots",
            "otel_dot_http_dot_server_dot_requests__total{http_dot_request_dot_method",
            "otel_dot_jobs__running 2",
        ),
        (
            "text/plain;version=1.0.0;escaping=values",
            "U__otel_2e_http_2e_server_2e_requests__total{U__http_2e_request_2e_method",
            "U__otel_2e_jobs__running 2",
        ),
        (
            "application/openmetrics-text;version=1.0.0;escaping=dots",
            "otel_dot_http_dot_server_dot_requests__total{http_dot_request_dot_method",
            "otel_dot_jobs__running 2",
        ),
    ] {
        let body = text(accept);
        assert!(body.contains(&format!("\n{requests}=\"GET\"")), "{accept}: no {requests}\n{body}");
        has(&body, jobs);
        assert!(!body.contains("{\""), "{accept}: quoted\n{body}");
    }
    // Protobuf: the same spellings.
    for (scheme, requests) in [
        ("allow-utf-8", "otel.http.server.requests_total"),
        ("underscores", "otel_http_server_requests_total"),
        ("dots", "otel_dot_http_dot_server_dot_requests__total"),
        ("values", "U__otel_2e_http_2e_server_2e_requests__total"),
    ] {
        let accept = format!("{PROTO};escaping={scheme}");
        let r = request("GET", &url, &[("accept", &accept)]);
        let names: Vec<String> = decode(&r.raw).into_iter().map(|f| f.name).collect();
        assert!(names.iter().any(|n| n == requests), "{scheme}: {names:?}");
        assert!(
            names.iter().all(|n| n.starts_with(if scheme == "values" { "U__otel_2e_" } else { "otel" })),
            "{scheme}: {names:?}"
        );
    }
    // A prefix that makes every name reserved is refused, with the reason.
    for bad in ["__", "__otel.", "__x"] {
        let r = request("GET", &format!("http://{}/metrics?prefix={bad}", s.local_addr()), &[("accept", PROM3)]);
        assert_eq!(r.status, 400, "{bad}");
        assert!(r.body.contains("names starting with `__` are reserved"), "{bad}: {}", r.body);
    }
}

/// One metric a struct, so that the derive cannot see two of them at once: only the registry
/// stands between these names and an exposition with two families of one name.
mod one_each {
    use metrics_core::{Counter, Gauge, Histogram, Metrics};

    macro_rules! one {
        ($ty:ident, $name:literal, $kind:ty) => {
            #[derive(Metrics)]
            pub(crate) struct $ty {
                /// One metric.
                #[metric(name = $name)]
                pub(crate) m: $kind,
            }
        };
    }
    one!(Dotted, "a.b", Gauge);
    one!(DotSpelled, "a-dot-b", Gauge);
    one!(ValuesSpelled, "U__a_2e_b", Gauge);
    one!(LegacyDot, "a_dot_b", Gauge);
    one!(DoubleUnderscore, "a__b", Gauge);
    one!(Latency, "x.y", Histogram);
    one!(LatencyCount, "x-dot-y_count", Gauge);
    one!(Requests, "c.d", Counter);
    one!(RequestsTotal, "U__c_2e_d__total", Gauge);
}

/// Names distinct as written and for legacy scrapers that `dots` or `values` spell alike
/// (`a.b` and `a-dot-b` are both `a_dot_b` under `dots`; `a.b` is `U__a_2e_b` under `values`):
/// the registry refuses the later one, naming both and the scheme, so that no scheme and no
/// format ever exposes two families of one name, or one sample name in two families.
#[test]
fn no_scheme_exposes_two_families_of_one_name() {
    use metrics_core::{Escaping, Format, RenderOptions};
    use one_each::*;
    static DOTTED: LazyLock<Dotted> = LazyLock::new(Dotted::default);
    static DOT_SPELLED: LazyLock<DotSpelled> = LazyLock::new(DotSpelled::default);
    static VALUES_SPELLED: LazyLock<ValuesSpelled> = LazyLock::new(ValuesSpelled::default);
    static LEGACY_DOT: LazyLock<LegacyDot> = LazyLock::new(LegacyDot::default);
    static DOUBLE: LazyLock<DoubleUnderscore> = LazyLock::new(DoubleUnderscore::default);
    static LATENCY: LazyLock<Latency> = LazyLock::new(Latency::default);
    static LATENCY_COUNT: LazyLock<LatencyCount> = LazyLock::new(LatencyCount::default);
    static REQUESTS: LazyLock<Requests> = LazyLock::new(Requests::default);
    static REQUESTS_TOTAL: LazyLock<RequestsTotal> = LazyLock::new(RequestsTotal::default);
    let registry = Registry::new();
    let outcomes = [
        registry.register(&DOTTED),
        registry.register(&DOT_SPELLED),
        registry.register(&VALUES_SPELLED),
        registry.register(&LEGACY_DOT),
        registry.register(&DOUBLE),
        registry.register(&LATENCY),
        registry.register(&LATENCY_COUNT),
        registry.register(&REQUESTS),
        registry.register(&REQUESTS_TOTAL),
    ];
    // `(refused, the name it meets, the scheme, their spelling)`.
    let refused: Vec<(&str, &str, Escaping, &str)> = outcomes
        .iter()
        .filter_map(|o| o.as_ref().err())
        .filter_map(|e| {
            e.clash
                .as_ref()
                .map(|(scheme, spelling)| (e.name.as_str(), e.first_name.as_str(), *scheme, spelling.as_str()))
        })
        .collect();
    assert_eq!(
        refused,
        [
            ("a-dot-b", "a.b", Escaping::Dots, "a_dot_b"),
            ("U__a_2e_b", "a.b", Escaping::Values, "U__a_2e_b"),
            ("x-dot-y_count", "x.y", Escaping::Dots, "x_dot_y__count"),
            ("U__c_2e_d__total", "c.d_total", Escaping::Values, "U__c_2e_d__total"),
        ]
    );
    assert_eq!(outcomes.iter().filter(|o| o.is_err()).count(), 4, "every refusal names a scheme");
    let err = outcomes[1].as_ref().err().map(ToString::to_string).unwrap_or_default();
    assert!(
        err.starts_with("metric `a-dot-b` (declared at ")
            && err.contains(") and metric `a.b` (declared at ")
            && err.ends_with(
                ") both take the name `a_dot_b` for scrapers that ask for `escaping=dots`: rename one of them"
            ),
        "{err}"
    );
    for format in [Format::Prometheus, Format::OpenMetrics] {
        for scheme in [Escaping::Underscores, Escaping::Dots, Escaping::Values] {
            let mut out = Vec::new();
            registry.render_into(&RenderOptions::new(format).with_escaping(scheme), &mut out);
            let text = String::from_utf8(out).unwrap_or_default();
            // Every family once, and every sample name in one family only.
            let mut families = std::collections::HashSet::new();
            let mut owner: std::collections::HashMap<&str, &str> = std::collections::HashMap::new();
            let mut family = "";
            for line in text.lines() {
                if let Some(rest) = line.strip_prefix("# TYPE ") {
                    family = rest.split(' ').next().unwrap_or_default();
                    assert!(families.insert(family), "{format:?} {scheme:?}: `{family}` twice\n{text}");
                } else if !line.starts_with('#') {
                    let sample = line.split([' ', '{']).next().unwrap_or_default();
                    let first = *owner.entry(sample).or_insert(family);
                    assert_eq!(first, family, "{format:?} {scheme:?}: `{sample}` in two families\n{text}");
                }
            }
            // The five families registered, all there.
            assert_eq!(families.len(), 5, "{format:?} {scheme:?}\n{text}");
        }
    }
}
