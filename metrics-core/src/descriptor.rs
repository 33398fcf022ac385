//! Static descriptions of metrics: what the derive emits and what the encoders and catalog read.

use serde::Serialize;

pub use crate::name::MetricKind;

impl Serialize for MetricKind {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// One label of a metric family: its name and, for fixed-cardinality enum labels, every value it
/// can take.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct LabelDescriptor {
    /// The label name as exposed.
    pub name: &'static str,
    /// All values the label can take, when it is an enum deriving `LabelValue`; empty otherwise.
    pub values: &'static [&'static str],
    /// What the label means: the doc comment of its `LabelSet` field; empty when none.
    #[serde(skip_serializing_if = "str::is_empty")]
    pub help: &'static str,
}

impl LabelDescriptor {
    /// A label with the given name, no fixed values and no help text.
    pub const fn new(name: &'static str) -> Self {
        LabelDescriptor { name, values: &[], help: "" }
    }
}

/// The static description of one metric family.
///
/// The derive emits one per field as a `const`; hand-written [`Metrics`](crate::Metrics)
/// implementations build them with [`Descriptor::new`] and its `const` builder methods.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Descriptor {
    /// The family name, unit suffix included. Counters are named without `_total`: the encoders
    /// append it (see [`Descriptor::legacy_name`]).
    pub name: &'static str,
    /// The help text.
    pub help: &'static str,
    /// The metric type.
    pub kind: MetricKind,
    /// The unit (`"seconds"`, `"bytes"`), empty when none. The name ends with `_<unit>`.
    pub unit: &'static str,
    /// The labels of the family, empty for an unlabelled metric.
    pub labels: &'static [LabelDescriptor],
    /// Histogram bucket upper bounds (without `+Inf`); empty for other types.
    pub buckets: &'static [f64],
    /// Native bucket settings of a histogram that has native buckets; `None` otherwise.
    pub native: Option<crate::metric::native::NativeBuckets>,
    /// Summary quantiles; empty for other types.
    pub quantiles: &'static [f64],
    /// Summary sliding-window length in seconds; 0 for the default (600 s).
    pub max_age_secs: u64,
    /// The most series a family may hold; 0 for no limit.
    pub limit: usize,
    /// For counters: expose `name` unchanged in Prometheus text, without appending `_total`.
    /// OpenMetrics still suffixes the samples with `_total`, as the specification requires.
    pub legacy_name: bool,
    /// Where the metric was declared (`module::Type.field (file:line)`), for error messages.
    pub location: &'static str,
}

impl Descriptor {
    /// A descriptor with the given name, help and type and nothing else set.
    pub const fn new(name: &'static str, help: &'static str, kind: MetricKind) -> Self {
        Descriptor {
            name,
            help,
            kind,
            unit: "",
            labels: &[],
            buckets: &[],
            native: None,
            quantiles: &[],
            max_age_secs: 0,
            limit: 0,
            legacy_name: false,
            location: "",
        }
    }

    /// Sets the unit. The name must already end with `_<unit>`.
    pub const fn with_unit(mut self, unit: &'static str) -> Self {
        self.unit = unit;
        self
    }

    /// Sets the labels.
    pub const fn with_labels(mut self, labels: &'static [LabelDescriptor]) -> Self {
        self.labels = labels;
        self
    }

    /// Sets the histogram buckets.
    pub const fn with_buckets(mut self, buckets: &'static [f64]) -> Self {
        self.buckets = buckets;
        self
    }

    /// Gives a histogram native buckets with these settings (besides its classic `buckets`,
    /// if any).
    pub const fn with_native(mut self, native: crate::metric::native::NativeBuckets) -> Self {
        self.native = Some(native);
        self
    }

    /// Sets the summary quantiles.
    pub const fn with_quantiles(mut self, quantiles: &'static [f64]) -> Self {
        self.quantiles = quantiles;
        self
    }

    /// Sets where the metric was declared.
    pub const fn with_location(mut self, location: &'static str) -> Self {
        self.location = location;
        self
    }

    /// The name of the family in Prometheus text `# HELP`/`# TYPE` lines and samples, JSON,
    /// protobuf and the catalog: counters carry `_total` (unless
    /// [`legacy_name`](Self::legacy_name)), as client_golang does, and info metrics `_info`, as
    /// their OpenMetrics samples do. Returned as `(base, suffix)` so that no string is built. See
    /// [`name::exposed_name`](crate::name::exposed_name).
    pub const fn prometheus_name(&self) -> (&'static str, &'static str) {
        crate::name::exposed_name(self.name, self.kind, self.legacy_name)
    }

    /// The family name of OpenMetrics metadata lines: the name without `_info` for an info
    /// metric. See [`name::openmetrics_family`](crate::name::openmetrics_family).
    pub const fn openmetrics_family(&self) -> &'static str {
        crate::name::openmetrics_family(self.name, self.kind)
    }

    /// Every name the family takes in any format (see
    /// [`name::sample_names`](crate::name::sample_names)).
    pub const fn sample_names(&self) -> ([(&'static str, &'static str); 5], usize) {
        crate::name::sample_names(self.name, self.kind, self.legacy_name)
    }
}

/// One field of a [`Metrics`](crate::Metrics) struct: a metric family, or a flattened struct.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum MetricsItem {
    /// A metric family declared by a field.
    Metric(Descriptor),
    /// A nested `Metrics` struct whose metrics are inlined.
    Flatten(&'static MetricsInfo),
}

/// The static description of a [`Metrics`](crate::Metrics) type: its metrics in field order.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MetricsInfo {
    /// The Rust type's name.
    pub type_name: &'static str,
    /// The fields, in declaration order.
    pub items: &'static [MetricsItem],
}

impl MetricsInfo {
    /// Calls `f` with every descriptor, flattened structs included, in output order.
    pub fn for_each(&self, f: &mut impl FnMut(&'static Descriptor)) {
        for item in self.items {
            match item {
                MetricsItem::Metric(d) => f(d),
                MetricsItem::Flatten(info) => info.for_each(f),
            }
        }
    }

    /// Calls `f` with every descriptor and the name of the type that declares it (a flattened
    /// struct's own), in output order.
    pub fn for_each_declared(&self, f: &mut dyn FnMut(&'static Descriptor, &'static str)) {
        for item in self.items {
            match item {
                MetricsItem::Metric(d) => f(d, self.type_name),
                MetricsItem::Flatten(info) => info.for_each_declared(f),
            }
        }
    }

    /// Every descriptor, flattened structs included, in output order.
    pub fn descriptors(&'static self) -> Vec<&'static Descriptor> {
        let mut out = Vec::new();
        self.for_each(&mut |d| out.push(d));
        out
    }
}
