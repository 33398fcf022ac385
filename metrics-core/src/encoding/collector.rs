//! What a registry holds: sources of metric families, and the one place that picks the encoder
//! of a format for them.
//!
//! A source implements [`Collector`], whose [`collect`](Collector::collect) is generic over the
//! [`Encoder`]: every format gets its own monomorphised copy, so writing a sample is a direct,
//! inlinable call. The registry keeps its sources as `dyn` [`DynCollector`], which costs one
//! virtual call per source and rendering; [`FormatEncoder`] is the enum of the formats' encoders
//! that call carries, and its `match` (here, and only here) turns it back into a concrete encoder.

use crate::Metrics;
use crate::descriptor::Descriptor;
use crate::encoding::json::JsonEncoder;
use crate::encoding::openmetrics::OpenMetricsEncoder;
use crate::encoding::prometheus::PrometheusEncoder;
use crate::encoding::protobuf::ProtobufEncoder;
use crate::encoding::visit::{SampleVisitor, VisitEncoder};
use crate::encoding::{Encoder, Format, RenderOptions};

/// A source of metric families that a [`Registry`](crate::Registry) can render in every format.
///
/// Structs deriving [`Metrics`] are collectors. Implement it by hand for metrics that are not a
/// struct known at compile time: metrics created at run time (a facade over the `metrics`
/// crate), values read from the operating system at each scrape, and so on.
///
/// Note: descriptors and label names are `&'static str`s (encoders keep per-family text keyed
/// by them); a collector whose names are only known at run time makes each one `'static` once,
/// when it first sees it (with `Box::leak` or an interner), not at every scrape. A family's
/// descriptor lists its labels ([`Descriptor::with_labels`]): the JSON format's shape depends
/// on how many there are, and the text formats spell label names (escaped or quoted for the
/// scraper) from that list once per family; a label left out of it is written as it is.
///
/// ```
/// use metrics_core::encoding::{Collector, Encoder};
/// use metrics_core::{Counter, Descriptor, Format, Metric, MetricKind, Registry};
///
/// /// Counters created at run time, with names and help known only then.
/// struct Dynamic {
///     counters: Vec<(&'static Descriptor, Counter)>,
/// }
///
/// impl Dynamic {
///     fn new(names: &[(String, String)]) -> Self {
///         let leak = |s: &String| &*Box::leak(s.clone().into_boxed_str());
///         let counters = names
///             .iter()
///             .map(|(name, help)| {
///                 let d = Descriptor::new(leak(name), leak(help), MetricKind::Counter);
///                 (&*Box::leak(Box::new(d)), Counter::new())
///             })
///             .collect();
///         Dynamic { counters }
///     }
/// }
///
/// impl Collector for Dynamic {
///     fn describe(&self, f: &mut dyn FnMut(&Descriptor)) {
///         self.counters.iter().for_each(|(d, _)| f(d));
///     }
///     fn collect<E: Encoder>(&self, e: &mut E) {
///         for (d, c) in &self.counters {
///             e.begin_family(d);
///             c.encode(d, &(), e);
///             e.end_family(d);
///         }
///     }
/// }
///
/// let source = std::sync::Arc::new(Dynamic::new(&[("jobs".into(), "Jobs run.".into())]));
/// let registry = Registry::new();
/// registry.register_arc(source.clone()).unwrap();
/// source.counters[0].1.inc();
/// assert_eq!(registry.render(Format::Prometheus), "# HELP jobs_total Jobs run.\n# TYPE jobs_total counter\njobs_total 1\n");
/// assert_eq!(registry.render(Format::Json), r#"{"jobs_total":{"help":"Jobs run.","type":"counter","value":1.0}}"#);
/// ```
pub trait Collector: Send + Sync + 'static {
    /// Calls `f` with the descriptor of every family the collector writes, in output order, as
    /// far as it knows them now. Registration checks their sample names against the registry's;
    /// [`Registry::catalog`](crate::Registry::catalog) lists them.
    fn describe(&self, f: &mut dyn FnMut(&Descriptor));

    /// The name the catalog gives as where the metrics are declared (by default the type's).
    fn declared_in(&self) -> &'static str {
        std::any::type_name::<Self>()
    }

    /// Calls `f` with every family's descriptor and the name of where it was declared, for the
    /// catalog: by default [`declared_in`](Self::declared_in) for each (derived structs name
    /// the flattened struct a metric comes from).
    fn describe_declared(&self, f: &mut dyn FnMut(&Descriptor, &'static str)) {
        let declared_in = self.declared_in();
        self.describe(&mut |d| f(d, declared_in));
    }

    /// Writes every family: [`Encoder::begin_family`], its series, [`Encoder::end_family`].
    fn collect<E: Encoder>(&self, e: &mut E);
}

impl<T: Metrics> Collector for T {
    fn describe(&self, f: &mut dyn FnMut(&Descriptor)) {
        T::INFO.for_each(&mut |d: &'static Descriptor| f(d));
    }

    fn declared_in(&self) -> &'static str {
        T::INFO.type_name
    }

    fn describe_declared(&self, f: &mut dyn FnMut(&Descriptor, &'static str)) {
        T::INFO.for_each_declared(&mut |d, declared_in| f(d, declared_in))
    }

    #[inline]
    fn collect<E: Encoder>(&self, e: &mut E) {
        self.encode(e)
    }
}

/// The encoder of one rendering, whichever its format: what a [`DynCollector`] is handed.
///
/// Built by the registry from [`RenderOptions`]; a format is added by adding its encoder here.
pub struct FormatEncoder<'a>(Inner<'a>);

enum Inner<'a> {
    Prometheus(PrometheusEncoder<'a>),
    OpenMetrics(OpenMetricsEncoder<'a>),
    Json(JsonEncoder<'a>),
    Visit(VisitEncoder<'a>),
    Protobuf(ProtobufEncoder<'a>),
}

impl<'a> FormatEncoder<'a> {
    /// The encoder of `opts`' format, appending to `out`.
    pub fn new(opts: &RenderOptions<'a>, out: &'a mut Vec<u8>) -> Self {
        FormatEncoder(match opts.format {
            Format::Prometheus => {
                Inner::Prometheus(PrometheusEncoder::new(out, opts.prefix).with_escaping(opts.escaping))
            }
            Format::OpenMetrics => Inner::OpenMetrics(
                OpenMetricsEncoder::new(out, opts.prefix).with_created(opts.created).with_escaping(opts.escaping),
            ),
            Format::Json => Inner::Json(JsonEncoder::new(out, opts.prefix)),
            Format::Protobuf => Inner::Protobuf(ProtobufEncoder::new(out, opts.prefix).with_escaping(opts.escaping)),
        })
    }

    /// An encoder that hands every family and sample to `visitor` instead of writing a format:
    /// how code outside the crate walks a registry (see
    /// [`Registry::visit`](crate::Registry::visit)).
    pub fn visitor(visitor: &'a mut dyn SampleVisitor) -> Self {
        FormatEncoder(Inner::Visit(VisitEncoder::new(visitor)))
    }

    /// Writes `collector`'s families with the concrete encoder of the format.
    #[inline]
    pub fn collect<C: Collector>(&mut self, collector: &C) {
        match &mut self.0 {
            Inner::Prometheus(e) => collector.collect(e),
            Inner::OpenMetrics(e) => collector.collect(e),
            Inner::Json(e) => collector.collect(e),
            Inner::Visit(e) => collector.collect(e),
            Inner::Protobuf(e) => collector.collect(e),
        }
    }

    /// Ends the rendering (OpenMetrics' `# EOF`, JSON's closing brace).
    pub fn finish(self) {
        match self.0 {
            Inner::Prometheus(_) => {}
            Inner::OpenMetrics(e) => e.finish(),
            Inner::Json(e) => e.finish(),
            Inner::Visit(_) => {}
            Inner::Protobuf(_) => {}
        }
    }
}

/// [`Collector`] made object-safe, so that a registry can hold collectors of any type. Every
/// collector implements it; there is nothing to implement by hand.
pub trait DynCollector: Send + Sync {
    /// [`Collector::describe`].
    fn describe_dyn(&self, f: &mut dyn FnMut(&Descriptor));
    /// [`Collector::describe_declared`].
    fn describe_declared_dyn(&self, f: &mut dyn FnMut(&Descriptor, &'static str));
    /// [`Collector::collect`] with the encoder of the rendering's format.
    fn collect_dyn(&self, e: &mut FormatEncoder<'_>);
}

impl<C: Collector> DynCollector for C {
    fn describe_dyn(&self, f: &mut dyn FnMut(&Descriptor)) {
        self.describe(f)
    }

    fn describe_declared_dyn(&self, f: &mut dyn FnMut(&Descriptor, &'static str)) {
        self.describe_declared(f)
    }

    fn collect_dyn(&self, e: &mut FormatEncoder<'_>) {
        e.collect(self)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::Collector;
    use crate::encoding::Encoder;
    use crate::labels::{EncodeLabels, LabelWriter};
    use crate::{
        Buckets, Counter, Descriptor, Format, Histogram, LabelDescriptor, Metric, MetricKind, Registry, RenderOptions,
        Summary,
    };

    fn leak(s: String) -> &'static str {
        Box::leak(s.into_boxed_str())
    }

    /// Labels whose names and values are only known at run time.
    struct RuntimeLabels(Vec<(&'static str, String)>);

    impl EncodeLabels for RuntimeLabels {
        fn encode_labels<W: LabelWriter>(&self, w: &mut W) {
            for (name, value) in &self.0 {
                w.label(name, value);
            }
        }
    }

    /// What a facade over the `metrics` crate holds: families made at run time.
    struct Runtime {
        counter: (&'static Descriptor, Vec<(RuntimeLabels, Counter)>),
        histogram: (&'static Descriptor, Histogram),
    }

    fn runtime(prefix: &str) -> Runtime {
        let label = leak("queue".into());
        let labels: &'static [LabelDescriptor] = Box::leak(Box::new([LabelDescriptor::new(label)]));
        let counter =
            Descriptor::new(leak(format!("{prefix}_jobs")), leak("Jobs \"run\".".into()), MetricKind::Counter)
                .with_labels(labels)
                .with_location("runtime counter");
        let series = ["fast", "slow"]
            .iter()
            .enumerate()
            .map(|(i, q)| {
                let c = Counter::new();
                c.inc_by(i as u64 + 1);
                (RuntimeLabels(vec![(label, q.to_string())]), c)
            })
            .collect();
        let histogram =
            Descriptor::new(leak(format!("{prefix}_wait_seconds")), leak("Wait.".into()), MetricKind::Histogram)
                .with_unit("seconds");
        let h = Histogram::new(Buckets::new(vec![0.5, 1.0]).unwrap_or_default());
        h.observe(0.75);
        Runtime { counter: (Box::leak(Box::new(counter)), series), histogram: (Box::leak(Box::new(histogram)), h) }
    }

    impl Collector for Runtime {
        fn describe(&self, f: &mut dyn FnMut(&Descriptor)) {
            f(self.counter.0);
            f(self.histogram.0);
        }

        fn collect<E: Encoder>(&self, e: &mut E) {
            let (d, series) = &self.counter;
            e.begin_family(d);
            for (labels, c) in series {
                c.encode(d, labels, e);
            }
            e.end_family(d);
            let (d, h) = &self.histogram;
            e.begin_family(d);
            h.encode(d, &(), e);
            e.end_family(d);
        }
    }

    fn render(r: &Registry, opts: RenderOptions<'_>) -> String {
        let mut out = Vec::new();
        r.render_into(&opts, &mut out);
        String::from_utf8(out).unwrap_or_default()
    }

    #[test]
    fn a_runtime_collector_renders_in_every_format() {
        let r = Registry::new();
        assert_eq!(r.register_arc(Arc::new(runtime("app"))), Ok(()));
        assert_eq!(
            r.render(Format::Prometheus),
            "# HELP app_jobs_total Jobs \"run\".\n# TYPE app_jobs_total counter\n\
             app_jobs_total{queue=\"fast\"} 1\napp_jobs_total{queue=\"slow\"} 2\n\
             # HELP app_wait_seconds Wait.\n# TYPE app_wait_seconds histogram\n\
             app_wait_seconds_bucket{le=\"0.5\"} 0\napp_wait_seconds_bucket{le=\"1\"} 1\n\
             app_wait_seconds_bucket{le=\"+Inf\"} 1\napp_wait_seconds_sum 0.75\napp_wait_seconds_count 1\n"
        );
        assert_eq!(
            render(&r, RenderOptions::new(Format::OpenMetrics).with_created(false)),
            "# TYPE app_jobs counter\n# HELP app_jobs Jobs \\\"run\\\".\n\
             app_jobs_total{queue=\"fast\"} 1\napp_jobs_total{queue=\"slow\"} 2\n\
             # TYPE app_wait_seconds histogram\n# UNIT app_wait_seconds seconds\n# HELP app_wait_seconds Wait.\n\
             app_wait_seconds_bucket{le=\"0.5\"} 0\napp_wait_seconds_bucket{le=\"1.0\"} 1\n\
             app_wait_seconds_bucket{le=\"+Inf\"} 1\napp_wait_seconds_count 1\napp_wait_seconds_sum 0.75\n# EOF\n"
        );
        assert_eq!(
            r.render(Format::Json),
            r#"{"app_jobs_total":{"help":"Jobs \"run\".","type":"counter","value":{"queue":{"fast":1.0,"slow":2.0}}},"#
                .to_owned()
                + r#""app_wait_seconds":{"help":"Wait.","type":"histogram","value":{"count":1.0,"sum":0.75,"avg":0.75,"bucket":[[0.5,0.0],[1.0,1.0]]}}}"#
        );
        let catalog = r.catalog();
        let names: Vec<&str> = catalog.metrics.iter().map(|m| m.name.as_str()).collect();
        assert_eq!(names, ["app_jobs_total", "app_wait_seconds"]);
        assert!(catalog.metrics[0].declared_in.ends_with("Runtime"), "{}", catalog.metrics[0].declared_in);
    }

    #[test]
    fn a_runtime_collector_is_checked_for_duplicates() {
        let r = Registry::new();
        assert_eq!(r.register_dyn(Box::new(runtime("a"))), Ok(()));
        let err = r.register_arc(Arc::new(runtime("a"))).err();
        assert_eq!(
            err.map(|e| (e.name, e.first, e.second)),
            Some(("a_jobs_total".into(), "runtime counter", "runtime counter"))
        );
        assert_eq!(r.register_dyn(Box::new(runtime("b"))), Ok(()));
        assert_eq!(r.catalog().metrics.len(), 4);
    }

    #[test]
    fn runtime_descriptors_configure_their_metrics() {
        // A run-time summary takes its quantiles from its descriptor, as a derived one does.
        let d = Descriptor::new(leak("pause_seconds".into()), "Pauses.", MetricKind::Summary)
            .with_unit("seconds")
            .with_quantiles(&[0.0, 1.0]);
        let s = <Summary as Metric>::from_descriptor(&d);
        for v in [3.0, 1.0, 2.0] {
            s.observe(v);
        }
        let mut out = Vec::new();
        let mut e = crate::encoding::PrometheusEncoder::new(&mut out, "");
        e.begin_family(&d);
        s.encode(&d, &(), &mut e);
        e.end_family(&d);
        assert_eq!(
            String::from_utf8(out).unwrap_or_default(),
            "# HELP pause_seconds Pauses.\n# TYPE pause_seconds summary\npause_seconds{quantile=\"0\"} 1\n\
             pause_seconds{quantile=\"1\"} 3\npause_seconds_sum 6\npause_seconds_count 3\n"
        );
    }

    #[test]
    fn created_samples_follow_the_option() {
        let r = Registry::new();
        assert_eq!(r.register_arc(Arc::new(runtime("app"))), Ok(()));
        let with = render(&r, RenderOptions::new(Format::OpenMetrics));
        let without = render(&r, RenderOptions::new(Format::OpenMetrics).with_created(true).with_created(false));
        assert_eq!(with.matches("_created").count(), 3, "{with}");
        assert!(!without.contains("_created"), "{without}");
        let kept: Vec<&str> = with.lines().filter(|l| !l.contains("_created")).collect();
        assert_eq!(kept, without.lines().collect::<Vec<_>>());
    }
}
