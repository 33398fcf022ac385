//! The registry: the set of metrics a process exposes, rendered in any format.

use std::collections::HashMap;
use std::fmt;
use std::ops::Deref;
use std::sync::{Arc, PoisonError, RwLock};

use crate::catalog::Catalog;
use crate::check::sample_names;
use crate::descriptor::Descriptor;
use crate::encoding::{Collector, DynCollector, Encoder, Format, FormatEncoder, RenderOptions};
use crate::name::{Escaping, escape_metric_name, values_may_clash};

/// Registering would expose a sample name twice, as written or as an escaping scheme spells it
/// for a scraper: `http.requests` and `http_requests` are one name under `underscores`, `a.b`
/// and `a-dot-b` under `dots` (both `a_dot_b`), `a.b` and `U__a_2e_b` under `values`. A scrape
/// asking for that scheme would get two families of one name.
///
/// ```
/// use metrics_core::{Descriptor, Escaping, MetricKind, Registry};
///
/// let registry = Registry::new();
/// let at = |location, d: Descriptor| Descriptor { location, ..d };
/// registry.claim(&at("a.rs:1", Descriptor::new("a.b", "One.", MetricKind::Gauge))).unwrap();
/// let err = registry.claim(&at("b.rs:2", Descriptor::new("a-dot-b", "Two.", MetricKind::Gauge))).unwrap_err();
/// assert_eq!(err.clash, Some((Escaping::Dots, "a_dot_b".to_owned())));
/// assert_eq!(
///     err.to_string(),
///     "metric `a-dot-b` (declared at b.rs:2) and metric `a.b` (declared at a.rs:1) both take the name `a_dot_b` for scrapers that ask for `escaping=dots`: rename one of them"
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DuplicateMetric {
    /// The exposed name (as Prometheus text spells it before escaping, `_total` included) of the
    /// metric being registered.
    pub name: String,
    /// Where the metric already registered was declared.
    pub first: &'static str,
    /// Where the metric being registered was declared.
    pub second: &'static str,
    /// The exposed name of the metric already registered: `name` when both take one name as
    /// written, another when a scheme spells a name of each alike (see `clash`).
    pub first_name: String,
    /// The scheme that spells a name of each metric alike, and that spelling, when the metrics
    /// take no name as written in common; `None` when they do.
    pub clash: Option<(Escaping, String)>,
}

impl fmt::Display for DuplicateMetric {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.clash {
            None => {
                write!(f, "metric `{}` is declared twice: first at {}, again at {}", self.name, self.first, self.second)
            }
            Some((scheme, spelling)) => write!(
                f,
                "metric `{}` (declared at {}) and metric `{}` (declared at {}) both take the name `{spelling}` for scrapers that ask for `escaping={}`: rename one of them",
                self.name.escape_debug(),
                self.second,
                self.first_name.escape_debug(),
                self.first,
                scheme.as_str()
            ),
        }
    }
}

impl std::error::Error for DuplicateMetric {}

/// A registered collector held through a pointer: `&'static LazyLock<T>` or `Arc<T>`.
struct Held<P>(P);

impl<P, T> Collector for Held<P>
where
    P: Deref<Target = T> + Send + Sync + 'static,
    T: Collector,
{
    fn describe(&self, f: &mut dyn FnMut(&Descriptor)) {
        self.0.describe(f)
    }

    fn declared_in(&self) -> &'static str {
        self.0.declared_in()
    }

    fn describe_declared(&self, f: &mut dyn FnMut(&Descriptor, &'static str)) {
        self.0.describe_declared(f)
    }

    #[inline]
    fn collect<E: Encoder>(&self, e: &mut E) {
        self.0.collect(e)
    }
}

/// A `&'static` reference that derefs to its target (so `&'static LazyLock<T>` reaches `T`).
struct StaticRef<S: 'static>(&'static S);

impl<S: Deref> Deref for StaticRef<S> {
    type Target = S::Target;
    fn deref(&self) -> &S::Target {
        self.0
    }
}

/// The names the registered metrics take, as each lossy scheme spells them, and who takes each.
type Names = HashMap<(Escaping, String), Taker>;

/// A metric that takes a name.
#[derive(Clone, Copy)]
struct Taker {
    /// Where it was declared.
    location: &'static str,
    /// Its exposed name.
    exposed: (&'static str, &'static str),
    /// The name it takes, as written.
    sample: (&'static str, &'static str),
}

#[derive(Default)]
struct Inner {
    sources: Vec<Box<dyn DynCollector>>,
    names: Names,
}

/// The metrics a process exposes: structs deriving [`Metrics`](crate::Metrics) and other
/// [`Collector`]s, in registration order.
///
/// ```
/// use std::sync::LazyLock;
/// use metrics_core::{Counter, Format, Metrics, Registry};
///
/// #[derive(Metrics)]
/// struct Mta {
///     /// Messages delivered.
///     delivered: Counter,
/// }
/// static MTA: LazyLock<Mta> = LazyLock::new(Mta::default);
///
/// let registry = Registry::new();
/// registry.register(&MTA).unwrap();
/// MTA.delivered.inc();
/// assert_eq!(
///     registry.render(Format::Prometheus),
///     "# HELP delivered_total Messages delivered.\n# TYPE delivered_total counter\ndelivered_total 1\n"
/// );
/// // Registering the same metrics again names the metric and where it was declared.
/// let err = registry.register(&MTA).unwrap_err();
/// assert!(err.to_string().starts_with("metric `delivered_total` is declared twice"));
/// ```
#[derive(Default)]
pub struct Registry {
    inner: RwLock<Inner>,
}

impl fmt::Debug for Registry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = self.inner.read().unwrap_or_else(PoisonError::into_inner);
        f.debug_struct("Registry").field("sources", &inner.sources.len()).finish()
    }
}

impl Registry {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    /// Registers metrics held in a static, typically a `LazyLock<T>`: `register(&METRICS)`.
    ///
    /// Fails, registering nothing, if a sample name of `T` is already exposed by a registered
    /// metric, as written or as an escaping scheme spells it (see [`DuplicateMetric`]); the
    /// error names both metrics, both places they were declared and the scheme.
    pub fn register<S, T>(&self, metrics: &'static S) -> Result<(), DuplicateMetric>
    where
        S: Deref<Target = T> + Sync,
        T: Collector,
    {
        self.register_dyn(Box::new(Held(StaticRef(metrics))))
    }

    /// Registers metrics shared through an `Arc`.
    pub fn register_arc<T: Collector>(&self, metrics: Arc<T>) -> Result<(), DuplicateMetric> {
        self.register_dyn(Box::new(Held(metrics)))
    }

    /// Registers a collector whose type is erased. The names checked are those its
    /// [`describe`](Collector::describe) gives now: a collector that adds families later checks
    /// their names itself.
    pub fn register_dyn(&self, source: Box<dyn DynCollector>) -> Result<(), DuplicateMetric> {
        let mut inner = self.inner.write().unwrap_or_else(PoisonError::into_inner);
        let new = unclaimed(&inner.names, |f| source.describe_dyn(f))?;
        inner.names.extend(new);
        inner.sources.push(source);
        Ok(())
    }

    /// Claims the sample names of a family that a registered collector starts writing after
    /// its registration (metrics created at run time, as the `metrics` facade's): fails,
    /// claiming nothing, when another metric already exposes one of them. A collector calls it
    /// before it writes the family for the first time.
    pub fn claim(&self, desc: &Descriptor) -> Result<(), DuplicateMetric> {
        let mut inner = self.inner.write().unwrap_or_else(PoisonError::into_inner);
        let new = unclaimed(&inner.names, |f| f(desc))?;
        inner.names.extend(new);
        Ok(())
    }

    /// Renders every metric in `format`.
    ///
    /// [`Format::Protobuf`] is binary, not text: for it this returns an empty string; render
    /// it into bytes with [`render_into`](Self::render_into).
    pub fn render(&self, format: Format) -> String {
        if format == Format::Protobuf {
            return String::new();
        }
        let mut out = Vec::with_capacity(4096);
        self.render_into(&RenderOptions::new(format), &mut out);
        // Every encoder writes UTF-8 only: names are ASCII and text comes from `&str`s.
        String::from_utf8(out).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
    }

    /// Appends the rendering to `out`, a buffer the caller reuses between scrapes.
    ///
    /// Families are written in registration order, then field order; the series of a family in
    /// enum order (all-enum labels) or creation order (other labels).
    pub fn render_into(&self, opts: &RenderOptions<'_>, out: &mut Vec<u8>) {
        let inner = self.inner.read().unwrap_or_else(PoisonError::into_inner);
        let mut e = FormatEncoder::new(opts, out);
        for s in &inner.sources {
            s.collect_dyn(&mut e);
        }
        e.finish();
    }

    /// Hands every family and sample to `visitor`, in the order of
    /// [`render_into`](Self::render_into): how push protocols (remote write, OTLP) build their
    /// messages from a registry. See [`SampleVisitor`](crate::encoding::SampleVisitor).
    pub fn visit(&self, visitor: &mut dyn crate::encoding::SampleVisitor) {
        let inner = self.inner.read().unwrap_or_else(PoisonError::into_inner);
        let mut e = FormatEncoder::visitor(visitor);
        for s in &inner.sources {
            s.collect_dyn(&mut e);
        }
        e.finish();
    }

    /// The catalog of every registered metric.
    pub fn catalog(&self) -> Catalog {
        let inner = self.inner.read().unwrap_or_else(PoisonError::into_inner);
        let mut c = Catalog::default();
        for s in &inner.sources {
            s.describe_declared_dyn(&mut |d, declared_in| c.add_descriptor(d, declared_in));
        }
        c
    }
}

/// The schemes that spell some distinct names alike, in the order they are checked: names
/// equal as written are equal under `underscores`, and reported as such.
const LOSSY: [Escaping; 3] = [Escaping::Underscores, Escaping::Dots, Escaping::Values];

/// The sample names of the families `describe` gives as each lossy scheme spells them, with
/// who takes each; or the first one already in `taken` (or given twice). Names are compared as
/// every scheme spells them: `http.requests` and `http_requests` would be one series for a
/// scraper that asks for `underscores` (or none), `a.b` and `a-dot-b` for one that asks for
/// `dots`. A `values` spelling is kept only where it can meet another (see
/// [`values_may_clash`]).
fn unclaimed(taken: &Names, describe: impl FnOnce(&mut dyn FnMut(&Descriptor))) -> Result<Names, DuplicateMetric> {
    let mut new = Names::new();
    let mut dup = None;
    describe(&mut |d: &Descriptor| {
        if dup.is_some() {
            return;
        }
        let (names, n) = sample_names(d);
        let this = Taker { location: d.location, exposed: d.prometheus_name(), sample: ("", "") };
        for scheme in LOSSY {
            for &(base, suffix) in &names[..n] {
                if scheme == Escaping::Values && !values_may_clash(base, suffix) {
                    continue;
                }
                let key = (scheme, escape_metric_name(&format!("{base}{suffix}"), scheme));
                if let Some(first) = taken.get(&key).or_else(|| new.get(&key)) {
                    let join = |(b, s): (&str, &str)| format!("{b}{s}");
                    let same = join(first.sample) == join((base, suffix));
                    dup = Some(DuplicateMetric {
                        name: join(this.exposed),
                        first: first.location,
                        second: d.location,
                        first_name: join(first.exposed),
                        clash: (!same).then(|| key.clone()),
                    });
                    return;
                }
                new.insert(key, Taker { sample: (base, suffix), ..this });
            }
        }
    });
    match dup {
        Some(d) => Err(d),
        None => Ok(new),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::descriptor::MetricKind;

    fn refused(r: Result<(), DuplicateMetric>) -> DuplicateMetric {
        match r {
            Err(e) => e,
            Ok(()) => panic!("accepted"),
        }
    }

    fn desc(name: &'static str, kind: MetricKind, location: &'static str) -> Descriptor {
        Descriptor { location, ..Descriptor::new(name, "h", kind) }
    }

    #[test]
    fn names_a_scheme_spells_alike_are_refused() {
        use Escaping::{Dots, Underscores, Values};
        use MetricKind::{Counter, Gauge, Histogram};
        // `(registered, kind, then, kind, scheme, spelling, exposed names)`.
        let cases = [
            ("a.b", Gauge, "a-dot-b", Gauge, Dots, "a_dot_b", ("a.b", "a-dot-b")),
            ("a-dot-b", Gauge, "a.b", Gauge, Dots, "a_dot_b", ("a-dot-b", "a.b")),
            ("a_b", Gauge, "a--b", Gauge, Dots, "a__b", ("a_b", "a--b")),
            ("U__a_2e_b", Gauge, "a.b", Gauge, Values, "U__a_2e_b", ("U__a_2e_b", "a.b")),
            ("a.b", Gauge, "U__a_2e_b", Gauge, Values, "U__a_2e_b", ("a.b", "U__a_2e_b")),
            (
                "http.requests",
                Gauge,
                "http_requests",
                Gauge,
                Underscores,
                "http_requests",
                ("http.requests", "http_requests"),
            ),
            // Sample names with their suffixes: `a.b_count` of the histogram, `a.b_total` of the counter.
            ("a.b", Histogram, "a-dot-b_count", Gauge, Dots, "a_dot_b__count", ("a.b", "a-dot-b_count")),
            ("a.b", Counter, "a-dot-b_total", Gauge, Dots, "a_dot_b__total", ("a.b_total", "a-dot-b_total")),
            ("U__a_2e_b__total", Gauge, "a.b", Counter, Values, "U__a_2e_b__total", ("U__a_2e_b__total", "a.b_total")),
        ];
        for (first, k1, second, k2, scheme, spelling, (n1, n2)) in cases {
            let registry = Registry::new();
            registry.claim(&desc(first, k1, "A")).unwrap_or_else(|e| panic!("{e}"));
            let err = refused(registry.claim(&desc(second, k2, "B")));
            let want = DuplicateMetric {
                name: n2.to_owned(),
                first: "A",
                second: "B",
                first_name: n1.to_owned(),
                clash: Some((scheme, spelling.to_owned())),
            };
            assert_eq!(err, want, "{first} {second}");
            assert_eq!(
                err.to_string(),
                format!(
                    "metric `{n2}` (declared at B) and metric `{n1}` (declared at A) both take the name `{spelling}` for scrapers that ask for `escaping={}`: rename one of them",
                    scheme.as_str()
                )
            );
            // Refused, claiming nothing: the name is still free for a metric that clashes with none.
            assert_eq!(refused(registry.claim(&desc(second, k2, "C"))).second, "C");
        }
    }

    #[test]
    fn one_name_as_written_is_declared_twice() {
        let registry = Registry::new();
        registry.claim(&desc("x", MetricKind::Histogram, "A")).unwrap_or_else(|e| panic!("{e}"));
        let err = refused(registry.claim(&desc("x_count", MetricKind::Gauge, "B")));
        assert_eq!(err.clash, None);
        assert_eq!((err.name.as_str(), err.first_name.as_str()), ("x_count", "x"));
        assert_eq!(err.to_string(), "metric `x_count` is declared twice: first at A, again at B");
    }

    #[test]
    fn names_no_scheme_merges_are_accepted() {
        let registry = Registry::new();
        // `a_dot_b` is `a__dot__b` under `dots`; `a__b` is `a____b`; `a.b` is `a_b` under
        // `underscores`, `a_dot_b` under `dots`, `U__a_2e_b` under `values`.
        for name in ["a.b", "a_dot_b", "a__b", "U__a_2e_c", "a:b", "U__x", "q-dot-r"] {
            registry.claim(&desc(name, MetricKind::Gauge, name)).unwrap_or_else(|e| panic!("{e}"));
        }
        // A failed registration of several families leaves no name behind.
        struct Two;
        impl Collector for Two {
            fn describe(&self, f: &mut dyn FnMut(&Descriptor)) {
                f(&desc("fresh", MetricKind::Gauge, "Two.fresh"));
                f(&desc("q.r", MetricKind::Gauge, "Two.clash"));
            }
            fn collect<E: Encoder>(&self, _: &mut E) {}
        }
        let err = refused(registry.register_arc(Arc::new(Two)));
        assert_eq!(err.clash, Some((Escaping::Dots, "q_dot_r".to_owned())));
        registry.claim(&desc("fresh", MetricKind::Gauge, "later")).unwrap_or_else(|e| panic!("{e}"));
    }

    /// The `metrics` facade claims its names through [`Registry::claim`]: a name a scheme
    /// spells like a registered one is refused, with both names and the scheme.
    #[cfg(feature = "metrics")]
    #[test]
    fn the_facade_is_refused_names_a_scheme_merges() {
        use std::sync::Mutex;
        let registry = Arc::new(Registry::new());
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = seen.clone();
        let recorder = crate::facade::Recorder::builder(registry.clone())
            .on_error(move |e| log.lock().unwrap_or_else(PoisonError::into_inner).push(e.to_string()))
            .build();
        metrics::with_local_recorder(&recorder, || {
            metrics::gauge!("a.b").set(1.0);
            metrics::gauge!("a-dot-b").set(2.0);
            metrics::gauge!("U__a_2e_b").set(3.0);
        });
        let errors = seen.lock().unwrap_or_else(PoisonError::into_inner).clone();
        assert_eq!(errors.len(), 2, "{errors:?}");
        assert!(
            errors[0].contains("both take the name `a_dot_b` for scrapers that ask for `escaping=dots`"),
            "{errors:?}"
        );
        assert!(errors[0].contains("`a-dot-b`") && errors[0].contains("`a.b`"), "{errors:?}");
        assert!(
            errors[1].contains("both take the name `U__a_2e_b` for scrapers that ask for `escaping=values`"),
            "{errors:?}"
        );
        assert_eq!(registry.render(Format::Prometheus), "# TYPE a_b gauge\na_b 1\n");
    }
}
