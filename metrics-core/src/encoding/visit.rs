//! A public, object-safe way for code outside the crate to walk every sample of a registry:
//! what push protocols (remote write, OTLP) need to build their own messages.
//!
//! [`Encoder`] is generic over the label set, so it cannot be a trait object; a
//! [`SampleVisitor`] receives the labels already written out as [`SampleLabels`] (names and
//! string values), and [`Registry::visit`](crate::Registry::visit) hands it every family.

use crate::descriptor::Descriptor;
use crate::encoding::{Encoder, Exemplars, SampleValue};
use crate::labels::{EncodeLabels, LabelValue, LabelWriter, ValueSink};

/// Receives every family and sample of a registry, in rendering order. Object-safe: a
/// [`Registry::visit`](crate::Registry::visit) takes it as `&mut dyn SampleVisitor`.
///
/// ```
/// use std::sync::LazyLock;
/// use metrics_core::encoding::{SampleLabels, SampleValue, SampleVisitor};
/// use metrics_core::{Counter, Descriptor, Family, LabelSet, Metrics, Registry};
///
/// #[derive(LabelSet)]
/// struct Route {
///     path: String,
/// }
///
/// #[derive(Metrics)]
/// struct M {
///     /// Requests served.
///     requests: Family<Route, Counter>,
/// }
/// static METRICS: LazyLock<M> = LazyLock::new(M::default);
///
/// /// Writes one line per sample.
/// struct Lines(Vec<String>);
///
/// impl SampleVisitor for Lines {
///     fn sample(&mut self, desc: &Descriptor, labels: &SampleLabels<'_>, value: SampleValue<'_>) {
///         let (base, suffix) = desc.prometheus_name();
///         let labels: Vec<String> = labels.iter().map(|(n, v)| format!("{n}={v}")).collect();
///         if let SampleValue::Counter { value, .. } = value {
///             self.0.push(format!("{base}{suffix} {} {}", labels.join(","), value.as_f64()));
///         }
///     }
/// }
///
/// let registry = Registry::new();
/// registry.register(&METRICS).unwrap();
/// METRICS.requests.get_or_create(&Route { path: "/a".into() }).inc_by(2);
/// let mut lines = Lines(Vec::new());
/// registry.visit(&mut lines);
/// assert_eq!(lines.0, ["requests_total path=/a 2"]);
/// ```
pub trait SampleVisitor {
    /// Starts a family (called before its samples, even when it has none).
    fn begin_family(&mut self, desc: &Descriptor) {
        let _ = desc;
    }

    /// One series of the current family: its labels, in declaration order, and its value.
    fn sample(&mut self, desc: &Descriptor, labels: &SampleLabels<'_>, value: SampleValue<'_>);

    /// One series that carries exemplars (a counter's, or a histogram's per bucket): what a
    /// protocol that sends exemplars overrides. By default the exemplars are dropped and the
    /// series goes to [`sample`](Self::sample).
    fn sample_with_exemplars(
        &mut self,
        desc: &Descriptor,
        labels: &SampleLabels<'_>,
        value: SampleValue<'_>,
        exemplars: &Exemplars<'_>,
    ) {
        let _ = exemplars;
        self.sample(desc, labels, value)
    }

    /// Ends the current family.
    fn end_family(&mut self, desc: &Descriptor) {
        let _ = desc;
    }
}

/// The labels of one sample, written out: `(name, value)` pairs in declaration order.
#[derive(Debug, Clone, Copy)]
pub struct SampleLabels<'a> {
    text: &'a str,
    spans: &'a [(&'static str, usize, usize)],
}

impl<'a> SampleLabels<'a> {
    /// The `(name, value)` pairs, in declaration order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (&'static str, &'a str)> + '_ {
        let text = self.text;
        self.spans.iter().map(move |&(name, start, end)| (name, text.get(start..end).unwrap_or("")))
    }

    /// How many labels the sample has.
    pub fn len(&self) -> usize {
        self.spans.len()
    }

    /// Whether the sample has no label.
    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }

    /// The value of the label `name`, if the sample has it.
    pub fn get(&self, name: &str) -> Option<&'a str> {
        self.iter().find(|(n, _)| *n == name).map(|(_, v)| v)
    }
}

/// Appends `f` as Prometheus text 0.0.4 spells it (Go's shortest `%g`: `0.5`, `1`, `1e-07`,
/// `+Inf`): the spelling of `le` and `quantile` label values that scraped series carry, so
/// that pushed series match them.
///
/// ```
/// let mut s = Vec::new();
/// for f in [0.5, 1.0, 1e-7, f64::INFINITY] {
///     metrics_core::encoding::write_prometheus_float(&mut s, f);
///     s.push(b' ');
/// }
/// assert_eq!(s, b"0.5 1 1e-07 +Inf ");
/// ```
pub fn write_prometheus_float(out: &mut Vec<u8>, f: f64) {
    crate::encoding::number::write_float(out, f, crate::encoding::number::FloatStyle::Go);
}

/// The [`Encoder`] that writes labels out as text and forwards each sample to a
/// [`SampleVisitor`]. Its buffers are reused from one sample to the next.
pub(crate) struct VisitEncoder<'a> {
    visitor: &'a mut dyn SampleVisitor,
    text: String,
    spans: Vec<(&'static str, usize, usize)>,
}

impl<'a> VisitEncoder<'a> {
    pub(crate) fn new(visitor: &'a mut dyn SampleVisitor) -> Self {
        VisitEncoder { visitor, text: String::new(), spans: Vec::new() }
    }
}

/// Collects labels into the encoder's buffers.
struct Collect<'b> {
    text: &'b mut String,
    spans: &'b mut Vec<(&'static str, usize, usize)>,
}

impl ValueSink for Collect<'_> {
    fn write_str(&mut self, s: &str) {
        self.text.push_str(s);
    }

    fn write_u64(&mut self, v: u64) {
        self.text.push_str(itoa::Buffer::new().format(v));
    }

    fn write_i64(&mut self, v: i64) {
        self.text.push_str(itoa::Buffer::new().format(v));
    }
}

impl LabelWriter for Collect<'_> {
    fn label<V: LabelValue + ?Sized>(&mut self, name: &'static str, value: &V) {
        let start = self.text.len();
        value.write_value(self);
        let end = self.text.len();
        self.spans.push((name, start, end));
    }
}

impl Encoder for VisitEncoder<'_> {
    fn begin_family(&mut self, desc: &Descriptor) {
        self.visitor.begin_family(desc);
    }

    fn sample<L: EncodeLabels + ?Sized>(&mut self, desc: &Descriptor, labels: &L, value: SampleValue<'_>) {
        self.text.clear();
        self.spans.clear();
        labels.encode_labels(&mut Collect { text: &mut self.text, spans: &mut self.spans });
        self.visitor.sample(desc, &SampleLabels { text: &self.text, spans: &self.spans }, value);
    }

    fn sample_with_exemplars<L: EncodeLabels + ?Sized>(
        &mut self,
        desc: &Descriptor,
        labels: &L,
        value: SampleValue<'_>,
        exemplars: &Exemplars<'_>,
    ) {
        self.text.clear();
        self.spans.clear();
        labels.encode_labels(&mut Collect { text: &mut self.text, spans: &mut self.spans });
        self.visitor.sample_with_exemplars(
            desc,
            &SampleLabels { text: &self.text, spans: &self.spans },
            value,
            exemplars,
        );
    }

    fn end_family(&mut self, desc: &Descriptor) {
        self.visitor.end_family(desc);
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::{SampleLabels, SampleVisitor};
    use crate::encoding::{Collector, Encoder, SampleValue};
    use crate::{
        Buckets, Counter, Descriptor, Family, Gauge, Histogram, LabelSet, Metric, MetricKind, Metrics, Registry,
    };

    #[derive(LabelSet)]
    struct Labels {
        path: String,
        code: u16,
    }

    #[derive(Metrics)]
    struct M {
        /// Requests.
        requests: Family<Labels, Counter>,
        /// Depth.
        depth: Gauge,
    }

    /// Records every call as a line.
    #[derive(Default)]
    struct Record(Vec<String>);

    impl SampleVisitor for Record {
        fn begin_family(&mut self, desc: &Descriptor) {
            self.0.push(format!("begin {}", desc.name));
        }

        fn sample(&mut self, desc: &Descriptor, labels: &SampleLabels<'_>, value: SampleValue<'_>) {
            let l: Vec<String> = labels.iter().map(|(n, v)| format!("{n}={v}")).collect();
            let v = match value {
                SampleValue::Counter { value, .. } | SampleValue::Gauge(value) => value.as_f64().to_string(),
                SampleValue::Histogram(h) => {
                    let mut b = Vec::new();
                    let n = h.for_each_bucket(|_, le, c| b.push(format!("{le}:{c}")));
                    format!("count {n} sum {} [{}]", h.sum, b.join(" "))
                }
                SampleValue::Summary(s) => format!("summary {}", s.count),
                SampleValue::Info => "info".into(),
            };
            self.0.push(format!("{} {{{}}} {v} ({} labels)", desc.name, l.join(","), labels.len()));
        }

        fn end_family(&mut self, desc: &Descriptor) {
            self.0.push(format!("end {}", desc.name));
        }
    }

    struct Hist(&'static Descriptor, Histogram);

    impl Collector for Hist {
        fn describe(&self, f: &mut dyn FnMut(&Descriptor)) {
            f(self.0)
        }

        fn collect<E: Encoder>(&self, e: &mut E) {
            e.begin_family(self.0);
            self.1.encode(self.0, &(), e);
            e.end_family(self.0);
        }
    }

    #[test]
    fn a_visitor_sees_every_family_and_sample_with_its_labels() {
        let m = Arc::new(M::default());
        m.requests.get_or_create(&Labels { path: "/a".into(), code: 200 }).inc_by(3);
        m.requests.get_or_create(&Labels { path: "/b".into(), code: 404 }).inc();
        m.depth.set(-4);
        static HD: Descriptor = Descriptor::new("wait_seconds", "Wait.", MetricKind::Histogram);
        let h = Histogram::new(Buckets::new(vec![1.0]).unwrap_or_default());
        h.observe(0.5);
        h.observe(2.0);
        let r = Registry::new();
        assert_eq!(r.register_arc(m), Ok(()));
        assert_eq!(r.register_arc(Arc::new(Hist(&HD, h))), Ok(()));
        let mut rec = Record::default();
        r.visit(&mut rec);
        assert_eq!(
            rec.0,
            [
                "begin requests",
                "requests {path=/a,code=200} 3 (2 labels)",
                "requests {path=/b,code=404} 1 (2 labels)",
                "end requests",
                "begin depth",
                "depth {} -4 (0 labels)",
                "end depth",
                "begin wait_seconds",
                "wait_seconds {} count 2 sum 2.5 [1:1 inf:2] (0 labels)",
                "end wait_seconds",
            ]
        );
    }

    #[test]
    fn sample_labels_look_up_by_name() {
        let spans = [("a", 0, 1), ("b", 1, 3)];
        let l = SampleLabels { text: "xyz", spans: &spans };
        assert_eq!((l.get("a"), l.get("b"), l.get("c")), (Some("x"), Some("yz"), None));
        assert!(!l.is_empty());
        assert!(SampleLabels { text: "", spans: &[] }.is_empty());
    }

    #[derive(LabelSet)]
    struct Trace {
        trace_id: String,
    }

    #[derive(Metrics)]
    struct Traced {
        /// Orders.
        orders: Counter,
        /// Plain.
        plain: Counter,
    }

    /// Keeps the counter exemplars it is handed.
    #[derive(Default)]
    struct Exemplary(Vec<String>);

    impl SampleVisitor for Exemplary {
        fn sample(&mut self, desc: &Descriptor, _: &SampleLabels<'_>, _: SampleValue<'_>) {
            self.0.push(format!("{} without", desc.name));
        }

        fn sample_with_exemplars(
            &mut self,
            desc: &Descriptor,
            _: &SampleLabels<'_>,
            _: SampleValue<'_>,
            exemplars: &crate::encoding::Exemplars<'_>,
        ) {
            let e = exemplars.counter().map(|e| format!("{:?} {}", e.labels(), e.value())).unwrap_or_default();
            self.0.push(format!("{} with {e}", desc.name));
        }
    }

    #[test]
    fn exemplars_reach_the_visitors_that_take_them_and_only_those() {
        let m = Arc::new(Traced::default());
        m.orders.inc_by_with_exemplar(2, &Trace { trace_id: "ab".into() });
        m.plain.inc();
        let r = Registry::new();
        assert_eq!(r.register_arc(m), Ok(()));
        let mut ex = Exemplary::default();
        r.visit(&mut ex);
        assert_eq!(ex.0, ["orders with [(\"trace_id\", \"ab\")] 2", "plain without"]);
        // A visitor that does not take them sees the series alone.
        let mut rec = Record::default();
        r.visit(&mut rec);
        assert_eq!(rec.0[1], "orders {} 2 (0 labels)");
    }
}
