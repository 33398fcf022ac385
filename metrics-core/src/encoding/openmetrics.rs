//! The OpenMetrics 1.0 text format.

use crate::descriptor::Descriptor;
use crate::encoding::number::{FloatStyle, write_float};
use crate::encoding::text::{Escape, Lines, Stem, escape};
use crate::encoding::{Encoder, Exemplar, Exemplars, HistogramData, Number, SampleValue};
use crate::labels::EncodeLabels;

/// Writes OpenMetrics 1.0 text: families named without `_total` (counters) or `_info` (info),
/// metadata in the order TYPE, UNIT, HELP, `_created` samples for counters, histograms and
/// summaries (unless [`with_created`](Self::with_created) turns them off), canonical numbers
/// (`1.0`), and `# EOF` from [`finish`](Self::finish).
pub struct OpenMetricsEncoder<'a> {
    lines: Lines<'a>,
    created: bool,
}

impl<'a> OpenMetricsEncoder<'a> {
    /// How names outside the legacy set `[a-zA-Z_:][a-zA-Z0-9_:]*` are spelled (by default
    /// `underscores`); see [`Escaping`](crate::name::Escaping). With `allow-utf-8` they are
    /// quoted, as text 1.0.0 and OpenMetrics with UTF-8 names write them. The prefix is written
    /// first, then the whole name is escaped.
    pub fn with_escaping(mut self, escaping: crate::name::Escaping) -> Self {
        self.lines.set_escaping(escaping);
        self
    }

    /// An encoder appending to `out`, writing `prefix` before every metric name.
    pub fn new(out: &'a mut Vec<u8>, prefix: &'a str) -> Self {
        OpenMetricsEncoder { lines: Lines::new(out, prefix, FloatStyle::OpenMetrics), created: true }
    }

    /// Whether to write `_created` samples (the default, `true`); see
    /// [`RenderOptions::with_created`](crate::RenderOptions::with_created).
    pub fn with_created(mut self, created: bool) -> Self {
        self.created = created;
        self
    }

    /// Ends the exposition with `# EOF`.
    pub fn finish(self) {
        self.lines.out.extend_from_slice(b"# EOF\n");
    }
}

impl Encoder for OpenMetricsEncoder<'_> {
    fn begin_family(&mut self, desc: &Descriptor) {
        let name = desc.openmetrics_family();
        self.lines.meta("TYPE", name, "");
        self.lines.out.push(b' ');
        self.lines.out.extend_from_slice(desc.kind.as_str().as_bytes());
        self.lines.out.push(b'\n');
        if !desc.unit.is_empty() {
            self.lines.meta("UNIT", name, "");
            self.lines.out.push(b' ');
            self.lines.out.extend_from_slice(desc.unit.as_bytes());
            self.lines.out.push(b'\n');
        }
        if !desc.help.is_empty() {
            self.lines.meta("HELP", name, "");
            self.lines.out.push(b' ');
            escape(self.lines.out, desc.help, Escape::WithQuotes);
            self.lines.out.push(b'\n');
        }
    }

    #[inline]
    fn sample<L: EncodeLabels + ?Sized>(&mut self, desc: &Descriptor, labels: &L, value: SampleValue<'_>) {
        let name = desc.openmetrics_family();
        match value {
            SampleValue::Counter { value, created } => {
                self.lines.family(name, "_total", desc.labels);
                if self.created {
                    self.lines.counter_with_created(labels, value, created);
                } else {
                    self.lines.single(labels, value);
                }
            }
            SampleValue::Gauge(v) => {
                self.lines.family(name, "", desc.labels);
                self.lines.single(labels, v);
            }
            SampleValue::Info => {
                self.lines.family(name, "_info", desc.labels);
                self.lines.single(labels, Number::U64(1));
            }
            SampleValue::Histogram(h) => {
                self.lines.family(name, "", desc.labels);
                self.lines.set_labels(labels);
                let count = self.lines.buckets(&h);
                self.lines.int(Stem::Count, count);
                self.lines.float(Stem::Sum, h.sum);
                if self.created {
                    self.lines.timestamp(Stem::Created, h.created);
                }
            }
            SampleValue::Summary(s) => {
                self.lines.family(name, "", desc.labels);
                self.lines.set_labels(labels);
                self.lines.quantiles(s.quantiles);
                self.lines.int(Stem::Count, s.count);
                self.lines.float(Stem::Sum, s.sum);
                if self.created {
                    self.lines.timestamp(Stem::Created, s.created);
                }
            }
        }
    }

    fn sample_with_exemplars<L: EncodeLabels + ?Sized>(
        &mut self,
        desc: &Descriptor,
        labels: &L,
        value: SampleValue<'_>,
        exemplars: &Exemplars<'_>,
    ) {
        match value {
            SampleValue::Counter { value, created } => {
                self.counter_with_exemplar(desc, labels, value, created, exemplars)
            }
            SampleValue::Histogram(h) => self.histogram_with_exemplars(desc, labels, &h, exemplars),
            other => self.sample(desc, labels, other),
        }
    }

    fn end_family(&mut self, _: &Descriptor) {}
}

/// Exemplars, kept apart from the plain paths: a series with exemplars is written as usual,
/// then the exemplar is put before the line end of its `_total` or `_bucket` line.
impl OpenMetricsEncoder<'_> {
    fn counter_with_exemplar<L: EncodeLabels + ?Sized>(
        &mut self,
        desc: &Descriptor,
        labels: &L,
        value: Number,
        created: f64,
        exemplars: &Exemplars<'_>,
    ) {
        self.lines.family(desc.openmetrics_family(), "_total", desc.labels);
        self.lines.single(labels, value);
        if let Some(x) = exemplars.counter() {
            self.lines.out.pop();
            write_exemplar(self.lines.out, x);
            self.lines.out.push(b'\n');
        }
        if self.created {
            self.lines.set_labels(labels);
            self.lines.timestamp(Stem::Created, created);
        }
    }

    fn histogram_with_exemplars<L: EncodeLabels + ?Sized>(
        &mut self,
        desc: &Descriptor,
        labels: &L,
        h: &HistogramData<'_>,
        exemplars: &Exemplars<'_>,
    ) {
        self.lines.family(desc.openmetrics_family(), "", desc.labels);
        self.lines.set_labels(labels);
        let start = self.lines.out.len();
        let count = self.lines.buckets(h);
        let lines = self.lines.out.split_off(start);
        for (i, line) in lines.split(|&b| b == b'\n').filter(|l| !l.is_empty()).enumerate() {
            self.lines.out.extend_from_slice(line);
            if let Some(x) = exemplars.bucket(i) {
                write_exemplar(self.lines.out, x);
            }
            self.lines.out.push(b'\n');
        }
        self.lines.int(Stem::Count, count);
        self.lines.float(Stem::Sum, h.sum);
        if self.created {
            self.lines.timestamp(Stem::Created, h.created);
        }
    }
}

/// ` # {name="value",...} <value> <timestamp>`, without the line end.
fn write_exemplar(out: &mut Vec<u8>, x: &Exemplar) {
    out.extend_from_slice(b" # {");
    for (i, (name, value)) in x.labels().iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(b"=\"");
        escape(out, value, Escape::WithQuotes);
        out.push(b'"');
    }
    out.extend_from_slice(b"} ");
    write_float(out, x.value(), FloatStyle::OpenMetrics);
    out.push(b' ');
    write_seconds(out, x.timestamp());
}

/// A timestamp as `<seconds>.<microseconds>`: parsers split it at the point, so the shortest
/// float form (`1.7e+09`) would not do.
fn write_seconds(out: &mut Vec<u8>, t: f64) {
    let micros = (t.max(0.0) * 1e6).round() as u64;
    out.extend_from_slice(itoa::Buffer::new().format(micros / 1_000_000).as_bytes());
    let frac = micros % 1_000_000;
    out.push(b'.');
    let digits = itoa::Buffer::new().format(frac + 1_000_000).as_bytes().to_owned();
    out.extend_from_slice(&digits[1..]);
}
