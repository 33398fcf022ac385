//! Metrics whose value is read from a closure at scrape time.

use std::fmt;
use std::sync::OnceLock;

use crate::clock::{seconds, unique_nanos};
use crate::descriptor::{Descriptor, LabelDescriptor, MetricKind};
use crate::encoding::{Encoder, Number, SampleValue};
use crate::metric::Collect;

type ReadFn = Box<dyn Fn() -> Number + Send + Sync>;

/// The closure of a callback metric: set once, called at every scrape.
#[derive(Default)]
struct ReadCell(OnceLock<ReadFn>);

impl ReadCell {
    const fn new() -> Self {
        ReadCell(OnceLock::new())
    }

    fn set<N: Into<Number>>(&self, f: impl Fn() -> N + Send + Sync + 'static) -> bool {
        self.0.set(Box::new(move || f().into())).is_ok()
    }

    fn read(&self) -> Option<Number> {
        self.0.get().map(|f| f())
    }
}

/// A gauge read from a closure at every scrape (memory usage, a connection's state, ...).
///
/// Note: until [`set`](Self::set) is called the metric is left out of every format (its name
/// is still taken, and the catalog lists it), as client_golang leaves out a family with no
/// metric: a `# HELP`/`# TYPE` pair with no sample would tell a reader nothing but that a
/// closure was forgotten (a derived `Default` leaves it unset).
///
/// ```
/// use metrics_core::GaugeFn;
/// let g = GaugeFn::new();
/// g.set(|| 42_u64);
/// assert_eq!(g.read(), Some(metrics_core::Number::U64(42)));
/// ```
#[derive(Default)]
pub struct GaugeFn {
    f: ReadCell,
}

impl GaugeFn {
    /// A gauge with no closure yet.
    pub const fn new() -> Self {
        GaugeFn { f: ReadCell::new() }
    }

    /// Sets the closure; it can be set once, and `false` is returned if one was already set.
    pub fn set<N: Into<Number>>(&self, f: impl Fn() -> N + Send + Sync + 'static) -> bool {
        self.f.set(f)
    }

    /// Calls the closure.
    pub fn read(&self) -> Option<Number> {
        self.f.read()
    }
}

impl fmt::Debug for GaugeFn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GaugeFn").field("value", &self.read()).finish()
    }
}

impl Collect for GaugeFn {
    const KIND: MetricKind = MetricKind::Gauge;
    const LABELS: &'static [LabelDescriptor] = &[];
    const IS_FAMILY: bool = false;

    fn from_descriptor(_: &'static Descriptor) -> Self {
        Self::new()
    }

    fn collect<E: Encoder>(&self, desc: &'static Descriptor, e: &mut E) {
        // No closure, no family (see the type's docs).
        if let Some(v) = self.read() {
            e.begin_family(desc);
            e.sample(desc, &(), SampleValue::Gauge(v));
            e.end_family(desc);
        }
    }
}

/// A counter read from a closure at every scrape (a total kept by another library, CPU seconds,
/// ...). The closure must return a value that never decreases.
///
/// Note: until [`set`](Self::set) is called the metric is left out of every format, as an
/// unset [`GaugeFn`] is.
///
/// ```
/// use metrics_core::CounterFn;
/// let c = CounterFn::new();
/// c.set(|| 7_u64);
/// assert_eq!(c.read(), Some(metrics_core::Number::U64(7)));
/// ```
pub struct CounterFn {
    f: ReadCell,
    created: f64,
}

impl CounterFn {
    /// A counter with no closure yet.
    pub fn new() -> Self {
        CounterFn { f: ReadCell::new(), created: seconds(unique_nanos()) }
    }

    /// Sets the closure; it can be set once, and `false` is returned if one was already set.
    pub fn set<N: Into<Number>>(&self, f: impl Fn() -> N + Send + Sync + 'static) -> bool {
        self.f.set(f)
    }

    /// Calls the closure.
    pub fn read(&self) -> Option<Number> {
        self.f.read()
    }
}

impl Default for CounterFn {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for CounterFn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CounterFn").field("value", &self.read()).finish()
    }
}

impl Collect for CounterFn {
    const KIND: MetricKind = MetricKind::Counter;
    const LABELS: &'static [LabelDescriptor] = &[];
    const IS_FAMILY: bool = false;

    fn from_descriptor(_: &'static Descriptor) -> Self {
        Self::new()
    }

    fn collect<E: Encoder>(&self, desc: &'static Descriptor, e: &mut E) {
        // No closure, no family (see the type's docs).
        if let Some(value) = self.read() {
            e.begin_family(desc);
            e.sample(desc, &(), SampleValue::Counter { value, created: self.created });
            e.end_family(desc);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use crate::{CounterFn, Format, GaugeFn, Metrics, Registry, RenderOptions};

    #[derive(Metrics)]
    struct M {
        /// Bytes in use.
        memory_usage: GaugeFn,
        /// Jobs done elsewhere.
        jobs: CounterFn,
        /// A gauge beside them.
        up: crate::Gauge,
    }

    fn render(r: &Registry, format: Format) -> String {
        let mut out = Vec::new();
        r.render_into(&RenderOptions::new(format), &mut out);
        String::from_utf8_lossy(&out).into_owned()
    }

    #[test]
    fn an_unset_callback_is_left_out_of_every_format() {
        let m = Arc::new(M::default());
        let r = Registry::new();
        r.register_arc(m.clone()).unwrap_or_else(|e| panic!("{e}"));
        for format in [Format::Prometheus, Format::OpenMetrics, Format::Json, Format::Protobuf] {
            let text = render(&r, format);
            assert!(!text.contains("memory_usage") && !text.contains("jobs"), "{format:?}: {text}");
            assert!(text.contains("up"), "{format:?}: {text}");
        }
        assert_eq!(render(&r, Format::Prometheus), "# HELP up A gauge beside them.\n# TYPE up gauge\nup 0\n");
        // Still named: the catalog lists it and nothing else may take its name.
        assert!(r.catalog().to_markdown().contains("memory_usage"));
        m.memory_usage.set(|| 42_u64);
        m.jobs.set(|| 7_u64);
        let text = render(&r, Format::Prometheus);
        assert!(text.contains("# TYPE memory_usage gauge\nmemory_usage 42\n"), "{text}");
        assert!(text.contains("# TYPE jobs_total counter\njobs_total 7\n"), "{text}");
        let json: serde_json::Value = serde_json::from_str(&render(&r, Format::Json)).unwrap_or_default();
        assert_eq!(json["memory_usage"]["value"], serde_json::json!(42.0));
    }
}
