//! The Prometheus protobuf exposition format: a stream of length-delimited
//! `io.prometheus.client.MetricFamily` messages (client_model's `metrics.proto`).
//!
//! The encoder writes the wire format straight into the output buffer instead of building
//! message structs and serialising them with a protobuf library: a scrape is on the hot path
//! and must cost no more than the 0.0.4 text of the same registry, and building messages would
//! allocate a string per label and a struct per series on every scrape, then copy it all once
//! more while serialising. A nested message is written in place after a one-byte length
//! placeholder; when it ends, the length is written there, and in the rare case that it needs
//! more than one byte (128 bytes or more) the message is moved up by the few bytes the length
//! takes. The schema is small and fixed, so the field numbers below are all there is to it;
//! the tests decode the output with an independent decoder and compare it with the text.

use crate::descriptor::{Descriptor, MetricKind};
use crate::encoding::{Encoder, Exemplar, Exemplars, HistogramData, Number, SampleValue, SummaryData};
use crate::labels::{EncodeLabels, LabelValue, LabelWriter, ValueSink};
use crate::metric::native::NativeData;
use crate::name::{self, Escaping};

/// Wire types.
const VARINT: u8 = 0;
const FIXED64: u8 = 1;
const LEN: u8 = 2;

/// `MetricType` values.
const COUNTER: u64 = 0;
const GAUGE: u64 = 1;
const SUMMARY: u64 = 2;
const HISTOGRAM: u64 = 4;

#[inline]
fn varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// Writes `v` as a varint into `buf` at `at`; returns where it ends. For messages assembled on
/// the stack and appended in one copy (one capacity check, where pushing byte by byte checks
/// at every byte).
#[inline]
fn varint_at(buf: &mut [u8], mut at: usize, mut v: u64) -> usize {
    while v >= 0x80 {
        buf[at] = (v as u8) | 0x80;
        v >>= 7;
        at += 1;
    }
    buf[at] = v as u8;
    at + 1
}

#[inline]
fn tag(out: &mut Vec<u8>, field: u32, wire: u8) {
    varint(out, u64::from(field << 3 | u32::from(wire)));
}

#[inline]
fn zigzag(v: i64) -> u64 {
    ((v << 1) ^ (v >> 63)) as u64
}

#[inline]
fn double(out: &mut Vec<u8>, field: u32, v: f64) {
    tag(out, field, FIXED64);
    out.extend_from_slice(&v.to_le_bytes());
}

#[inline]
fn uint(out: &mut Vec<u8>, field: u32, v: u64) {
    tag(out, field, VARINT);
    varint(out, v);
}

#[inline]
fn bytes(out: &mut Vec<u8>, field: u32, b: &[u8]) {
    tag(out, field, LEN);
    varint(out, b.len() as u64);
    out.extend_from_slice(b);
}

/// Starts a nested message of field `field`: returns where its length goes.
#[inline]
fn open(out: &mut Vec<u8>, field: u32) -> usize {
    tag(out, field, LEN);
    out.push(0);
    out.len() - 1
}

/// Ends the nested message whose length goes at `at`.
#[inline]
fn close(out: &mut Vec<u8>, at: usize) {
    let len = out.len() - at - 1;
    if len < 0x80 {
        out[at] = len as u8;
        return;
    }
    close_long(out, at, 1, len);
}

/// Starts a nested message of field `field` expected to take `width` bytes of length (a
/// histogram's, a family's): returns where its length goes. Guessed right, the length is
/// written in place at the end; wrong, the message moves by the difference.
#[inline]
fn open_wide(out: &mut Vec<u8>, field: u32, width: usize) -> usize {
    tag(out, field, LEN);
    let at = out.len();
    out.resize(at + width, 0);
    at
}

/// Ends the message opened by [`open_wide`] with `width`; returns the bytes its length took.
#[inline]
fn close_wide(out: &mut Vec<u8>, at: usize, width: usize) -> usize {
    let len = out.len() - at - width;
    let mut prefix = [0u8; 10];
    let n = varint_at(&mut prefix, 0, len as u64);
    if n == width {
        out[at..at + n].copy_from_slice(&prefix[..n]);
        return n;
    }
    close_long(out, at, width, len);
    n
}

/// Writes the length `len` of the message after the `width` bytes at `at`, moving the message
/// by the difference between `width` and the bytes the length takes.
#[cold]
fn close_long(out: &mut Vec<u8>, at: usize, width: usize, len: usize) {
    let mut prefix = [0u8; 10];
    let n = varint_at(&mut prefix, 0, len as u64);
    let end = out.len();
    if n > width {
        out.resize(end + n - width, 0);
    }
    out.copy_within(at + width..end, at + n);
    out.truncate(at + n + len);
    out[at..at + n].copy_from_slice(&prefix[..n]);
}

/// A `google.protobuf.Timestamp` of `secs` seconds since the Unix epoch, as field `field`
/// (below 16: every timestamp field of the schema is).
#[inline]
fn timestamp(out: &mut Vec<u8>, field: u32, secs: f64) {
    debug_assert!(field < 16);
    // Integer arithmetic, not `floor` and `round` (libm calls on baseline x86-64, a sixth of a
    // scrape when every series has a creation time): below 2^63 ns (the year 2262) the
    // nanoseconds fit a u64, and an f64 of seconds carries less precision than that anyway.
    if !(0.0..9.2e9).contains(&secs) {
        return timestamp_slow(out, field, secs);
    }
    let total = (secs * 1e9) as u64;
    let (whole, nanos) = (total / 1_000_000_000, total % 1_000_000_000);
    // At most 2 + (1 + 5) + (1 + 5) bytes (seconds below 2^35, nanoseconds below 2^30): the
    // length takes one byte, written in place at the end. Written straight into `out`: a
    // message assembled on the stack and copied out reads back bytes just stored at other
    // offsets and widths, which stalls the copy (store forwarding fails) at every series.
    let start = out.len();
    out.extend_from_slice(&[(field << 3) as u8 | LEN, 0]);
    if whole != 0 {
        out.push(1 << 3 | VARINT);
        varint(out, whole);
    }
    if nanos != 0 {
        out.push(2 << 3 | VARINT);
        varint(out, nanos);
    }
    out[start + 1] = (out.len() - start - 2) as u8;
}

#[cold]
fn timestamp_slow(out: &mut Vec<u8>, field: u32, secs: f64) {
    if !secs.is_finite() {
        return;
    }
    let whole = secs.floor();
    let nanos = ((secs - whole) * 1e9).round().min(999_999_999.0) as u64;
    let at = open(out, field);
    if whole != 0.0 {
        uint(out, 1, whole as i64 as u64);
    }
    if nanos != 0 {
        uint(out, 2, nanos);
    }
    close(out, at);
}

/// Writes each label as a `LabelPair` (field 1 of `Metric`).
struct Labels<'a> {
    out: &'a mut Vec<u8>,
    escaping: Escaping,
    known: &'a mut KnownNames,
}

/// Label names found legacy-valid, by address and length: a `&'static str` never moves or
/// changes, and the series of a family repeat the same few names, so that each is checked
/// once per family rather than once per series.
#[derive(Default)]
struct KnownNames {
    names: [(usize, usize); 4],
    next: usize,
}

impl KnownNames {
    #[inline]
    fn is_valid(&mut self, name: &'static str) -> bool {
        let key = (name.as_ptr() as usize, name.len());
        if self.names.contains(&key) {
            return true;
        }
        let valid = name::is_valid_label_name(name);
        if valid {
            self.names[self.next % 4] = key;
            self.next = self.next.wrapping_add(1);
        }
        valid
    }
}

struct Value<'a>(&'a mut Vec<u8>);

impl ValueSink for Value<'_> {
    fn write_str(&mut self, s: &str) {
        bytes(self.0, 2, s.as_bytes());
    }
    fn write_u64(&mut self, v: u64) {
        bytes(self.0, 2, itoa::Buffer::new().format(v).as_bytes());
    }
    fn write_i64(&mut self, v: i64) {
        bytes(self.0, 2, itoa::Buffer::new().format(v).as_bytes());
    }
}

impl LabelWriter for Labels<'_> {
    #[inline]
    fn label<V: LabelValue + ?Sized>(&mut self, label: &'static str, value: &V) {
        let at = open(self.out, 1);
        // `dots` doubles the underscores of legacy names too.
        let plain = match self.escaping {
            Escaping::AllowUtf8 => true,
            Escaping::Dots => false,
            _ => self.known.is_valid(label),
        };
        if plain {
            bytes(self.out, 1, label.as_bytes());
        } else {
            let mut escaped = String::with_capacity(label.len() + 8);
            name::escape_into(&mut escaped, label, self.escaping, true);
            bytes(self.out, 1, escaped.as_bytes());
        }
        value.write_value(&mut Value(self.out));
        close(self.out, at);
    }
}

/// Writes the protobuf exposition format (delimited `MetricFamily` messages), with the family
/// names of the 0.0.4 text (a counter's family is `x_total`, an info metric is a gauge
/// `x_info`), the prefix before each, counters with their `created_timestamp`, histograms with
/// their classic buckets (`+Inf` implied by the count, as client_golang writes them) and their
/// native buckets when they have some. A family with no series is left out, as client_golang
/// leaves it out.
///
/// ```
/// use metrics_core::{Counter, Format, Metrics, Registry, RenderOptions};
/// #[derive(Metrics)]
/// struct M {
///     /// Jobs run.
///     jobs: Counter,
/// }
/// let registry = Registry::new();
/// registry.register_arc(std::sync::Arc::new(M::default())).unwrap();
/// let mut out = Vec::new();
/// registry.render_into(&RenderOptions::new(Format::Protobuf), &mut out);
/// // One delimited MetricFamily: its length, then field 1 (name) "jobs_total", ...
/// assert_eq!(out[0] as usize, out.len() - 1);
/// assert_eq!(&out[1..13], b"\x0a\x0ajobs_total");
/// ```
pub struct ProtobufEncoder<'a> {
    out: &'a mut Vec<u8>,
    prefix: &'a str,
    /// Where the current family starts and where its length goes.
    family: (usize, usize),
    /// The bytes the last family's length took: the next one's guess (see `open_wide`).
    family_width: usize,
    /// Whether the current family has a series.
    any: bool,
    /// How names outside the legacy set are spelt (protobuf never quotes).
    escaping: Escaping,
    known: KnownNames,
}

impl<'a> ProtobufEncoder<'a> {
    /// An encoder appending to `out`, writing `prefix` before every family name.
    pub fn new(out: &'a mut Vec<u8>, prefix: &'a str) -> Self {
        ProtobufEncoder {
            out,
            prefix,
            family: (0, 0),
            family_width: 1,
            any: false,
            escaping: Escaping::AllowUtf8,
            known: KnownNames::default(),
        }
    }

    /// Spells names outside the legacy set with `escaping` (family and label names; a
    /// legacy-valid name is never changed).
    pub fn with_escaping(mut self, escaping: Escaping) -> Self {
        self.escaping = escaping;
        self
    }

    /// One `Metric` message (field 4 of the family).
    #[inline]
    fn metric<L: EncodeLabels + ?Sized>(&mut self, labels: &L, value: SampleValue<'_>, ex: Option<&Exemplars<'_>>) {
        self.any = true;
        // A histogram with classic buckets takes 128 bytes or more: two bytes of length.
        let width = match &value {
            SampleValue::Histogram(h) if h.bounds().len() >= 8 => 2,
            _ => 1,
        };
        let metric = open_wide(self.out, 4, width);
        labels.encode_labels(&mut Labels { out: self.out, escaping: self.escaping, known: &mut self.known });
        match value {
            SampleValue::Counter { value, created } => {
                let c = open(self.out, 3);
                double(self.out, 1, value.as_f64());
                if let Some(x) = ex.and_then(|e| e.counter()) {
                    exemplar(self.out, 2, x);
                }
                timestamp(self.out, 3, created);
                close(self.out, c);
            }
            SampleValue::Gauge(v) => gauge(self.out, v),
            SampleValue::Info => gauge(self.out, Number::U64(1)),
            SampleValue::Histogram(h) => self.histogram(&h, ex),
            SampleValue::Summary(s) => self.summary(&s),
        }
        close_wide(self.out, metric, width);
    }

    fn histogram(&mut self, h: &HistogramData<'_>, exemplars: Option<&Exemplars<'_>>) {
        let out = &mut *self.out;
        let width = if h.bounds().len() >= 8 { 2 } else { 1 };
        let at = open_wide(out, 7, width);
        // The count is the buckets' total, known once they are read: it follows them, which
        // protobuf allows (fields are keyed by number). The `+Inf` bucket is implied.
        let bounds = h.bounds().len();
        let total = h.for_each_bucket(|i, bound, cumulative| {
            if i < bounds {
                let x = exemplars.and_then(|e| e.bucket(i));
                if x.is_none() && cumulative < 1 << 56 {
                    // The common case, written straight into `out` (see `timestamp`): tag,
                    // length (one byte: the count takes at most 8 bytes below 2^56), count,
                    // bound.
                    let start = out.len();
                    out.extend_from_slice(&[3 << 3 | LEN, 0, 1 << 3 | VARINT]);
                    varint(out, cumulative);
                    out.push(2 << 3 | FIXED64);
                    out.extend_from_slice(&bound.to_le_bytes());
                    out[start + 1] = (out.len() - start - 2) as u8;
                    return;
                }
                let b = open(out, 3);
                uint(out, 1, cumulative);
                double(out, 2, bound);
                if let Some(x) = x {
                    exemplar(out, 3, x);
                }
                close(out, b);
            } else if let Some(x) = exemplars.and_then(|e| e.bucket(i)) {
                // The `+Inf` bucket is written only to carry its exemplar, as client_golang
                // does.
                let b = open(out, 3);
                uint(out, 1, cumulative);
                double(out, 2, f64::INFINITY);
                exemplar(out, 3, x);
                close(out, b);
            }
        });
        uint(out, 1, total);
        double(out, 2, h.sum);
        if let Some(n) = h.native() {
            native(out, n);
            for x in exemplars.map_or(&[][..], |e| e.native()) {
                exemplar(out, 16, x);
            }
        }
        timestamp(out, 15, h.created);
        close_wide(out, at, width);
    }

    fn summary(&mut self, s: &SummaryData<'_>) {
        let out = &mut *self.out;
        let at = open(out, 4);
        uint(out, 1, s.count);
        double(out, 2, s.sum);
        for &(q, v) in s.quantiles {
            let b = open(out, 3);
            double(out, 1, q);
            double(out, 2, v);
            close(out, b);
        }
        timestamp(out, 4, s.created);
        close(out, at);
    }
}

/// An `Exemplar` message as field `field`.
fn exemplar(out: &mut Vec<u8>, field: u32, x: &Exemplar) {
    let at = open(out, field);
    for (name, value) in x.labels() {
        let l = open(out, 1);
        bytes(out, 1, name.as_bytes());
        bytes(out, 2, value.as_bytes());
        close(out, l);
    }
    double(out, 2, x.value());
    timestamp(out, 3, x.timestamp());
    close(out, at);
}

/// The native fields of a `Histogram` message.
fn native(out: &mut Vec<u8>, n: &NativeData) {
    tag(out, 5, VARINT);
    varint(out, zigzag(i64::from(n.schema)));
    double(out, 6, n.zero_threshold);
    uint(out, 7, n.zero_count);
    if n.positive.is_empty() && n.negative.is_empty() {
        // No bucket yet: one empty span tells the scraper that the histogram is native.
        let s = open(out, 12);
        close(out, s);
        return;
    }
    for (buckets, span_field, delta_field) in [(&n.negative, 9, 10), (&n.positive, 12, 13)] {
        if buckets.is_empty() {
            continue;
        }
        NativeData::spans(buckets, |offset, length| {
            let s = open(out, span_field);
            tag(out, 1, VARINT);
            varint(out, zigzag(i64::from(offset)));
            uint(out, 2, u64::from(length));
            close(out, s);
        });
        let d = open(out, delta_field);
        let mut prev = 0i64;
        for &(_, count) in buckets.iter() {
            varint(out, zigzag((count as i64).wrapping_sub(prev)));
            prev = count as i64;
        }
        close(out, d);
    }
}

impl Encoder for ProtobufEncoder<'_> {
    fn begin_family(&mut self, desc: &Descriptor) {
        let start = self.out.len();
        // The length goes first: as many bytes as the last family's took (families of a
        // registry are much alike), moved if this one's differs (see `open_wide`).
        self.out.resize(start + self.family_width, 0);
        let at = start;
        let (name, suffix) = desc.prometheus_name();
        tag(self.out, 1, LEN);
        // Prefix first, then escaping (of the whole name); `dots` changes legacy names too.
        let plain = match self.escaping {
            Escaping::AllowUtf8 => true,
            Escaping::Dots => false,
            _ => {
                (self.prefix.is_empty() || name::is_valid_metric_name(self.prefix)) && name::is_valid_metric_name(name)
            }
        };
        if plain {
            varint(self.out, (self.prefix.len() + name.len() + suffix.len()) as u64);
            self.out.extend_from_slice(self.prefix.as_bytes());
            self.out.extend_from_slice(name.as_bytes());
            self.out.extend_from_slice(suffix.as_bytes());
        } else {
            let full = format!("{}{name}{suffix}", self.prefix);
            let mut escaped = String::with_capacity(full.len() + 8);
            name::escape_into(&mut escaped, &full, self.escaping, false);
            varint(self.out, escaped.len() as u64);
            self.out.extend_from_slice(escaped.as_bytes());
        }
        if !desc.help.is_empty() {
            bytes(self.out, 2, desc.help.as_bytes());
        }
        let kind = match desc.kind {
            MetricKind::Counter => COUNTER,
            MetricKind::Gauge | MetricKind::Info => GAUGE,
            MetricKind::Summary => SUMMARY,
            MetricKind::Histogram => HISTOGRAM,
        };
        uint(self.out, 3, kind);
        if !desc.unit.is_empty() {
            bytes(self.out, 5, desc.unit.as_bytes());
        }
        self.family = (start, at);
        self.any = false;
    }

    #[inline]
    fn sample<L: EncodeLabels + ?Sized>(&mut self, _: &Descriptor, labels: &L, value: SampleValue<'_>) {
        self.metric(labels, value, None);
    }

    fn sample_with_exemplars<L: EncodeLabels + ?Sized>(
        &mut self,
        _: &Descriptor,
        labels: &L,
        value: SampleValue<'_>,
        exemplars: &Exemplars<'_>,
    ) {
        self.metric(labels, value, Some(exemplars));
    }

    fn end_family(&mut self, _: &Descriptor) {
        let (start, at) = self.family;
        if !self.any {
            self.out.truncate(start);
            return;
        }
        self.family_width = close_wide(self.out, at, self.family_width);
    }
}

fn gauge(out: &mut Vec<u8>, v: Number) {
    let g = open(out, 2);
    double(out, 1, v.as_f64());
    close(out, g);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wide_lengths_guessed_right_or_wrong_are_canonical() {
        for width in 1..=4 {
            for len in [0usize, 1, 127, 128, 300, 16_383, 16_384, 70_000, 3_000_000] {
                let mut out = vec![9u8];
                let at = open_wide(&mut out, 4, width);
                out.extend(std::iter::repeat_n(7u8, len));
                out.push(5);
                // The last byte is the message's own, as a following field would not be.
                let n = close_wide(&mut out, at, width);
                let mut expected = vec![9u8, 4 << 3 | 2];
                varint(&mut expected, len as u64 + 1);
                expected.extend(std::iter::repeat_n(7u8, len));
                expected.push(5);
                assert_eq!(n, expected.len() - len - 3, "{width} {len}");
                assert!(out == expected, "width {width}, len {len}");
            }
        }
    }

    #[test]
    fn long_messages_get_long_lengths() {
        for len in [0usize, 1, 127, 128, 300, 16_383, 16_384, 70_000] {
            let mut out = vec![9u8];
            let at = open(&mut out, 4);
            out.extend(std::iter::repeat_n(7u8, len));
            close(&mut out, at);
            let mut expected = vec![9u8, 4 << 3 | 2];
            varint(&mut expected, len as u64);
            expected.extend(std::iter::repeat_n(7u8, len));
            assert_eq!(out, expected, "{len}");
        }
    }

    #[test]
    fn varints_on_the_stack_and_in_the_vec_agree() {
        for v in [0u64, 1, 127, 128, 16_383, 16_384, 1 << 56, u64::MAX] {
            let mut out = Vec::new();
            varint(&mut out, v);
            let mut buf = [0xffu8; 12];
            let end = varint_at(&mut buf, 1, v);
            assert_eq!(&buf[1..end], &out[..], "{v}");
        }
    }

    #[test]
    fn timestamps_fast_and_slow_agree() {
        // `(seconds, nanos)` of a Timestamp message written as field 3.
        fn read(b: &[u8]) -> (u64, u64) {
            let (mut secs, mut nanos, mut i) = (0, 0, 2);
            while i < b.len() {
                let field = b[i] >> 3;
                let (mut v, mut shift) = (0u64, 0);
                i += 1;
                loop {
                    v |= u64::from(b[i] & 0x7f) << shift;
                    shift += 7;
                    i += 1;
                    if b[i - 1] < 0x80 {
                        break;
                    }
                }
                if field == 1 { secs = v } else { nanos = v }
            }
            (secs, nanos)
        }
        for secs in [0.0, 0.5, 1.0, 1_700_000_000.25, 1_700_000_000.999_999, 9.1e9, 9.3e9, 1e12] {
            let (mut fast, mut slow) = (Vec::new(), Vec::new());
            timestamp(&mut fast, 3, secs);
            timestamp_slow(&mut slow, 3, secs);
            let (f, s) = (read(&fast), read(&slow));
            // The same instant to within a microsecond (an f64 of seconds since 1970 holds
            // about a quarter of one).
            let ns = |(a, b): (u64, u64)| i128::from(a) * 1_000_000_000 + i128::from(b);
            assert!((ns(f) - ns(s)).abs() < 1000, "{secs}: {f:?} {s:?}");
            assert!(f.1 < 1_000_000_000);
        }
    }

    #[test]
    fn zigzag_maps_signs() {
        assert_eq!([0, -1, 1, -2, 2, i64::MIN].map(zigzag), [0, 1, 2, 3, 4, u64::MAX]);
    }
}
