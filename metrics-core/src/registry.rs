//! The registry: the set of metrics a process exposes, rendered in any format.

use std::collections::HashMap;
use std::fmt;
use std::ops::Deref;
use std::sync::{Arc, PoisonError, RwLock};

use crate::catalog::Catalog;
use crate::check::sample_names;
use crate::descriptor::Descriptor;
use crate::encoding::{Collector, DynCollector, Encoder, Format, FormatEncoder, RenderOptions};

/// Registering would expose a sample name twice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DuplicateMetric {
    /// The sample name both metrics would expose.
    pub name: String,
    /// Where the metric already registered was declared.
    pub first: &'static str,
    /// Where the metric being registered was declared.
    pub second: &'static str,
}

impl fmt::Display for DuplicateMetric {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "metric `{}` is declared twice: first at {}, again at {}", self.name, self.first, self.second)
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

#[derive(Default)]
struct Inner {
    sources: Vec<Box<dyn DynCollector>>,
    names: HashMap<String, &'static str>,
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
    /// metric; the error names the metric and both places it was declared.
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

/// The sample names of the families `describe` gives, with where each was declared; or the
/// first one already in `taken` (or given twice). Names are compared as legacy scrapers spell
/// them (`underscores`): `http.requests` and `http_requests` would be one series there.
fn unclaimed(
    taken: &HashMap<String, &'static str>,
    describe: impl FnOnce(&mut dyn FnMut(&Descriptor)),
) -> Result<Vec<(String, &'static str)>, DuplicateMetric> {
    let mut new: Vec<(String, &'static str)> = Vec::new();
    let mut dup = None;
    describe(&mut |d: &Descriptor| {
        let (names, n) = sample_names(d);
        for &(base, suffix) in &names[..n] {
            let name = crate::name::legacy_spelling(&format!("{base}{suffix}"), false);
            let seen = taken.get(&name).copied().or_else(|| new.iter().find(|(n, _)| *n == name).map(|(_, l)| *l));
            if let (Some(first), None) = (seen, &dup) {
                let (b, s) = d.prometheus_name();
                dup = Some(DuplicateMetric { name: format!("{b}{s}"), first, second: d.location });
            }
            new.push((name, d.location));
        }
    });
    match dup {
        Some(d) => Err(d),
        None => Ok(new),
    }
}
