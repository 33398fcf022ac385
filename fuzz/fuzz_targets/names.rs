//! Arbitrary UTF-8 metric and label names through every escaping scheme and text format,
//! re-parsed: under `allow-utf-8` every name comes back exactly (quoted when outside the legacy
//! set, bare otherwise); under `underscores`, `dots` and `values` every name is a legacy name
//! and is the scheme's spelling of the declared one (prefix included); label values come back
//! exactly; JSON keeps the names as declared.
#![no_main]

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use metrics_core::encoding::Collector;
use metrics_core::labels::{EncodeLabels, LabelWriter};
use metrics_core::name::{
    Escaping, escape_label_name, escape_metric_name, first_clash, is_valid_label_name, is_valid_metric_name,
};
use metrics_core::{
    Buckets, Counter, Descriptor, Encoder, Format, Gauge, Histogram, LabelDescriptor, Metric, MetricKind, Registry,
    RenderOptions,
};

/// How many names and label lists are interned at most (they must be `'static`); inputs
/// needing more are skipped.
const CAP: usize = 1_000_000;

/// Interns `s`, or `None` past the cap.
fn intern(s: &str) -> Option<&'static str> {
    static SEEN: Mutex<Option<HashMap<String, &'static str>>> = Mutex::new(None);
    let mut g = SEEN.lock().unwrap_or_else(|e| e.into_inner());
    let map = g.get_or_insert_with(HashMap::new);
    if let Some(v) = map.get(s) {
        return Some(v);
    }
    if map.len() >= CAP {
        return None;
    }
    let leaked: &'static str = Box::leak(s.to_owned().into_boxed_str());
    map.insert(s.to_owned(), leaked);
    Some(leaked)
}

/// Interns a list of label descriptors, or `None` past the cap.
fn intern_labels(names: &[&'static str]) -> Option<&'static [LabelDescriptor]> {
    static SEEN: Mutex<Option<HashMap<Vec<&'static str>, &'static [LabelDescriptor]>>> = Mutex::new(None);
    let mut g = SEEN.lock().unwrap_or_else(|e| e.into_inner());
    let map = g.get_or_insert_with(HashMap::new);
    if let Some(v) = map.get(names) {
        return Some(v);
    }
    if map.len() >= CAP {
        return None;
    }
    let leaked: &'static [LabelDescriptor] =
        Box::leak(names.iter().map(|n| LabelDescriptor::new(n)).collect::<Vec<_>>().into_boxed_slice());
    map.insert(names.to_vec(), leaked);
    Some(leaked)
}

#[derive(Arbitrary, Debug)]
struct Input {
    name: String,
    kind: u8,
    prefix: bool,
    labels: Vec<(String, String)>,
}

struct Labels(Vec<(&'static str, String)>);

impl EncodeLabels for Labels {
    fn encode_labels<W: LabelWriter>(&self, w: &mut W) {
        for (n, v) in &self.0 {
            w.label(n, v);
        }
    }
}

struct One {
    desc: Descriptor,
    labels: Labels,
    counter: Counter,
    gauge: Gauge,
    histogram: Histogram,
}

impl Collector for One {
    fn describe(&self, f: &mut dyn FnMut(&Descriptor)) {
        f(&self.desc)
    }

    fn collect<E: Encoder>(&self, e: &mut E) {
        e.begin_family(&self.desc);
        match self.desc.kind {
            MetricKind::Counter => self.counter.encode(&self.desc, &self.labels, e),
            MetricKind::Gauge => self.gauge.encode(&self.desc, &self.labels, e),
            _ => self.histogram.encode(&self.desc, &self.labels, e),
        }
        e.end_family(&self.desc);
    }
}

/// Reads a quoted string after its opening quote, unescaping `\\`, `\"` and `\n`.
fn quoted(it: &mut std::iter::Peekable<std::str::Chars<'_>>) -> String {
    let mut out = String::new();
    loop {
        match it.next() {
            Some('\\') => match it.next() {
                Some('n') => out.push('\n'),
                Some(c @ ('\\' | '"')) => out.push(c),
                other => panic!("bad escape {other:?}"),
            },
            Some('"') => return out,
            Some(c) => out.push(c),
            None => panic!("unterminated string"),
        }
    }
}

/// `(metric name, whether it was quoted, [(label name, whether quoted, value)])` of a sample
/// line, in both the legacy and the quoted syntax.
type Sample = (String, bool, Vec<(String, bool, String)>);

fn parse_sample(line: &str) -> Sample {
    let mut it = line.chars().peekable();
    let mut name = String::new();
    let mut name_quoted = false;
    while let Some(&c) = it.peek() {
        if c == '{' || c == ' ' {
            break;
        }
        name.push(c);
        it.next();
    }
    let mut labels = Vec::new();
    if it.peek() == Some(&'{') {
        it.next();
        loop {
            match it.peek() {
                Some('}') => {
                    it.next();
                    break;
                }
                Some(',') => {
                    it.next();
                    continue;
                }
                None => panic!("unterminated labels in {line:?}"),
                _ => {}
            }
            let (key, key_quoted) = if it.peek() == Some(&'"') {
                it.next();
                (quoted(&mut it), true)
            } else {
                let mut k = String::new();
                while let Some(&c) = it.peek() {
                    if c == '=' || c == ',' || c == '}' {
                        break;
                    }
                    k.push(c);
                    it.next();
                }
                (k, false)
            };
            if it.peek() == Some(&'=') {
                it.next();
                assert_eq!(it.next(), Some('"'), "label value not quoted in {line:?}");
                labels.push((key, key_quoted, quoted(&mut it)));
            } else {
                assert!(name.is_empty() && key_quoted, "a bare item that is no label in {line:?}");
                name = key;
                name_quoted = true;
            }
        }
    }
    assert_eq!(it.next(), Some(' '), "no space before the value in {line:?}");
    (name, name_quoted, labels)
}

fuzz_target!(|input: Input| {
    if input.name.is_empty() || input.name.starts_with("__") {
        return;
    }
    let Some(name) = intern(&input.name) else { return };
    let kind = match input.kind % 3 {
        0 => MetricKind::Counter,
        1 => MetricKind::Gauge,
        _ => MetricKind::Histogram,
    };
    // Label names as the derive and the facade allow them: non-empty, not reserved, not `le`,
    // and no two that a scheme spells alike. `name::first_clash`, the check they make, must
    // find a clash exactly when one of the name's `underscores`, `dots` or `values` spellings
    // is taken (`dots` merges some names `underscores` keeps apart: `a--b` and `a_b`).
    let mut seen = HashSet::new();
    let mut series: Vec<(&'static str, String)> = Vec::new();
    for (n, v) in input.labels.into_iter().take(4) {
        if n.is_empty() || n.starts_with("__") || series.iter().any(|(s, _)| *s == n) {
            continue;
        }
        let spellings: Vec<String> = [Escaping::Underscores, Escaping::Dots, Escaping::Values]
            .into_iter()
            .map(|e| format!("{e:?} {}", escape_label_name(&n, e)))
            .collect();
        let taken = spellings.iter().any(|s| seen.contains(s));
        let clash = first_clash(series.iter().map(|(s, _)| *s).chain([n.as_str()]), true);
        assert_eq!(clash.is_some(), taken, "{n:?} beside {series:?}: {clash:?}");
        if let Some(c) = clash {
            assert_eq!(c.second, n);
            assert_eq!(escape_label_name(c.first, c.scheme), c.spelling);
            assert_eq!(escape_label_name(c.second, c.scheme), c.spelling);
            continue;
        }
        if escape_label_name(&n, Escaping::Underscores) == "le" {
            continue;
        }
        seen.extend(spellings);
        let Some(n) = intern(&n) else { return };
        series.push((n, v));
    }
    let names: Vec<&'static str> = series.iter().map(|(n, _)| *n).collect();
    let Some(labels) = intern_labels(&names) else { return };
    let desc = Descriptor::new(name, "help", kind).with_labels(labels);
    let one = One {
        desc,
        labels: Labels(series.clone()),
        counter: Counter::new(),
        gauge: Gauge::new(),
        histogram: Histogram::new(Buckets::new(vec![1.0]).unwrap_or_default()),
    };
    let registry = Registry::new();
    registry.register_arc(std::sync::Arc::new(one)).unwrap_or_else(|e| panic!("{e}"));
    let prefix = if input.prefix { "app_" } else { "" };
    let suffixes = ["", "_total", "_created", "_bucket", "_sum", "_count"];
    for format in [Format::Prometheus, Format::OpenMetrics] {
        for scheme in [Escaping::AllowUtf8, Escaping::Underscores, Escaping::Dots, Escaping::Values] {
            let opts =
                RenderOptions::new(format).with_escaping(scheme).with_prefix(prefix).unwrap_or_else(|e| panic!("{e}"));
            let mut out = Vec::new();
            registry.render_into(&opts, &mut out);
            let text = String::from_utf8(out).unwrap_or_else(|e| panic!("not UTF-8: {e}"));
            let names: HashSet<String> =
                suffixes.iter().map(|s| escape_metric_name(&format!("{prefix}{}{s}", input.name), scheme)).collect();
            let mut want_labels: HashMap<String, &str> =
                series.iter().map(|(n, v)| (escape_label_name(n, scheme), v.as_str())).collect();
            if scheme == Escaping::AllowUtf8 {
                want_labels = series.iter().map(|(n, v)| (n.to_string(), v.as_str())).collect();
            }
            for line in text.split('\n').filter(|l| !l.is_empty() && !l.starts_with('#')) {
                let (name, name_quoted, labels) = parse_sample(line);
                assert!(names.contains(&name), "{scheme:?} {format:?}: {name:?} is none of {names:?}\n{text}");
                assert_eq!(name_quoted, !is_valid_metric_name(&name), "{scheme:?}: quoting of {name:?}");
                for (label, label_quoted, value) in labels {
                    assert_eq!(label_quoted, !is_valid_label_name(&label), "{scheme:?}: quoting of {label:?}");
                    if label == "le" {
                        continue;
                    }
                    assert_eq!(
                        want_labels.get(&label).copied(),
                        Some(value.as_str()),
                        "{scheme:?}: label {label:?}\n{text}"
                    );
                }
            }
        }
    }
    let json = registry.render(Format::Json);
    assert!(json.starts_with('{') && json.ends_with('}'));
});
