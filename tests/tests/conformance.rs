//! Every output judged by independent, real clients: `promtool check metrics`, the Python
//! reference client's parsers (with a property test of hostile inputs), a strict JSON parser,
//! and a real Prometheus server scraping the examples. A missing tool fails the test with the
//! command that installs it (`.ci/run` installs them all).

use std::collections::BTreeSet;
use std::io::Write;
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use metrics_core::encoding::{JsonEncoder, OpenMetricsEncoder, PrometheusEncoder};
use metrics_core::{Counter, Descriptor, Encoder, Family, FloatGauge, Format, LabelDescriptor, LabelSet, MetricKind};
use metrics_tests::{dir, get, python, request, tool};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, TestRunner};

const OM_ACCEPT: &str = "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5";

fn local() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 0))
}

/// The promtool lint findings accepted, each with its reason. Anything else fails.
const ACCEPTED_KUMO_FINDINGS: &[(&str, &str)] = &[
    ("connection_count non-histogram and non-summary metrics should not have \"_count\" suffix", "KumoMTA's own name"),
    ("lua_count non-histogram and non-summary metrics should not have \"_count\" suffix", "KumoMTA's own name"),
    ("lua_load_count counter metrics should have \"_total\" suffix", "KumoMTA's counter name, kept with legacy_name"),
    ("lua_load_count non-histogram and non-summary metrics should not have \"_count\" suffix", "KumoMTA's own name"),
    ("lua_spare_count non-histogram and non-summary metrics should not have \"_count\" suffix", "KumoMTA's own name"),
    ("message_count non-histogram and non-summary metrics should not have \"_count\" suffix", "KumoMTA's own name"),
    (
        "message_data_resident_count non-histogram and non-summary metrics should not have \"_count\" suffix",
        "KumoMTA's own name",
    ),
    (
        "message_meta_resident_count non-histogram and non-summary metrics should not have \"_count\" suffix",
        "KumoMTA's own name",
    ),
    ("ready_count non-histogram and non-summary metrics should not have \"_count\" suffix", "KumoMTA's own name"),
    ("scheduled_count non-histogram and non-summary metrics should not have \"_count\" suffix", "KumoMTA's own name"),
    (
        "total_connection_count counter metrics should have \"_total\" suffix",
        "KumoMTA's counter name, kept with legacy_name",
    ),
    (
        "total_connection_count non-histogram and non-summary metrics should not have \"_count\" suffix",
        "KumoMTA's own name",
    ),
    (
        "total_messages_delivered counter metrics should have \"_total\" suffix",
        "KumoMTA's counter name, kept with legacy_name",
    ),
    (
        "total_messages_fail counter metrics should have \"_total\" suffix",
        "KumoMTA's counter name, kept with legacy_name",
    ),
    (
        "total_messages_transfail counter metrics should have \"_total\" suffix",
        "KumoMTA's counter name, kept with legacy_name",
    ),
];

/// `promtool check metrics` on `text`: (exit code, findings).
fn promtool(text: &str) -> (i32, BTreeSet<String>) {
    let promtool = tool("promtool", "apt-get install prometheus");
    let mut child = Command::new(promtool)
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("promtool: {e}"));
    child.stdin.take().map(|mut s| s.write_all(text.as_bytes()));
    let out = child.wait_with_output().unwrap_or_else(|e| panic!("promtool: {e}"));
    let all = String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out.status.code().unwrap_or(-1), all.lines().filter(|l| !l.trim().is_empty()).map(str::to_owned).collect())
}

/// Parses `text` with the Python client's `prom` or `om` parser.
fn python_parse(kind: &str, text: &str) {
    let py = python();
    let path = std::env::temp_dir().join(format!("conformance-{}-{kind}-{}.txt", std::process::id(), text.len()));
    std::fs::write(&path, text).unwrap_or_else(|e| panic!("{e}"));
    let out = Command::new(py)
        .arg(dir().join("python/parse_file.py"))
        .arg(kind)
        .arg(&path)
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    let _ = std::fs::remove_file(&path);
    assert!(
        out.status.success(),
        "the Python {kind} parser rejects our output: {}\n{text}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Each example's outputs: (name, Prometheus text, OpenMetrics text, JSON).
fn example_outputs() -> Vec<(&'static str, String, String, Option<String>)> {
    let mut out = Vec::new();
    let k = examples::kumo::start(local(), vec![], Duration::from_millis(10)).unwrap_or_else(|e| panic!("{e}"));
    std::thread::sleep(Duration::from_millis(50));
    let ku = format!("http://{}", k.local_addr());
    // The kumo example serves Prometheus text only (as KumoMTA); its registry still renders
    // OpenMetrics, which is checked through the same registry.
    let om = metrics_core::Registry::new();
    om.register(&examples::kumo::METRICS).unwrap_or_else(|e| panic!("{e}"));
    out.push((
        "kumo",
        get(&format!("{ku}/metrics")).body,
        om.render(Format::OpenMetrics),
        Some(get(&format!("{ku}/metrics.json")).body),
    ));

    let i = examples::infra::start(local()).unwrap_or_else(|e| panic!("{e}"));
    let iu = format!("http://{}", i.local_addr());
    for p in ["/v1/grants", "/v1/destinations"] {
        get(&format!("{iu}{p}"));
    }
    request("PUT", &format!("{iu}/v1/destinations/4"), &[("content-type", "application/json")]);
    out.push((
        "infra",
        get(&format!("{iu}/metrics")).body,
        request("GET", &format!("{iu}/metrics"), &[("accept", OM_ACCEPT)]).body,
        None,
    ));

    let mut cfg = metrics_http::ExporterConfig { enable: true, ..Default::default() };
    cfg.auth = Some(metrics_http::AuthConfig { username: "u".into(), secret: "p".into() });
    let s = examples::stalwart::start(&cfg, Some(local()))
        .unwrap_or_else(|e| panic!("{e}"))
        .unwrap_or_else(|| panic!("enabled"));
    let su = format!("http://{}/metrics/prometheus", s.local_addr());
    let auth = "Basic dTpw";
    out.push((
        "stalwart",
        request("GET", &su, &[("authorization", auth)]).body,
        request("GET", &su, &[("authorization", auth), ("accept", OM_ACCEPT)]).body,
        None,
    ));
    out
}

#[test]
fn promtool_checks_every_example() {
    let accepted: BTreeSet<String> = ACCEPTED_KUMO_FINDINGS.iter().map(|(f, _)| (*f).to_owned()).collect();
    for (name, text, _, _) in example_outputs() {
        let (code, findings) = promtool(&text);
        assert_ne!(code, 1, "promtool cannot parse the {name} output: {findings:?}");
        match name {
            "kumo" => assert_eq!(findings, accepted, "kumo: promtool findings differ from the accepted list"),
            _ => assert!(code == 0 && findings.is_empty(), "{name}: promtool findings {findings:?}"),
        }
    }
}

#[test]
fn python_parsers_read_every_example() {
    for (name, text, om, json) in example_outputs() {
        assert!(om.ends_with("# EOF\n"), "{name}");
        python_parse("prom", &text);
        python_parse("om", &om);
        if let Some(j) = json {
            let v: serde_json::Value = serde_json::from_str(&j).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert!(v.is_object());
        }
    }
}

/// OpenMetrics rules a strict parser enforces, checked directly on every example's output:
/// `# EOF` last, counters' samples end in `_total`/`_created`, `# UNIT` matches the name's
/// suffix, metadata before samples and in the order TYPE, UNIT, HELP, no family interleaved,
/// `+Inf` bucket equal to `_count`, no carriage return.
#[test]
fn openmetrics_rules() {
    for (name, _, om, _) in example_outputs() {
        assert!(!om.contains('\r'), "{name}");
        let lines: Vec<&str> = om.lines().collect();
        assert_eq!(lines.last(), Some(&"# EOF"), "{name}");
        assert_eq!(lines.iter().filter(|l| **l == "# EOF").count(), 1);
        let mut seen = BTreeSet::new();
        let mut family = String::new();
        let mut kind = String::new();
        let mut meta = Vec::new();
        let mut inf: Option<f64> = None;
        for l in &lines[..lines.len() - 1] {
            if let Some(rest) = l.strip_prefix("# ") {
                let mut parts = rest.splitn(3, ' ');
                let (what, fam) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
                if fam != family {
                    assert!(seen.insert(fam.to_owned()), "{name}: family {fam} interleaved or repeated");
                    family = fam.to_owned();
                    meta.clear();
                }
                meta.push(what.to_owned());
                match what {
                    "TYPE" => kind = parts.next().unwrap_or("").to_owned(),
                    "UNIT" => assert!(fam.ends_with(&format!("_{}", parts.next().unwrap_or(""))), "{name}: {l}"),
                    _ => {}
                }
                let order: Vec<&str> =
                    ["TYPE", "UNIT", "HELP"].into_iter().filter(|m| meta.iter().any(|x| x == m)).collect();
                assert_eq!(meta, order, "{name}: metadata order of {fam}");
                continue;
            }
            let (sample, labels) = metrics_tests::parse_sample(l);
            let value: f64 = l.rsplit(' ').next().and_then(|v| v.parse().ok()).unwrap_or(f64::NAN);
            let suffix = sample
                .strip_prefix(&family)
                .unwrap_or_else(|| panic!("{name}: sample {sample} outside family {family}"));
            match kind.as_str() {
                "counter" => assert!(suffix == "_total" || suffix == "_created", "{name}: {l}"),
                "gauge" => assert_eq!(suffix, "", "{name}: {l}"),
                "info" => assert_eq!(suffix, "_info", "{name}: {l}"),
                "histogram" => {
                    assert!(["_bucket", "_count", "_sum", "_created"].contains(&suffix), "{name}: {l}");
                    if suffix == "_bucket" && labels.iter().any(|(k, v)| k == "le" && v == "+Inf") {
                        inf = Some(value);
                    }
                    if suffix == "_count" {
                        assert_eq!(inf.take(), Some(value), "{name}: +Inf bucket and _count differ at {l}");
                    }
                }
                "summary" => assert!(["", "_count", "_sum", "_created"].contains(&suffix), "{name}: {l}"),
                other => panic!("{name}: unexpected type {other}"),
            }
            if kind == "counter" || suffix == "_bucket" {
                assert!(value >= 0.0 || value.is_nan(), "{name}: negative {l}");
            }
        }
    }
}

/// Label values and help texts a client could send or write: quotes, backslashes, newlines,
/// carriage returns, tabs, empty strings, non-ASCII, very long values.
fn hostile() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        Just("\\".to_owned()),
        Just("\"".to_owned()),
        Just("\n".to_owned()),
        Just("a\\\"b\\n\nc".to_owned()),
        "[a-z\\\\\"\n\r\t ,={}#]{0,12}",
        "\\PC{0,16}",
        "[\\u{80}-\\u{10FFFF}]{1,8}",
        "x{500,2000}",
    ]
}

fn special() -> impl Strategy<Value = f64> {
    prop_oneof![
        Just(f64::NAN),
        Just(f64::INFINITY),
        Just(f64::NEG_INFINITY),
        Just(-0.0),
        Just(0.0),
        Just(5e-324),
        Just(2.2250738585072014e-308 / 3.0),
        Just(f64::MAX),
        Just(1e21),
        Just(0.1),
        any::<f64>(),
    ]
}

#[derive(LabelSet)]
struct Two {
    a: String,
    b: String,
}

#[derive(LabelSet)]
struct One {
    a: String,
}

fn leak(s: String) -> &'static str {
    Box::leak(s.into_boxed_str())
}

fn float_repr(v: f64) -> String {
    if v.is_nan() {
        "NaN".into()
    } else if v.is_infinite() {
        if v > 0.0 { "+Inf".into() } else { "-Inf".into() }
    } else if v == 0.0 && v.is_sign_negative() {
        "-0.0".into()
    } else {
        format!("{v:e}")
    }
}

/// One generated case: two families with hostile help and labels, written in every format.
fn case(help: String, series: Vec<(String, String, f64)>, counts: Vec<(String, u64)>) -> serde_json::Value {
    static TWO: &[LabelDescriptor] = &[LabelDescriptor::new("a"), LabelDescriptor::new("b")];
    static ONE: &[LabelDescriptor] = &[LabelDescriptor::new("a")];
    let gauge = Descriptor::new("hostile_gauge", leak(help.clone()), MetricKind::Gauge).with_labels(TWO);
    let counter = Descriptor::new("hostile_events", leak(help.clone()), MetricKind::Counter).with_labels(ONE);
    let g: Family<Two, FloatGauge> = Family::new();
    let c: Family<One, Counter> = Family::new();
    let mut gs = Vec::new();
    let mut seen = BTreeSet::new();
    for (a, b, v) in series {
        if seen.insert((a.clone(), b.clone())) {
            g.get_or_create(&Two { a: a.clone(), b: b.clone() }).set(v);
            gs.push(serde_json::json!([{"a": a, "b": b}, float_repr(v)]));
        }
    }
    let mut cs = Vec::new();
    let mut seen = BTreeSet::new();
    for (a, n) in counts {
        if seen.insert(a.clone()) {
            c.get_or_create(&One { a: a.clone() }).inc_by(n);
            cs.push(serde_json::json!([{"a": a}, n.to_string()]));
        }
    }
    // The two families, written to any encoder.
    fn families<E: Encoder>(
        e: &mut E,
        gauge: &Descriptor,
        g: &Family<Two, FloatGauge>,
        counter: &Descriptor,
        c: &Family<One, Counter>,
    ) {
        e.begin_family(gauge);
        g.encode_series(gauge, e);
        e.end_family(gauge);
        e.begin_family(counter);
        c.encode_series(counter, e);
        e.end_family(counter);
    }
    let mut prom = Vec::new();
    families(&mut PrometheusEncoder::new(&mut prom, ""), &gauge, &g, &counter, &c);
    let mut om = Vec::new();
    {
        let mut e = OpenMetricsEncoder::new(&mut om, "");
        families(&mut e, &gauge, &g, &counter, &c);
        e.finish();
    }
    let mut json = Vec::new();
    {
        let mut e = JsonEncoder::new(&mut json, "");
        families(&mut e, &gauge, &g, &counter, &c);
        e.finish();
    }
    serde_json::json!({
        "prom": String::from_utf8_lossy(&prom),
        "om": String::from_utf8_lossy(&om),
        "json": String::from_utf8_lossy(&json),
        "expect": [
            {"name": "hostile_gauge", "type": "gauge", "help": help, "samples": gs},
            {"name": "hostile_events", "type": "counter", "help": help, "samples": cs},
        ],
    })
}

#[test]
fn property_hostile_inputs_round_trip_through_the_python_parsers() {
    let py = python();
    let mut runner = TestRunner::new(Config { cases: 1, ..Config::default() });
    let strategy = (
        hostile(),
        proptest::collection::vec((hostile(), hostile(), special()), 1..6),
        proptest::collection::vec(
            (hostile(), prop_oneof![Just((1u64 << 53) + 1), Just(u64::MAX), any::<u64>(), Just(0)]),
            1..4,
        ),
    );
    let mut cases = Vec::new();
    for _ in 0..200 {
        let tree = strategy.new_tree(&mut runner).unwrap_or_else(|e| panic!("{e}"));
        let (help, series, counts) = tree.current();
        cases.push(case(help, series, counts));
    }
    // The 2^53+1 counter comes back exactly where the parser keeps integers (OpenMetrics).
    let exact = case("h".into(), vec![("x".into(), "y".into(), 1.0)], vec![("big".into(), (1 << 53) + 1)]);
    assert!(exact["om"].as_str().unwrap_or("").contains("hostile_events_total{a=\"big\"} 9007199254740993\n"));
    cases.push(exact);
    let input = serde_json::to_vec(&cases).unwrap_or_default();
    let mut child = Command::new(py)
        .arg(dir().join("python/check_parsers.py"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{e}"));
    child.stdin.take().map(|mut s| s.write_all(&input));
    let out = child.wait_with_output().unwrap_or_else(|e| panic!("{e}"));
    let report = String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{report}");
    assert!(report.contains("201 cases, 0 failures"), "{report}");
}

/// Stops a child process when dropped, so that nothing outlives a failing test.
struct Reaped(Child);

impl Drop for Reaped {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or_else(|e| panic!("{e}"))
}

fn query(prom: &str, q: &str) -> Vec<serde_json::Value> {
    let url = format!(
        "http://{prom}/api/v1/query?query={}",
        q.replace('{', "%7B").replace('}', "%7D").replace('"', "%22").replace('=', "%3D").replace(' ', "%20")
    );
    let r = get(&url);
    let v: serde_json::Value = serde_json::from_str(&r.body).unwrap_or(serde_json::Value::Null);
    v["data"]["result"].as_array().cloned().unwrap_or_default()
}

fn value_of(results: &[serde_json::Value]) -> Option<f64> {
    results.first().and_then(|r| r["value"][1].as_str()).and_then(|s| s.parse().ok())
}

#[test]
fn a_real_prometheus_scrapes_the_examples() {
    let bin = tool("prometheus", "apt-get install prometheus");
    // Values stay put during the test: one workload step, then an hour's sleep.
    let kumo = examples::kumo::start(local(), vec![], Duration::from_secs(3600)).unwrap_or_else(|e| panic!("{e}"));
    let cfg = metrics_http::ExporterConfig {
        enable: true,
        auth: Some(metrics_http::AuthConfig { username: "prometheus".into(), secret: "password123".into() }),
        ..Default::default()
    };
    let stalwart = examples::stalwart::start(&cfg, Some(local()))
        .unwrap_or_else(|e| panic!("{e}"))
        .unwrap_or_else(|| panic!("enabled"));
    let tmp = std::env::temp_dir().join(format!("prometheus-e2e-{}", std::process::id()));
    std::fs::create_dir_all(tmp.join("data")).unwrap_or_else(|e| panic!("{e}"));
    let config = format!(
        r#"global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: kumo
    static_configs: [{{targets: ["{kumo}"]}}]
  - job_name: kumo_prefixed
    params: {{prefix: ["kumomta_"]}}
    static_configs: [{{targets: ["{kumo}"]}}]
  - job_name: stalwart
    metrics_path: /metrics/prometheus
    basic_auth: {{username: prometheus, password: password123}}
    static_configs: [{{targets: ["{stalwart}"]}}]
  - job_name: stalwart_wrong_password
    metrics_path: /metrics/prometheus
    basic_auth: {{username: prometheus, password: wrong}}
    static_configs: [{{targets: ["{stalwart}"]}}]
"#,
        kumo = kumo.local_addr(),
        stalwart = stalwart.local_addr()
    );
    std::fs::write(tmp.join("prometheus.yml"), config).unwrap_or_else(|e| panic!("{e}"));
    let web = format!("127.0.0.1:{}", free_port());
    let log = std::fs::File::create(tmp.join("prometheus.log")).unwrap_or_else(|e| panic!("{e}"));
    let _server = Reaped(
        Command::new(bin)
            .arg(format!("--config.file={}", tmp.join("prometheus.yml").display()))
            .arg(format!("--storage.tsdb.path={}", tmp.join("data").display()))
            .arg(format!("--web.listen-address={web}"))
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("starting prometheus: {e}")),
    );
    let start = Instant::now();
    let mut ups = Vec::new();
    while start.elapsed() < Duration::from_secs(60) {
        std::thread::sleep(Duration::from_millis(500));
        if std::net::TcpStream::connect(&web).is_err() {
            continue;
        }
        ups = query(&web, "up");
        let up = |job: &str| {
            ups.iter().find(|r| r["metric"]["job"] == job).and_then(|r| r["value"][1].as_str()).map(str::to_owned)
        };
        if ["kumo", "kumo_prefixed", "stalwart"].iter().all(|j| up(j).as_deref() == Some("1"))
            && up("stalwart_wrong_password").is_some()
        {
            break;
        }
    }
    let log = std::fs::read_to_string(tmp.join("prometheus.log")).unwrap_or_default();
    let up = |job: &str| {
        ups.iter().find(|r| r["metric"]["job"] == job).and_then(|r| r["value"][1].as_str()).map(str::to_owned)
    };
    for job in ["kumo", "kumo_prefixed", "stalwart"] {
        assert_eq!(up(job).as_deref(), Some("1"), "up{{job={job}}}: {ups:?}\n{log}");
    }
    assert_eq!(up("stalwart_wrong_password").as_deref(), Some("0"), "a wrong password must fail the scrape: {ups:?}");

    let m = &*examples::kumo::METRICS;
    let svc = |s: &str| examples::kumo::ServiceLabels { service: s.into() };
    let cases = [
        (
            "connection_count{job=\"kumo\",service=\"smtp_client\"}",
            m.connection_count.get_or_create(&svc("smtp_client")).get() as f64,
        ),
        (
            "total_messages_delivered{job=\"kumo\",service=\"smtp_client\"}",
            m.total_messages_delivered.get_or_create(&svc("smtp_client")).get() as f64,
        ),
        ("memory_limit{job=\"kumo\"}", 101_234_377_728.0),
        ("kumomta_lua_count{job=\"kumo_prefixed\"}", 1.0),
        (
            "kumomta_total_messages_delivered{job=\"kumo_prefixed\",service=\"smtp_client\"}",
            m.total_messages_delivered.get_or_create(&svc("smtp_client")).get() as f64,
        ),
        ("smtp_session_duration_seconds_bucket{job=\"stalwart\",le=\"0.5\"}", 1.0),
        ("smtp_session_duration_seconds_count{job=\"stalwart\"}", 1.0),
        ("delivery_attempts_total{job=\"stalwart\",protocol=\"smtp\",outcome=\"delivered\"}", 3.0),
    ];
    for (q, want) in cases {
        assert_eq!(value_of(&query(&web, q)), Some(want), "{q}");
    }
    drop(_server);
    let _ = std::fs::remove_dir_all(&tmp);
}
