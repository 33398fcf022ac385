//! The JSON shape of KumoMTA's `/metrics.json`.
//!
//! Structure is written directly into the buffer (the shape streams, so no value tree is
//! built); every string goes through `serde_json`'s serializer, so the output is always valid,
//! escaped JSON.

use serde::Serialize;

use crate::descriptor::Descriptor;
use crate::encoding::number::{put_i64, put_u64};
use crate::encoding::text::same_bits;
use crate::encoding::{Encoder, HistogramData, Number, SampleValue};
use crate::labels::{EncodeLabels, LabelValue, LabelWriter, ValueSink};

/// Writes the registry as one JSON object keyed by family name (the Prometheus text name, so
/// counters end in `_total`), each `{"help", "type", "value"}`:
///
/// - no labels: `"value": 12.0`;
/// - one label: `"value": {"service": {"smtp_client": 0.0, "esmtp_listener": 3.0}}`;
/// - two or more: `"value": [{"method": "get", "status": "200", "@": 4.0}, ...]`;
/// - a histogram puts `{"count", "sum", "avg", "bucket": [[upper_bound, cumulative], ...]}`
///   (finite bounds; `count` is the `+Inf` bucket; `avg` is `sum / count`, and `null` while
///   `count` is 0) in place of each number, and a summary
///   `{"count", "sum", "avg", "quantile": [[quantile, value], ...]}`; a histogram with native
///   buckets adds `"native": {"schema", "zero_threshold", "zero_count", "positive": [[upper_bound,
///   count], ...], "negative": [[lower_bound, count], ...]}`, each native bucket with its own
///   (not cumulative) count, by increasing bound (`positive` bucket `(b/base, b]` listed at its
///   upper bound `b`, `negative` bucket `[-b, -b/base)` at `-b`);
/// - a family with no series: `"value": null`.
///
/// Numbers are written as floats (`12.0`) as KumoMTA does; integers above 2^53 are written as
/// exact integers. JSON has no NaN or infinity: they are written as the strings `"NaN"`,
/// `"+Inf"` and `"-Inf"`. `help` is left out when empty; `type` is lowercase (an info metric is
/// `"info"`).
pub struct JsonEncoder<'a> {
    out: &'a mut Vec<u8>,
    prefix: &'a str,
    families: usize,
    series: usize,
    /// `[bound,` of each bucket of the last histogram bounds seen, keyed by the bounds' bits
    /// (not their address, which freed bounds can hand to others within a rendering): every
    /// series of a family shares them, and formatting floats is the costliest part.
    bounds_key: Vec<u64>,
    bounds: Vec<u8>,
    bound_ends: Vec<usize>,
}

fn json_str(out: &mut Vec<u8>, s: &str) {
    // Serializing a `str` into a `Vec` cannot fail.
    let _ = s.serialize(&mut serde_json::Serializer::new(&mut *out));
}

fn json_f64(out: &mut Vec<u8>, v: f64) {
    if v.is_finite() {
        out.extend_from_slice(ryu::Buffer::new().format_finite(v).as_bytes());
    } else if v.is_nan() {
        out.extend_from_slice(b"\"NaN\"");
    } else if v > 0.0 {
        out.extend_from_slice(b"\"+Inf\"");
    } else {
        out.extend_from_slice(b"\"-Inf\"");
    }
}

const EXACT: u64 = 1 << 53;

fn json_number(out: &mut Vec<u8>, n: Number) {
    match n {
        Number::U64(v) => {
            put_u64(out, v);
            if v <= EXACT {
                out.extend_from_slice(b".0");
            }
        }
        Number::I64(v) => {
            put_i64(out, v);
            if v.unsigned_abs() <= EXACT {
                out.extend_from_slice(b".0");
            }
        }
        Number::F64(v) => json_f64(out, v),
    }
}

struct JsonValue<'a>(&'a mut Vec<u8>);

impl ValueSink for JsonValue<'_> {
    fn write_str(&mut self, s: &str) {
        json_str(self.0, s)
    }
    fn write_u64(&mut self, v: u64) {
        self.0.push(b'"');
        put_u64(self.0, v);
        self.0.push(b'"');
    }
    fn write_i64(&mut self, v: i64) {
        self.0.push(b'"');
        put_i64(self.0, v);
        self.0.push(b'"');
    }
}

/// Writes `"name":"value",` for each label.
struct Pairs<'a>(&'a mut Vec<u8>);

impl LabelWriter for Pairs<'_> {
    fn label<V: LabelValue + ?Sized>(&mut self, name: &'static str, value: &V) {
        json_str(self.0, name);
        self.0.push(b':');
        value.write_value(&mut JsonValue(self.0));
        self.0.push(b',');
    }
}

/// Writes the first label's name (`"service":{`) or, with `value_only`, its value as a key.
struct Single<'a> {
    out: &'a mut Vec<u8>,
    value_only: bool,
    done: bool,
}

impl LabelWriter for Single<'_> {
    fn label<V: LabelValue + ?Sized>(&mut self, name: &'static str, value: &V) {
        if self.done {
            return;
        }
        self.done = true;
        if self.value_only {
            value.write_value(&mut JsonValue(self.out));
        } else {
            json_str(self.out, name);
        }
    }
}

impl<'a> JsonEncoder<'a> {
    /// An encoder appending to `out`; `prefix` goes before every family name.
    pub fn new(out: &'a mut Vec<u8>, prefix: &'a str) -> Self {
        out.push(b'{');
        JsonEncoder {
            out,
            prefix,
            families: 0,
            series: 0,
            bounds_key: Vec::new(),
            bounds: Vec::new(),
            bound_ends: Vec::new(),
        }
    }

    /// Closes the top-level object.
    pub fn finish(self) {
        self.out.push(b'}');
    }

    fn value(&mut self, value: SampleValue<'_>) {
        match value {
            SampleValue::Counter { value, .. } | SampleValue::Gauge(value) => json_number(self.out, value),
            SampleValue::Info => self.out.extend_from_slice(b"1.0"),
            SampleValue::Histogram(h) => self.histogram(&h),
            SampleValue::Summary(s) => {
                self.stats(s.count, s.sum);
                self.out.extend_from_slice(b",\"quantile\":[");
                for (i, &(q, v)) in s.quantiles.iter().enumerate() {
                    if i > 0 {
                        self.out.push(b',');
                    }
                    self.out.push(b'[');
                    json_f64(self.out, q);
                    self.out.push(b',');
                    json_f64(self.out, v);
                    self.out.push(b']');
                }
                self.out.extend_from_slice(b"]}");
            }
        }
    }

    fn stats(&mut self, count: u64, sum: f64) {
        self.out.extend_from_slice(b"{\"count\":");
        json_number(self.out, Number::U64(count));
        self.out.extend_from_slice(b",\"sum\":");
        json_f64(self.out, sum);
        self.out.extend_from_slice(b",\"avg\":");
        if count == 0 {
            // No observation, no average: `null`, not the string `"NaN"` that stands for a NaN
            // value, so that `avg` is a number or null as in KumoMTA's output (serde_json
            // writes its NaN as `null`).
            self.out.extend_from_slice(b"null");
        } else {
            json_f64(self.out, sum / count as f64);
        }
    }

    fn histogram(&mut self, h: &HistogramData<'_>) {
        // Read each bucket once (into a small stack buffer when it fits) so that `count` is the
        // same total as the buckets show.
        let mut cumulative = [0u64; 64];
        let mut spill = Vec::new();
        let n = h.bounds().len();
        let total = h.for_each_bucket(|i, _, c| {
            if n <= cumulative.len() {
                if i < n {
                    cumulative[i] = c;
                }
            } else if i < n {
                spill.push(c);
            }
        });
        self.stats(total, h.sum);
        let bounds = h.bounds();
        if !same_bits(&self.bounds_key, bounds) {
            self.bounds.clear();
            self.bound_ends.clear();
            for (i, &b) in bounds.iter().enumerate() {
                self.bounds.extend_from_slice(if i == 0 { b"[" } else { b",[" });
                json_f64(&mut self.bounds, b);
                self.bounds.push(b',');
                self.bound_ends.push(self.bounds.len());
            }
            self.bounds_key.clear();
            self.bounds_key.extend(bounds.iter().map(|b| b.to_bits()));
        }
        self.out.extend_from_slice(b",\"bucket\":[");
        for i in 0..n {
            let from = if i == 0 { 0 } else { self.bound_ends[i - 1] };
            self.out.extend_from_slice(&self.bounds[from..self.bound_ends[i]]);
            let c = if n <= cumulative.len() { cumulative[i] } else { spill[i] };
            json_number(self.out, Number::U64(c));
            self.out.push(b']');
        }
        self.out.push(b']');
        if let Some(n) = h.native() {
            native(self.out, n);
        }
        self.out.push(b'}');
    }
}

/// `,"native":{...}` of a histogram with native buckets (see [`JsonEncoder`]).
fn native(out: &mut Vec<u8>, n: &crate::metric::native::NativeData) {
    use crate::metric::native::NativeBuckets;
    out.extend_from_slice(b",\"native\":{\"schema\":");
    json_number(out, Number::I64(i64::from(n.schema)));
    out.extend_from_slice(b",\"zero_threshold\":");
    json_f64(out, n.zero_threshold);
    out.extend_from_slice(b",\"zero_count\":");
    json_number(out, Number::U64(n.zero_count));
    out.extend_from_slice(b",\"positive\":[");
    for (i, &(index, count)) in n.positive.iter().enumerate() {
        out.extend_from_slice(if i == 0 { b"[" } else { b",[" });
        json_f64(out, NativeBuckets::upper_bound(index, n.schema));
        out.push(b',');
        json_number(out, Number::U64(count));
        out.push(b']');
    }
    out.extend_from_slice(b"],\"negative\":[");
    for (i, &(index, count)) in n.negative.iter().rev().enumerate() {
        out.extend_from_slice(if i == 0 { b"[" } else { b",[" });
        json_f64(out, -NativeBuckets::upper_bound(index, n.schema));
        out.push(b',');
        json_number(out, Number::U64(count));
        out.push(b']');
    }
    out.extend_from_slice(b"]}");
}

impl Encoder for JsonEncoder<'_> {
    fn begin_family(&mut self, desc: &Descriptor) {
        if self.families > 0 {
            self.out.push(b',');
        }
        self.families += 1;
        self.series = 0;
        let (name, suffix) = desc.prometheus_name();
        let mut full = String::with_capacity(self.prefix.len() + name.len() + suffix.len());
        full.push_str(self.prefix);
        full.push_str(name);
        full.push_str(suffix);
        json_str(self.out, &full);
        self.out.extend_from_slice(b":{");
        if !desc.help.is_empty() {
            self.out.extend_from_slice(b"\"help\":");
            json_str(self.out, desc.help);
            self.out.push(b',');
        }
        self.out.extend_from_slice(b"\"type\":\"");
        self.out.extend_from_slice(desc.kind.as_str().as_bytes());
        self.out.extend_from_slice(b"\",\"value\":");
    }

    fn sample<L: EncodeLabels + ?Sized>(&mut self, desc: &Descriptor, labels: &L, value: SampleValue<'_>) {
        let first = self.series == 0;
        self.series += 1;
        match desc.labels.len() {
            0 => {
                if first {
                    self.value(value);
                }
            }
            1 => {
                if first {
                    self.out.push(b'{');
                    labels.encode_labels(&mut Single { out: self.out, value_only: false, done: false });
                    self.out.extend_from_slice(b":{");
                } else {
                    self.out.push(b',');
                }
                labels.encode_labels(&mut Single { out: self.out, value_only: true, done: false });
                self.out.push(b':');
                self.value(value);
            }
            _ => {
                self.out.push(if first { b'[' } else { b',' });
                self.out.push(b'{');
                labels.encode_labels(&mut Pairs(self.out));
                self.out.extend_from_slice(b"\"@\":");
                self.value(value);
                self.out.push(b'}');
            }
        }
    }

    fn end_family(&mut self, desc: &Descriptor) {
        if self.series == 0 {
            self.out.extend_from_slice(b"null");
        } else {
            match desc.labels.len() {
                0 => {}
                1 => self.out.extend_from_slice(b"}}"),
                _ => self.out.push(b']'),
            }
        }
        self.out.push(b'}');
    }
}

#[cfg(test)]
mod tests {
    use super::JsonEncoder;
    use crate::encoding::{HistogramData, SampleValue};
    use crate::sync::AtomicU64;
    use crate::{Descriptor, Encoder, MetricKind};

    #[test]
    fn an_empty_histogram_or_summary_has_a_null_average() {
        const H: Descriptor = Descriptor::new("h", "", MetricKind::Histogram);
        const S: Descriptor = Descriptor::new("s", "", MetricKind::Summary);
        let counts: Vec<AtomicU64> = (0..2).map(|_| AtomicU64::new(0)).collect();
        let mut out = Vec::new();
        let mut e = JsonEncoder::new(&mut out, "");
        e.begin_family(&H);
        let data = HistogramData { bounds: &[1.0], counts: &counts, sum: 0.0, created: 0.0, native: None };
        e.sample(&H, &(), SampleValue::Histogram(data));
        e.end_family(&H);
        e.begin_family(&S);
        let data = crate::encoding::SummaryData { quantiles: &[(0.5, f64::NAN)], sum: 0.0, count: 0, created: 0.0 };
        e.sample(&S, &(), SampleValue::Summary(data));
        e.end_family(&S);
        e.finish();
        let text = String::from_utf8(out).unwrap_or_default();
        assert_eq!(
            text,
            r#"{"h":{"type":"histogram","value":{"count":0.0,"sum":0.0,"avg":null,"bucket":[[1.0,0.0]]}},"s":{"type":"summary","value":{"count":0.0,"sum":0.0,"avg":null,"quantile":[[0.5,"NaN"]]}}}"#
        );
        let v: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
        assert!(v["h"]["value"]["avg"].is_null() && v["s"]["value"]["avg"].is_null(), "{text}");
    }

    #[test]
    fn bucket_bounds_follow_the_bounds_not_their_address() {
        const D: Descriptor = Descriptor::new("h", "", MetricKind::Histogram);
        let counts: Vec<AtomicU64> = (0..3).map(|_| AtomicU64::new(1)).collect();
        let mut bounds = vec![0.5, 1.0];
        let mut out = Vec::new();
        let mut e = JsonEncoder::new(&mut out, "");
        let write = |e: &mut JsonEncoder<'_>, bounds: &[f64]| {
            e.begin_family(&D);
            let data = HistogramData { bounds, counts: &counts, sum: 0.0, created: 0.0, native: None };
            e.sample(&D, &(), SampleValue::Histogram(data));
            e.end_family(&D);
        };
        write(&mut e, &bounds);
        let address = bounds.as_ptr();
        bounds.copy_from_slice(&[0.25, 2.0]);
        assert_eq!(bounds.as_ptr(), address);
        write(&mut e, &bounds);
        e.finish();
        let text = String::from_utf8(out).unwrap_or_default();
        let value =
            |b: &str| format!(r#"{{"type":"histogram","value":{{"count":3.0,"sum":0.0,"avg":0.0,"bucket":{b}}}}}"#);
        let first = value("[[0.5,1.0],[1.0,2.0]]");
        let second = value("[[0.25,1.0],[2.0,2.0]]");
        assert_eq!(text, format!(r#"{{"h":{first},"h":{second}}}"#));
    }
}
