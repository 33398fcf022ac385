//! A recorder for the `metrics` crate's facade: what libraries emit through `metrics::counter!`,
//! `gauge!` and `histogram!` lands in a [`Registry`] beside the derived structs.
//!
//! ```
//! use std::sync::Arc;
//! use metrics_core::{Format, Registry};
//! use metrics_core::facade::Recorder;
//!
//! let registry = Arc::new(Registry::new());
//! let recorder = Recorder::new(registry.clone());
//! // In an application: `metrics::set_global_recorder(recorder)`; here, for one call:
//! metrics::with_local_recorder(&recorder, || {
//!     metrics::describe_counter!("jobs_done", "Jobs finished.");
//!     metrics::counter!("jobs_done", "queue" => "mail").increment(2);
//!     metrics::gauge!("queue_depth").set(7.0);
//! });
//! assert_eq!(registry.render(Format::Prometheus), r#"# HELP jobs_done_total Jobs finished.
//! ## TYPE jobs_done_total counter
//! jobs_done_total{queue="mail"} 2
//! ## TYPE queue_depth gauge
//! queue_depth 7
//! "#);
//! ```
//!
//! Details:
//! - Counters are [`Counter`]s named without `_total`, which the encoders add: `x` and
//!   `x_total` are one counter. Labels given in another order are the same series. gauges [`FloatGauge`]s, histograms [`Histogram`]s with the buckets of
//!   [`RecorderBuilder::buckets`] ([`DEFAULT_BUCKETS`](crate::DEFAULT_BUCKETS) unless set, or per
//!   metric with [`RecorderBuilder::buckets_for`]): never a summary.
//! - Metric and label names may be any non-empty UTF-8 string (`http.server.requests`,
//!   `http.request.method`), served like a derived struct's: quoted for scrapers that take UTF-8
//!   names, escaped for the others (see [`Escaping`](crate::Escaping)).
//! - Names and labels get the checks a derived struct gets at compile time, here at run time:
//!   an empty name, a name starting with `__`, `le` on a histogram, a label given twice, a name
//!   used with two types, two names a scraper would see as one (`http.requests` and
//!   `http_requests` for legacy scrapers, `a.b` and `a-dot-b` under `escaping=dots`; label
//!   names likewise under every scheme, see [`name::first_clash`]), or a sample name another
//!   registered metric already exposes under any scheme. The offending metric is not recorded (its handle does
//!   nothing), and the error is reported once, to [`RecorderBuilder::on_error`]'s function
//!   (standard error by default) and in [`Recorder::errors`]. The output stays valid whatever a
//!   library asks for.
//! - Label values are escaped like every other label value. Families and series are written in
//!   the order they were first recorded.
//! - `describe_*` sets the help text (before or after the first update). A unit is kept when the
//!   name already ends with it (`_seconds`, `_bytes`), as OpenMetrics requires; otherwise the
//!   name is left alone.
//! - `Counter::absolute(v)` raises the counter to `v` when it is below; it is meant for values
//!   read from elsewhere, not to be mixed with increments of the same counter.
//! - Names and help texts are kept for the life of the process (one copy of each distinct
//!   string), as the `metrics` crate's own keys usually are.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::sync::{Arc, LazyLock, Mutex, PoisonError, RwLock};

use metrics::{Key, KeyName, Metadata, SharedString, Unit};

use crate::descriptor::{Descriptor, LabelDescriptor, MetricKind};
use crate::encoding::{Collector, Encoder};
use crate::labels::{EncodeLabels, LabelWriter};
use crate::metric::Metric;
use crate::metric::counter::Counter;
use crate::metric::gauge::FloatGauge;
use crate::metric::histogram::{Buckets, Histogram};
use crate::name;
use crate::registry::Registry;

/// Why a metric from the facade was not recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FacadeError {
    /// The metric name as the library wrote it.
    pub name: String,
    /// What is wrong with it.
    pub reason: String,
}

impl fmt::Display for FacadeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "metrics facade: `{}` is not recorded: {}", self.name.escape_debug(), self.reason)
    }
}

impl std::error::Error for FacadeError {}

/// Builds a [`Recorder`] with bucket and error-reporting settings.
#[must_use = "a recorder builder does nothing until `build` is called"]
pub struct RecorderBuilder {
    registry: Arc<Registry>,
    buckets: Buckets,
    buckets_for: Vec<(String, Buckets)>,
    on_error: Box<dyn Fn(&FacadeError) + Send + Sync>,
}

impl fmt::Debug for RecorderBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RecorderBuilder")
            .field("buckets", &self.buckets)
            .field("buckets_for", &self.buckets_for)
            .finish()
    }
}

impl RecorderBuilder {
    /// The buckets of every histogram without a [`buckets_for`](Self::buckets_for) entry.
    pub fn buckets(mut self, buckets: Buckets) -> Self {
        self.buckets = buckets;
        self
    }

    /// The buckets of the histograms named `name` (as the library writes it), or, when `name`
    /// ends with `*`, of every histogram whose name starts with what comes before it. The first
    /// matching entry wins.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use metrics_core::{Buckets, Registry};
    /// use metrics_core::facade::Recorder;
    ///
    /// let registry = Arc::new(Registry::new());
    /// let recorder = Recorder::builder(registry.clone())
    ///     .buckets_for("http_*", Buckets::new(vec![0.1, 1.0]).unwrap())
    ///     .build();
    /// metrics::with_local_recorder(&recorder, || metrics::histogram!("http_latency_seconds").record(0.5));
    /// assert!(registry.render(metrics_core::Format::Prometheus).contains("http_latency_seconds_bucket{le=\"1\"} 1\n"));
    /// ```
    pub fn buckets_for(mut self, name: &str, buckets: Buckets) -> Self {
        self.buckets_for.push((name.to_owned(), buckets));
        self
    }

    /// Where errors go, once each (standard error by default).
    pub fn on_error(mut self, f: impl Fn(&FacadeError) + Send + Sync + 'static) -> Self {
        self.on_error = Box::new(f);
        self
    }

    /// The recorder, registered in the registry.
    pub fn build(self) -> Recorder {
        let shared = Arc::new(Shared {
            registry: Arc::downgrade(&self.registry),
            buckets: self.buckets,
            buckets_for: self.buckets_for,
            on_error: self.on_error,
            state: RwLock::new(State::default()),
            errors: Mutex::new(Vec::new()),
        });
        // A new source claims no names yet, so registering it cannot fail.
        let _ = self.registry.register_arc(Arc::new(Source(shared.clone())));
        Recorder { shared }
    }
}

/// A `metrics::Recorder` that records into a [`Registry`]. See the [module docs](self).
#[derive(Clone)]
pub struct Recorder {
    shared: Arc<Shared>,
}

impl fmt::Debug for Recorder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.shared.state.read().unwrap_or_else(PoisonError::into_inner);
        f.debug_struct("Recorder").field("families", &state.families.len()).finish()
    }
}

impl Recorder {
    /// A recorder writing into `registry` with the default settings.
    pub fn new(registry: Arc<Registry>) -> Self {
        Self::builder(registry).build()
    }

    /// A builder for a recorder writing into `registry`.
    pub fn builder(registry: Arc<Registry>) -> RecorderBuilder {
        RecorderBuilder {
            registry,
            buckets: Buckets::default(),
            buckets_for: Vec::new(),
            on_error: Box::new(|e| eprintln!("{e}")),
        }
    }

    /// Every error reported so far, in order, each once.
    pub fn errors(&self) -> Vec<FacadeError> {
        self.shared.errors.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }
}

/// One process-wide copy of each distinct name or help text.
fn intern(s: &str) -> &'static str {
    static TABLE: LazyLock<Mutex<HashSet<&'static str>>> = LazyLock::new(Mutex::default);
    let mut t = TABLE.lock().unwrap_or_else(PoisonError::into_inner);
    match t.get(s) {
        Some(s) => s,
        None => {
            let leaked: &'static str = Box::leak(s.to_owned().into_boxed_str());
            t.insert(leaked);
            leaked
        }
    }
}

/// A series handle of any of the three kinds.
#[derive(Clone)]
enum Handle {
    Counter(Arc<FacadeCounter>),
    Gauge(Arc<FacadeGauge>),
    Histogram(Arc<FacadeHistogram>),
    /// The metric was refused: its updates go nowhere.
    Refused,
}

/// A counter with `absolute` support (serialised among `absolute` calls only).
#[derive(Default)]
struct FacadeCounter {
    counter: Counter,
    absolute: Mutex<()>,
}

impl metrics::CounterFn for FacadeCounter {
    fn increment(&self, value: u64) {
        self.counter.inc_by(value);
    }
    fn absolute(&self, value: u64) {
        let _one_at_a_time = self.absolute.lock().unwrap_or_else(PoisonError::into_inner);
        let now = self.counter.get();
        if value > now {
            self.counter.inc_by(value - now);
        }
    }
}

/// A gauge the facade's trait is implemented for.
#[derive(Default)]
struct FacadeGauge(FloatGauge);

impl metrics::GaugeFn for FacadeGauge {
    fn increment(&self, value: f64) {
        self.0.add(value);
    }
    fn decrement(&self, value: f64) {
        self.0.sub(value);
    }
    fn set(&self, value: f64) {
        self.0.set(value);
    }
}

/// A histogram the facade's trait is implemented for.
struct FacadeHistogram(Histogram);

impl metrics::HistogramFn for FacadeHistogram {
    fn record(&self, value: f64) {
        self.0.observe(value);
    }
}

/// The label values of one series, in the family's label order.
struct Labels<'a> {
    names: &'static [LabelDescriptor],
    values: &'a [String],
}

impl EncodeLabels for Labels<'_> {
    fn encode_labels<W: LabelWriter>(&self, w: &mut W) {
        for (l, value) in self.names.iter().zip(self.values) {
            w.label(l.name, value);
        }
    }
}

struct Family {
    /// Made `'static` once per family (and again when a new help text is described).
    desc: &'static Descriptor,
    buckets: Buckets,
    series: Vec<(Box<[String]>, Handle)>,
    /// Where each label-value combination is in `series`.
    by_values: HashMap<Box<[String]>, usize>,
}

#[derive(Default)]
struct State {
    /// Every key seen, refused ones included (so each error is reported once): counters,
    /// gauges, histograms.
    handles: [HashMap<Key, Handle, foldhash::fast::RandomState>; 3],
    /// Families by their name (a counter's without `_total`), in first-recorded order.
    index: HashMap<String, usize>,
    families: Vec<Family>,
    /// The family names by their `underscores` spelling (what legacy scrapers see).
    legacy: HashMap<String, String>,
    /// Help texts and units described before the first update.
    described: HashMap<(String, MetricKind), (&'static str, Option<Unit>)>,
}

struct Shared {
    registry: std::sync::Weak<Registry>,
    buckets: Buckets,
    buckets_for: Vec<(String, Buckets)>,
    on_error: Box<dyn Fn(&FacadeError) + Send + Sync>,
    state: RwLock<State>,
    errors: Mutex<Vec<FacadeError>>,
}

/// Where the catalog and duplicate-name errors say the facade's metrics come from.
const LOCATION: &str = "the `metrics` crate facade";

impl Shared {
    fn report(&self, name: &str, reason: String) {
        let e = FacadeError { name: name.to_owned(), reason };
        let mut errors = self.errors.lock().unwrap_or_else(PoisonError::into_inner);
        if !errors.contains(&e) {
            (self.on_error)(&e);
            errors.push(e);
        }
    }

    fn buckets(&self, name: &str) -> Buckets {
        self.buckets_for
            .iter()
            .find(|(pattern, _)| match pattern.strip_suffix('*') {
                Some(prefix) => name.starts_with(prefix),
                None => pattern == name,
            })
            .map_or_else(|| self.buckets.clone(), |(_, b)| b.clone())
    }

    /// The handle of `key`: looked up under a read lock, created on first use.
    fn handle(&self, key: &Key, kind: MetricKind) -> Handle {
        let slot = match kind {
            MetricKind::Counter => 0,
            MetricKind::Gauge => 1,
            _ => 2,
        };
        if let Some(h) = self.state.read().unwrap_or_else(PoisonError::into_inner).handles[slot].get(key) {
            return h.clone();
        }
        let mut state = self.state.write().unwrap_or_else(PoisonError::into_inner);
        if let Some(h) = state.handles[slot].get(key) {
            return h.clone();
        }
        let handle = match self.create(&mut state, key, kind) {
            Ok(h) => h,
            Err(reason) => {
                self.report(key.name(), reason);
                Handle::Refused
            }
        };
        state.handles[slot].insert(key.clone(), handle.clone());
        handle
    }

    fn create(&self, state: &mut State, key: &Key, kind: MetricKind) -> Result<Handle, String> {
        let labels: Vec<(&str, &str)> = key.labels().map(|l| (l.key(), l.value())).collect();
        for (i, &(n, _)) in labels.iter().enumerate() {
            match name::check_name(n, true) {
                Ok(()) => {}
                Err(name::NameError::Empty) => return Err("a label name is empty".into()),
                Err(name::NameError::Reserved) => {
                    return Err(format!(
                        "label name `{}` is reserved: names starting with `__` are for Prometheus",
                        n.escape_debug()
                    ));
                }
            }
            if kind == MetricKind::Histogram && n == "le" {
                return Err("label `le` is reserved on histograms (it names the bucket)".into());
            }
            if labels[..i].iter().any(|(seen, _)| *seen == n) {
                return Err(format!("label `{}` is given twice", n.escape_debug()));
            }
        }
        // Distinct label names that a scraper would see as one: a series with a label given
        // twice, which every parser rejects.
        if let Some(c) = name::first_clash(labels.iter().map(|&(n, _)| n), true) {
            return Err(format!("its labels {c}: rename one of them"));
        }
        let written = key.name();
        let family = match state.index.get(family_key(written, kind)) {
            Some(&i) => i,
            None => self.new_family(state, written, kind, &labels)?,
        };
        let f = &mut state.families[family];
        if f.desc.kind != kind {
            return Err(format!("it is already a {}, not a {}", f.desc.kind.as_str(), kind.as_str()));
        }
        // Every series of a family has the same label names, as client_golang requires.
        let mut values = Vec::with_capacity(labels.len());
        for l in f.desc.labels {
            match labels.iter().find(|(n, _)| *n == l.name) {
                Some((_, v)) => values.push((*v).to_owned()),
                None => break,
            }
        }
        if values.len() != labels.len() || values.len() != f.desc.labels.len() {
            let names: Vec<&str> = f.desc.labels.iter().map(|l| l.name).collect();
            return Err(format!(
                "its series have the labels {names:?}; every series of a metric has the same label names"
            ));
        }
        // The same series may come through several keys: labels in another order, or a counter
        // named with and without `_total`.
        let values = values.into_boxed_slice();
        if let Some(&i) = f.by_values.get(&values) {
            return Ok(f.series[i].1.clone());
        }
        let handle = match kind {
            MetricKind::Counter => Handle::Counter(Arc::default()),
            MetricKind::Gauge => Handle::Gauge(Arc::default()),
            _ => Handle::Histogram(Arc::new(FacadeHistogram(Histogram::new(f.buckets.clone())))),
        };
        f.by_values.insert(values.clone(), f.series.len());
        f.series.push((values, handle.clone()));
        Ok(handle)
    }

    /// Checks the name, claims its sample names in the registry, and adds the family.
    fn new_family(
        &self,
        state: &mut State,
        written: &str,
        kind: MetricKind,
        labels: &[(&str, &str)],
    ) -> Result<usize, String> {
        let base = family_key(written, kind);
        match name::check_name(base, false) {
            Ok(()) => {}
            Err(name::NameError::Empty) => return Err("the name is empty".into()),
            Err(name::NameError::Reserved) => {
                return Err("names starting with `__` are reserved for Prometheus".into());
            }
        }
        // Another name of this recorder that legacy scrapers would see as this one: said here
        // with both names (the registry's own check below would call it a duplicate).
        let legacy = name::legacy_spelling(base, false);
        if let Some(other) = state.legacy.get(&legacy) {
            return Err(format!(
                "`{}` and `{}` are both `{legacy}` for scrapers that take legacy names only: rename one of them",
                other.escape_debug(),
                base.escape_debug()
            ));
        }
        let (help, unit) = state.described.get(&(base.to_owned(), kind)).copied().unwrap_or(("", None));
        let name = intern(base);
        let labels: Vec<LabelDescriptor> = labels.iter().map(|(n, _)| LabelDescriptor::new(intern(n))).collect();
        let mut desc = Descriptor::new(name, help, kind)
            .with_unit(unit_suffix(name, unit))
            .with_labels(Box::leak(labels.into_boxed_slice()));
        desc.location = LOCATION;
        let registry = self.registry.upgrade().ok_or("the registry is gone")?;
        registry.claim(&desc).map_err(|e| e.to_string())?;
        let buckets = self.buckets(written);
        state.index.insert(base.to_owned(), state.families.len());
        state.legacy.insert(legacy, base.to_owned());
        let desc = Box::leak(Box::new(desc));
        state.families.push(Family { desc, buckets, series: Vec::new(), by_values: HashMap::default() });
        Ok(state.families.len() - 1)
    }

    fn describe(&self, key: KeyName, kind: MetricKind, unit: Option<Unit>, help: SharedString) {
        let name = family_key(key.as_str(), kind);
        let help = intern(&help);
        let mut state = self.state.write().unwrap_or_else(PoisonError::into_inner);
        if let Some(&i) = state.index.get(name) {
            let f = &mut state.families[i];
            // The unit is part of the names claimed when the family was made: only the help
            // text can change now.
            if f.desc.help != help {
                f.desc = Box::leak(Box::new(Descriptor { help, ..*f.desc }));
            }
        }
        state.described.insert((name.to_owned(), kind), (help, unit));
    }
}

/// The family a written name belongs to: a counter's without `_total` (the encoders add it), so
/// that `x` and `x_total` are one counter.
fn family_key(written: &str, kind: MetricKind) -> &str {
    match kind {
        MetricKind::Counter => written.strip_suffix("_total").unwrap_or(written),
        _ => written,
    }
}

/// The unit to declare: OpenMetrics wants the name to end with `_<unit>`, so a unit is kept only
/// when it does.
fn unit_suffix(name: &str, unit: Option<Unit>) -> &'static str {
    let unit = match unit {
        Some(Unit::Seconds) => "seconds",
        Some(Unit::Bytes) => "bytes",
        _ => return "",
    };
    if name.strip_suffix(unit).is_some_and(|n| n.ends_with('_')) { unit } else { "" }
}

/// The recorder's metrics as the registry sees them.
struct Source(Arc<Shared>);

impl Collector for Source {
    fn describe(&self, f: &mut dyn FnMut(&Descriptor)) {
        let state = self.0.state.read().unwrap_or_else(PoisonError::into_inner);
        state.families.iter().for_each(|fam| f(fam.desc));
    }

    fn declared_in(&self) -> &'static str {
        LOCATION
    }

    fn collect<E: Encoder>(&self, e: &mut E) {
        let state = self.0.state.read().unwrap_or_else(PoisonError::into_inner);
        for f in &state.families {
            let desc = f.desc;
            e.begin_family(desc);
            for (values, h) in &f.series {
                let labels = Labels { names: desc.labels, values };
                match h {
                    Handle::Counter(c) => c.counter.encode(desc, &labels, e),
                    Handle::Gauge(g) => g.0.encode(desc, &labels, e),
                    Handle::Histogram(h) => h.0.encode(desc, &labels, e),
                    Handle::Refused => {}
                }
            }
            e.end_family(desc);
        }
    }
}

impl metrics::Recorder for Recorder {
    fn describe_counter(&self, key: KeyName, unit: Option<Unit>, description: SharedString) {
        self.shared.describe(key, MetricKind::Counter, unit, description);
    }

    fn describe_gauge(&self, key: KeyName, unit: Option<Unit>, description: SharedString) {
        self.shared.describe(key, MetricKind::Gauge, unit, description);
    }

    fn describe_histogram(&self, key: KeyName, unit: Option<Unit>, description: SharedString) {
        self.shared.describe(key, MetricKind::Histogram, unit, description);
    }

    fn register_counter(&self, key: &Key, _: &Metadata<'_>) -> metrics::Counter {
        match self.shared.handle(key, MetricKind::Counter) {
            Handle::Counter(c) => metrics::Counter::from_arc(c),
            _ => metrics::Counter::noop(),
        }
    }

    fn register_gauge(&self, key: &Key, _: &Metadata<'_>) -> metrics::Gauge {
        match self.shared.handle(key, MetricKind::Gauge) {
            Handle::Gauge(g) => metrics::Gauge::from_arc(g),
            _ => metrics::Gauge::noop(),
        }
    }

    fn register_histogram(&self, key: &Key, _: &Metadata<'_>) -> metrics::Histogram {
        match self.shared.handle(key, MetricKind::Histogram) {
            Handle::Histogram(h) => metrics::Histogram::from_arc(h),
            _ => metrics::Histogram::noop(),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use super::Recorder;
    use crate::{Buckets, Counter, Format, Metrics, Registry};

    fn recorder() -> (Arc<Registry>, Recorder, Arc<Mutex<Vec<String>>>) {
        let registry = Arc::new(Registry::new());
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = seen.clone();
        let r = Recorder::builder(registry.clone())
            .on_error(move |e| log.lock().unwrap_or_else(|p| p.into_inner()).push(e.to_string()))
            .build();
        (registry, r, seen)
    }

    #[test]
    fn every_kind_in_every_format() {
        let (registry, r, _) = recorder();
        metrics::with_local_recorder(&r, || {
            metrics::describe_histogram!("rpc_latency_seconds", metrics::Unit::Seconds, "RPC latency.");
            metrics::counter!("requests_total", "method" => "get", "path" => "/a\"b\\c\nd").increment(3);
            metrics::counter!("requests_total", "method" => "post", "path" => "/").increment(1);
            metrics::gauge!("temperature").set(-1.5);
            metrics::gauge!("temperature").increment(0.5);
            metrics::histogram!("rpc_latency_seconds").record(0.2);
            metrics::histogram!("rpc_latency_seconds").record(20.0);
        });
        let text = registry.render(Format::Prometheus);
        assert!(text.contains("requests_total{method=\"get\",path=\"/a\\\"b\\\\c\\nd\"} 3\n"), "{text}");
        assert!(text.contains("requests_total{method=\"post\",path=\"/\"} 1\n"), "{text}");
        assert!(text.contains("# TYPE requests_total counter\n"), "{text}");
        assert!(text.contains("temperature -1\n"), "{text}");
        assert!(text.contains("# HELP rpc_latency_seconds RPC latency.\n"), "{text}");
        assert!(text.contains("rpc_latency_seconds_bucket{le=\"0.25\"} 1\n"), "{text}");
        assert!(text.contains("rpc_latency_seconds_bucket{le=\"+Inf\"} 2\n"), "{text}");
        assert!(text.contains("rpc_latency_seconds_count 2\n"), "{text}");
        let om = registry.render(Format::OpenMetrics);
        assert!(om.contains("# TYPE requests counter\n"), "{om}");
        assert!(om.contains("# UNIT rpc_latency_seconds seconds\n"), "{om}");
        assert!(om.ends_with("# EOF\n"));
        let json: serde_json::Value = serde_json::from_str(&registry.render(Format::Json)).unwrap_or_default();
        assert_eq!(json["temperature"]["value"], serde_json::json!(-1.0));
        assert_eq!(json["requests_total"]["type"], "counter");
    }

    #[test]
    fn bad_names_are_refused_once_and_never_reach_the_output() {
        let (registry, r, seen) = recorder();
        metrics::with_local_recorder(&r, || {
            for _ in 0..3 {
                metrics::counter!("").increment(1);
                metrics::counter!("__reserved_name").increment(1);
                metrics::counter!("ok", "" => "x").increment(1);
                metrics::counter!("ok", "__reserved" => "x").increment(1);
                metrics::histogram!("h", "le" => "1").record(1.0);
                metrics::gauge!("twice").set(1.0);
                metrics::counter!("twice").increment(1);
                metrics::counter!("ok", "a" => "1", "a" => "2").increment(1);
            }
            metrics::counter!("ok", "good" => "x").increment(1);
        });
        let errors = seen.lock().unwrap_or_else(|p| p.into_inner()).clone();
        assert_eq!(errors.len(), 7, "{errors:#?}");
        assert_eq!(errors, r.errors().iter().map(|e| e.to_string()).collect::<Vec<_>>());
        assert!(errors[0].contains("the name is empty"), "{errors:?}");
        assert!(errors[1].contains("`__reserved_name`") && errors[1].contains("reserved"), "{errors:?}");
        assert!(errors[2].contains("a label name is empty"), "{errors:?}");
        assert!(errors.iter().any(|e| e.contains("`le` is reserved")), "{errors:?}");
        assert!(errors.iter().any(|e| e.contains("already a gauge")), "{errors:?}");
        assert!(errors.iter().any(|e| e.contains("label `a` is given twice")), "{errors:?}");
        let text = registry.render(Format::Prometheus);
        assert!(!text.contains("__reserved") && !text.contains("h_bucket"), "{text}");
        assert!(text.contains("ok_total{good=\"x\"} 1\n"), "{text}");
        assert!(text.contains("twice 1\n"), "{text}");
    }

    #[test]
    fn utf8_names_are_served_through_every_scheme() {
        use crate::{Escaping, RenderOptions};
        let (registry, r, seen) = recorder();
        metrics::with_local_recorder(&r, || {
            metrics::describe_counter!("http.server.requests", "Requests served.");
            metrics::counter!("http.server.requests", "http.request.method" => "get", "code" => "200").increment(2);
            metrics::gauge!("größe").set(3.0);
            metrics::histogram!("rpc.duration", "rpc.method" => "x").record(0.2);
        });
        assert!(seen.lock().unwrap_or_else(|p| p.into_inner()).is_empty());
        let render = |format, scheme| {
            let mut out = Vec::new();
            registry.render_into(&RenderOptions::new(format).with_escaping(scheme), &mut out);
            String::from_utf8(out).unwrap_or_default()
        };
        let utf8 = render(Format::Prometheus, Escaping::AllowUtf8);
        assert!(utf8.contains("# HELP \"http.server.requests_total\" Requests served.\n"), "{utf8}");
        assert!(
            utf8.contains("{\"http.server.requests_total\",\"http.request.method\"=\"get\",code=\"200\"} 2\n"),
            "{utf8}"
        );
        assert!(utf8.contains("{\"größe\"} 3\n"), "{utf8}");
        assert!(utf8.contains("{\"rpc.duration_bucket\",\"rpc.method\"=\"x\",le=\"0.25\"} 1\n"), "{utf8}");
        let om = render(Format::OpenMetrics, Escaping::AllowUtf8);
        assert!(om.contains("# TYPE \"http.server.requests\" counter\n"), "{om}");
        for (scheme, requests, method, size, bucket) in [
            (
                Escaping::Underscores,
                "http_server_requests_total",
                "http_request_method",
                "gr__e",
                "rpc_duration_bucket",
            ),
            (
                Escaping::Dots,
                "http_dot_server_dot_requests__total",
                "http_dot_request_dot_method",
                "gr__e",
                "rpc_dot_duration__bucket",
            ),
            (
                Escaping::Values,
                "U__http_2e_server_2e_requests__total",
                "U__http_2e_request_2e_method",
                "U__gr_f6__df_e",
                "U__rpc_2e_duration__bucket",
            ),
        ] {
            let text = render(Format::Prometheus, scheme);
            assert!(text.contains(&format!("\n{requests}{{{method}=\"get\",code=\"200\"}} 2\n")), "{scheme:?}\n{text}");
            assert!(text.contains(&format!("\n{size} 3\n")), "{scheme:?}\n{text}");
            assert!(text.contains(&format!("\n{bucket}{{")), "{scheme:?}\n{text}");
            assert!(!text.contains('"') || !text.contains("{\""), "{scheme:?}\n{text}");
        }
        // JSON keeps the names as written.
        let json: serde_json::Value = serde_json::from_str(&registry.render(Format::Json)).unwrap_or_default();
        assert_eq!(json["http.server.requests_total"]["help"], "Requests served.");
        assert_eq!(json["größe"]["value"], serde_json::json!(3.0));
    }

    #[test]
    fn names_a_scraper_would_merge_are_refused_once() {
        let (registry, r, seen) = recorder();
        metrics::with_local_recorder(&r, || {
            for _ in 0..3 {
                metrics::counter!("http.requests").increment(1);
                // The same legacy name, written otherwise: refused, not merged.
                metrics::counter!("http_requests_total", "x" => "1").increment(1);
                metrics::counter!("http/requests", "x" => "2").increment(1);
                // Label names that one scheme or another spells alike.
                metrics::gauge!("g1", "http.method" => "a", "http_method" => "b").set(1.0);
                metrics::gauge!("g2", "a--b" => "a", "a_b" => "b").set(1.0);
                metrics::gauge!("g3", "U__a_2e_b" => "a", "a.b" => "b").set(1.0);
            }
        });
        let errors = seen.lock().unwrap_or_else(|p| p.into_inner()).clone();
        assert_eq!(
            errors,
            [
                "metrics facade: `http_requests_total` is not recorded: `http.requests` and `http_requests` are both `http_requests` for scrapers that take legacy names only: rename one of them",
                "metrics facade: `http/requests` is not recorded: `http.requests` and `http/requests` are both `http_requests` for scrapers that take legacy names only: rename one of them",
                "metrics facade: `g1` is not recorded: its labels `http.method` and `http_method` are both `http_method` for scrapers that ask for `escaping=underscores`: rename one of them",
                "metrics facade: `g2` is not recorded: its labels `a--b` and `a_b` are both `a__b` for scrapers that ask for `escaping=dots`: rename one of them",
                "metrics facade: `g3` is not recorded: its labels `U__a_2e_b` and `a.b` are both `U__a_2e_b` for scrapers that ask for `escaping=values`: rename one of them",
            ]
        );
        let text = registry.render(Format::Prometheus);
        assert_eq!(text, "# TYPE http_requests_total counter\nhttp_requests_total 3\n");
    }

    #[derive(Metrics)]
    struct Derived {
        /// Jobs done.
        jobs: Counter,
    }

    #[test]
    fn a_name_taken_by_a_derived_struct_is_refused() {
        static DERIVED: std::sync::LazyLock<Derived> = std::sync::LazyLock::new(Derived::default);
        let (registry, r, seen) = recorder();
        registry.register(&DERIVED).unwrap_or_else(|e| panic!("{e}"));
        metrics::with_local_recorder(&r, || {
            metrics::counter!("jobs_total").increment(5);
            metrics::gauge!("jobs_created").set(1.0);
        });
        let errors = seen.lock().unwrap_or_else(|p| p.into_inner()).clone();
        assert_eq!(errors.len(), 2, "{errors:?}");
        assert!(errors[0].contains("jobs_total"), "{errors:?}");
        assert!(registry.render(Format::Prometheus).contains("jobs_total 0\n"));
        // And the other way round: a derived struct after the facade claimed its names.
        let (registry, r, _) = recorder();
        metrics::with_local_recorder(&r, || metrics::counter!("jobs").increment(1));
        assert!(registry.register(&DERIVED).is_err());
    }

    #[test]
    fn buckets_are_configurable_and_help_may_come_late() {
        let registry = Arc::new(Registry::new());
        let r = Recorder::builder(registry.clone())
            .buckets(Buckets::new(vec![1.0, 2.0]).unwrap_or_default())
            .buckets_for("exact", Buckets::new(vec![10.0]).unwrap_or_default())
            .build();
        metrics::with_local_recorder(&r, || {
            metrics::histogram!("any").record(1.5);
            metrics::histogram!("exact").record(1.5);
            metrics::describe_histogram!("any", "Described after the first record.");
        });
        let text = registry.render(Format::Prometheus);
        assert!(text.contains("any_bucket{le=\"2\"} 1\n") && !text.contains("any_bucket{le=\"10\"}"), "{text}");
        assert!(text.contains("exact_bucket{le=\"10\"} 1\n") && !text.contains("exact_bucket{le=\"2\"}"), "{text}");
        assert!(text.contains("# HELP any Described after the first record.\n"), "{text}");
        assert!(!text.contains("summary"), "{text}");
    }

    #[test]
    fn concurrent_updates_are_never_lost() {
        let (registry, r, _) = recorder();
        let r = Arc::new(r);
        let threads: Vec<_> = (0..4)
            .map(|t| {
                let r = r.clone();
                std::thread::spawn(move || {
                    metrics::with_local_recorder(&*r, || {
                        for i in 0..5000u64 {
                            metrics::counter!("hits", "shard" => (i % 3).to_string()).increment(1);
                            metrics::counter!("hits_by_thread", "t" => t.to_string()).increment(1);
                        }
                    })
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap_or_else(|_| panic!("thread panicked"));
        }
        let text = registry.render(Format::Prometheus);
        let total: u64 = text
            .lines()
            .filter(|l| l.starts_with("hits_total{"))
            .filter_map(|l| l.rsplit(' ').next()?.parse::<u64>().ok())
            .sum();
        assert_eq!(total, 20_000, "{text}");
        assert_eq!(text.lines().filter(|l| l.starts_with("hits_by_thread_total{")).count(), 4);
    }

    #[test]
    fn one_series_whatever_key_reaches_it() {
        let (registry, r, seen) = recorder();
        metrics::with_local_recorder(&r, || {
            metrics::describe_counter!("writes_total", "Writes.");
            metrics::counter!("writes", "a" => "1", "b" => "2").increment(1);
            metrics::counter!("writes_total", "a" => "1", "b" => "2").increment(2);
            metrics::counter!("writes", "b" => "2", "a" => "1").increment(4);
            metrics::counter!("writes", "a" => "1").increment(1);
        });
        let text = registry.render(Format::Prometheus);
        assert_eq!(text, "# HELP writes_total Writes.\n# TYPE writes_total counter\nwrites_total{a=\"1\",b=\"2\"} 7\n");
        let errors = seen.lock().unwrap_or_else(|p| p.into_inner()).clone();
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(errors[0].contains("every series of a metric has the same label names"), "{errors:?}");
    }

    #[test]
    fn absolute_raises_a_counter() {
        let (registry, r, _) = recorder();
        metrics::with_local_recorder(&r, || {
            metrics::counter!("read_elsewhere").absolute(10);
            metrics::counter!("read_elsewhere").absolute(4);
            metrics::counter!("read_elsewhere").absolute(12);
        });
        assert!(registry.render(Format::Prometheus).contains("read_elsewhere_total 12\n"));
    }
}
