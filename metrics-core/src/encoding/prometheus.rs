//! The Prometheus text exposition format, version 0.0.4.

use crate::descriptor::{Descriptor, MetricKind};
use crate::encoding::number::FloatStyle;
use crate::encoding::text::{Escape, Lines, Stem, escape};
use crate::encoding::{Encoder, Number, SampleValue};
use crate::labels::EncodeLabels;

/// Writes Prometheus text 0.0.4, as client_golang does: counters are named with `_total` in
/// their metadata and samples, info metrics are gauges of value 1, floats are spelled as Go's
/// `%g` (`1e+06`), and `_created` samples are not written.
pub struct PrometheusEncoder<'a> {
    lines: Lines<'a>,
    /// What the sample names of the current family were worked out from: the name (a `'static`
    /// string, by address), kind and `legacy_name` of its descriptor, which decide its
    /// exposed name, so that a series costs a comparison instead of working it out again.
    family: Option<(usize, usize, MetricKind, bool)>,
}

impl<'a> PrometheusEncoder<'a> {
    /// How names outside the legacy set `[a-zA-Z_:][a-zA-Z0-9_:]*` are spelled (by default
    /// `underscores`); see [`Escaping`](crate::name::Escaping). With `allow-utf-8` they are
    /// quoted, as text 1.0.0 and OpenMetrics with UTF-8 names write them. The prefix is written
    /// first, then the whole name is escaped.
    pub fn with_escaping(mut self, escaping: crate::name::Escaping) -> Self {
        self.lines.set_escaping(escaping);
        self.family = None;
        self
    }

    /// An encoder appending to `out`, writing `prefix` before every metric name.
    pub fn new(out: &'a mut Vec<u8>, prefix: &'a str) -> Self {
        PrometheusEncoder { lines: Lines::new(out, prefix, FloatStyle::Go), family: None }
    }
}

impl Encoder for PrometheusEncoder<'_> {
    fn begin_family(&mut self, desc: &Descriptor) {
        let (name, suffix) = desc.prometheus_name();
        if !desc.help.is_empty() {
            self.lines.meta("HELP", name, suffix);
            self.lines.out.push(b' ');
            escape(self.lines.out, desc.help, Escape::HelpText);
            self.lines.out.push(b'\n');
        }
        self.lines.meta("TYPE", name, suffix);
        self.lines.out.extend_from_slice(match desc.kind {
            MetricKind::Counter => b" counter\n",
            MetricKind::Gauge | MetricKind::Info => b" gauge\n",
            MetricKind::Histogram => b" histogram\n",
            MetricKind::Summary => b" summary\n",
        });
    }

    #[inline]
    fn sample<L: EncodeLabels + ?Sized>(&mut self, desc: &Descriptor, labels: &L, value: SampleValue<'_>) {
        let family = Some((desc.name.as_ptr() as usize, desc.name.len(), desc.kind, desc.legacy_name));
        if self.family != family {
            let (name, suffix) = desc.prometheus_name();
            self.lines.family(name, suffix, desc.labels);
            self.family = family;
        }
        match value {
            SampleValue::Counter { value, .. } => self.lines.single(labels, value),
            SampleValue::Gauge(v) => self.lines.single(labels, v),
            SampleValue::Info => self.lines.single(labels, Number::U64(1)),
            SampleValue::Histogram(h) => {
                self.lines.set_labels(labels);
                let count = self.lines.buckets(&h);
                self.lines.float(Stem::Sum, h.sum);
                self.lines.int(Stem::Count, count);
            }
            SampleValue::Summary(s) => {
                self.lines.set_labels(labels);
                self.lines.quantiles(s.quantiles);
                self.lines.float(Stem::Sum, s.sum);
                self.lines.int(Stem::Count, s.count);
            }
        }
    }

    fn end_family(&mut self, _: &Descriptor) {}
}
