//! Exemplars: kept and written in OpenMetrics text (read back by the Python reference parser)
//! and protobuf; too long ones never kept; a bucket's exemplar always in its bucket; NaN.

use std::process::Command;
use std::sync::Arc;

use metrics_core::{
    Buckets, Counter, Family, FloatCounter, Format, Histogram, LabelSet, MAX_EXEMPLAR_CHARS, Metrics, Registry,
    RenderOptions,
};
use metrics_tests::python;

#[derive(LabelSet)]
struct Trace {
    trace_id: String,
}

#[derive(LabelSet)]
struct Two {
    trace_id: String,
    span: u64,
}

#[derive(LabelSet)]
struct Route {
    route: String,
}

#[derive(Metrics)]
struct M {
    /// Requests.
    requests: Family<Route, Counter>,
    /// Jobs.
    jobs: Counter,
    /// CPU time.
    #[metric(unit = "seconds")]
    cpu: FloatCounter,
    /// Bytes sent, per route.
    sent: Family<Route, FloatCounter>,
    /// Latency.
    #[metric(unit = "seconds", buckets = [0.1, 1.0], native)]
    latency: Histogram,
    /// Sizes.
    #[metric(unit = "bytes", buckets = [10.0])]
    size: Family<Route, Histogram>,
}

fn om(r: &Registry) -> String {
    let mut out = Vec::new();
    r.render_into(&RenderOptions::new(Format::OpenMetrics), &mut out);
    String::from_utf8(out).unwrap_or_default()
}

fn setup() -> (Registry, Arc<M>) {
    let m = Arc::new(M::default());
    let r = Registry::new();
    r.register_arc(m.clone()).unwrap_or_else(|e| panic!("{e}"));
    (r, m)
}

/// Every exemplar the Python OpenMetrics parser reads: `sample name|labels|exemplar labels|value`.
fn python_exemplars(text: &str) -> Vec<String> {
    let script = r#"
import sys
from prometheus_client.openmetrics.parser import text_string_to_metric_families
for f in text_string_to_metric_families(sys.stdin.read()):
    for s in f.samples:
        if s.exemplar is not None:
            e = s.exemplar
            assert e.timestamp is not None and float(e.timestamp) > 1.6e9, e
            print(s.name + "|" + ",".join(f"{k}={v}" for k, v in sorted(s.labels.items())) + "|"
                  + ",".join(f"{k}={v}" for k, v in sorted(e.labels.items())) + "|" + repr(float(e.value)))
"#;
    let mut child = Command::new(python())
        .args(["-c", script])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{e}"));
    if let Some(mut stdin) = child.stdin.take() {
        std::io::Write::write_all(&mut stdin, text.as_bytes()).unwrap_or_else(|e| panic!("{e}"));
    }
    let out = child.wait_with_output().unwrap_or_else(|e| panic!("{e}"));
    assert!(
        out.status.success(),
        "the Python parser rejects our exemplars: {}\n{text}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).lines().map(str::to_owned).collect()
}

#[test]
fn python_reads_our_exemplars_back() {
    let (r, m) = setup();
    let id = "4bf92f3577b34da6a3ce929d0e0e4736";
    m.requests.get_or_create(&Route { route: "/a".into() }).inc_with_exemplar(&Trace { trace_id: id.into() });
    m.requests.get_or_create(&Route { route: "/b".into() }).inc();
    m.jobs.inc_by_with_exemplar(5, &Two { trace_id: "q\"uo\\te".into(), span: 7 });
    assert!(m.cpu.inc_by_with_exemplar(0.125, &Trace { trace_id: "cpu".into() }));
    m.sent.get_or_create(&Route { route: "/a".into() }).inc_with_exemplar(&Two { trace_id: "s".into(), span: 2 });
    m.latency.observe_with_exemplar(0.05, &Trace { trace_id: "fast".into() });
    m.latency.observe_with_exemplar(0.5, &Trace { trace_id: "mid".into() });
    m.latency.observe_with_exemplar(5.0, &Trace { trace_id: "slow".into() });
    m.size.get_or_create(&Route { route: "/a".into() }).observe_with_exemplar(3.0, &Trace { trace_id: "s".into() });
    let text = om(&r);
    let mut got = python_exemplars(&text);
    got.sort();
    let mut want = vec![
        format!("requests_total|route=/a|trace_id={id}|1.0"),
        "jobs_total||span=7,trace_id=q\"uo\\te|5.0".to_owned(),
        "cpu_seconds_total||trace_id=cpu|0.125".to_owned(),
        "sent_total|route=/a|span=2,trace_id=s|1.0".to_owned(),
        "latency_seconds_bucket|le=0.1|trace_id=fast|0.05".to_owned(),
        "latency_seconds_bucket|le=1.0|trace_id=mid|0.5".to_owned(),
        "latency_seconds_bucket|le=+Inf|trace_id=slow|5.0".to_owned(),
        "size_bytes_bucket|le=10.0,route=/a|trace_id=s|3.0".to_owned(),
    ];
    want.sort();
    assert_eq!(got, want, "{text}");
    // Never in Prometheus text 0.0.4.
    assert!(!r.render(Format::Prometheus).contains(" # {"));
}

#[test]
fn too_long_exemplars_are_not_kept_and_the_count_still_moves() {
    let (r, m) = setup();
    // "trace_id" and a value filling the limit exactly is kept; one more character is not.
    let fits = "a".repeat(MAX_EXEMPLAR_CHARS - "trace_id".len());
    let long = "b".repeat(MAX_EXEMPLAR_CHARS - "trace_id".len() + 1);
    m.jobs.inc_with_exemplar(&Trace { trace_id: long.clone() });
    assert_eq!(m.jobs.get(), 1);
    assert!(!om(&r).contains(" # {"), "no exemplar at all yet");
    m.jobs.inc_with_exemplar(&Trace { trace_id: fits.clone() });
    m.jobs.inc_with_exemplar(&Trace { trace_id: long.clone() });
    assert_eq!(m.jobs.get(), 3);
    m.latency.observe_with_exemplar(0.5, &Trace { trace_id: long.clone() });
    assert_eq!(m.latency.count(), 1);
    let text = om(&r);
    assert!(text.contains(&format!("jobs_total 3 # {{trace_id=\"{fits}\"}} 1.0 ")), "{text}");
    assert!(!text.contains(&long), "{text}");
    assert!(!text.contains("latency_seconds_bucket{le=\"1.0\"} 1 #"), "{text}");
    python_exemplars(&text);
}

#[test]
fn a_bucket_exemplar_lies_in_its_bucket_and_nan_keeps_none() {
    let (r, m) = setup();
    let h = Histogram::new(Buckets::new(vec![1.0, 2.0]).unwrap_or_else(|e| panic!("{e}")));
    // Edges are upper-inclusive: 1.0 is in le="1", 1.5 in le="2".
    h.observe_with_exemplar(1.0, &Trace { trace_id: "one".into() });
    h.observe_with_exemplar(1.5, &Trace { trace_id: "one-and-a-half".into() });
    m.latency.observe_with_exemplar(f64::NAN, &Trace { trace_id: "nan".into() });
    assert_eq!(m.latency.count(), 1, "NaN is counted");
    let text = om(&r);
    assert!(!text.contains("nan\""), "{text}");
    #[derive(Metrics)]
    struct One {
        /// Edges.
        edges: Histogram,
    }
    let r2 = Registry::new();
    r2.register_arc(Arc::new(One { edges: h })).unwrap_or_else(|e| panic!("{e}"));
    let mut out = Vec::new();
    r2.render_into(&RenderOptions::new(Format::OpenMetrics).with_created(false), &mut out);
    let text = String::from_utf8(out).unwrap_or_default();
    let lines: Vec<&str> = text.lines().filter(|l| l.contains("_bucket")).collect();
    assert!(lines[0].starts_with("edges_bucket{le=\"1.0\"} 1 # {trace_id=\"one\"} 1.0 "), "{text}");
    assert!(lines[1].starts_with("edges_bucket{le=\"2.0\"} 2 # {trace_id=\"one-and-a-half\"} 1.5 "), "{text}");
    assert_eq!(lines[2], "edges_bucket{le=\"+Inf\"} 2", "{text}");
    assert_eq!(python_exemplars(&text).len(), 2);
}

#[test]
fn float_counter_exemplars_follow_the_counter_rules() {
    let (r, m) = setup();
    let fits = "a".repeat(MAX_EXEMPLAR_CHARS - "trace_id".len());
    let long = "b".repeat(MAX_EXEMPLAR_CHARS - "trace_id".len() + 1);
    // Too long: not kept, but the increment happens.
    assert!(m.cpu.inc_by_with_exemplar(0.5, &Trace { trace_id: long.clone() }));
    assert_eq!(m.cpu.get(), 0.5);
    assert!(!om(&r).contains(" # {"), "no exemplar at all yet");
    assert!(m.cpu.inc_by_with_exemplar(0.25, &Trace { trace_id: fits.clone() }));
    // A refused increment (negative, NaN) keeps neither the value nor the exemplar.
    assert!(!m.cpu.inc_by_with_exemplar(-1.0, &Trace { trace_id: "negative".into() }));
    assert!(!m.cpu.inc_by_with_exemplar(f64::NAN, &Trace { trace_id: "nan".into() }));
    assert!(m.cpu.inc_by_with_exemplar(0.5, &Trace { trace_id: long.clone() }));
    assert_eq!(m.cpu.get(), 1.25);
    let text = om(&r);
    assert!(text.contains(&format!("cpu_seconds_total 1.25 # {{trace_id=\"{fits}\"}} 0.25 ")), "{text}");
    assert!(!text.contains(&long) && !text.contains("negative") && !text.contains("\"nan\""), "{text}");
    assert_eq!(python_exemplars(&text), [format!("cpu_seconds_total||trace_id={fits}|0.25")]);
    // Never in 0.0.4; gone after a reset.
    assert!(!r.render(Format::Prometheus).contains(" # {"));
    metrics_core::Metric::reset(&m.cpu);
    assert!(!om(&r).contains(" # {"));
}
