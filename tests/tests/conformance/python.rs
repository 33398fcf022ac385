//! The Python reference client's parsers on every example, and a property test of hostile inputs.

use std::collections::BTreeSet;
use std::io::Write;
use std::process::{Command, Stdio};

use metrics_core::encoding::{JsonEncoder, OpenMetricsEncoder, PrometheusEncoder};
use metrics_core::{Counter, Descriptor, Encoder, Family, FloatGauge, LabelDescriptor, LabelSet, MetricKind};
use metrics_tests::{dir, python, python_on_text};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, TestRunner};

use crate::example_outputs;

/// Parses `text` with the Python client's `prom` or `om` parser.
fn python_parse(kind: &str, text: &str) {
    python_on_text(&python(), "parse_file.py", kind, text);
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
