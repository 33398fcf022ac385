//! The catalog: every metric's static description, rendered as Markdown or JSON so that an
//! application can generate the reference page of its metrics.

use std::fmt::Write;

use serde::Serialize;

use crate::Metrics;
use crate::descriptor::{Descriptor, LabelDescriptor, MetricKind, MetricsInfo};

/// One metric of the catalog.
#[derive(Debug, Clone, Serialize)]
pub struct CatalogEntry {
    /// The name as exposed in Prometheus text (counters with `_total`).
    pub name: String,
    /// The metric type.
    #[serde(rename = "type")]
    pub kind: MetricKind,
    /// The unit, empty when none.
    #[serde(skip_serializing_if = "str::is_empty")]
    pub unit: &'static str,
    /// The help text.
    pub help: &'static str,
    /// The labels and, for enum labels, their values.
    pub labels: &'static [LabelDescriptor],
    /// Histogram bucket bounds.
    #[serde(skip_serializing_if = "<[f64]>::is_empty")]
    pub buckets: &'static [f64],
    /// Summary quantiles.
    #[serde(skip_serializing_if = "<[f64]>::is_empty")]
    pub quantiles: &'static [f64],
    /// The Rust type that declares it.
    pub declared_in: &'static str,
}

/// A list of metrics with their static descriptions.
///
/// ```
/// use metrics_core::{Catalog, Counter, Metrics};
/// #[derive(Metrics)]
/// struct M {
///     /// Messages delivered.
///     delivered: Counter,
/// }
/// let md = Catalog::of::<M>().to_markdown();
/// assert!(md.contains("| `delivered_total` | counter |  | Messages delivered. |  |"), "{md}");
/// ```
#[derive(Debug, Clone, Default, Serialize)]
pub struct Catalog {
    /// The metrics, in output order.
    pub metrics: Vec<CatalogEntry>,
}

impl Catalog {
    /// The catalog of one `Metrics` type.
    pub fn of<T: Metrics>() -> Self {
        let mut c = Catalog::default();
        c.add_info(T::INFO);
        c
    }

    /// Adds every metric of a `Metrics` type.
    pub fn add<T: Metrics>(&mut self) -> &mut Self {
        self.add_info(T::INFO);
        self
    }

    pub(crate) fn add_info(&mut self, info: &'static MetricsInfo) {
        info.for_each(&mut |d: &'static Descriptor| self.add_descriptor(d, info.type_name));
    }

    /// Adds one metric, declared in `declared_in`.
    pub(crate) fn add_descriptor(&mut self, d: &Descriptor, declared_in: &'static str) {
        let (base, suffix) = d.prometheus_name();
        self.metrics.push(CatalogEntry {
            name: format!("{base}{suffix}"),
            kind: d.kind,
            unit: d.unit,
            help: d.help,
            labels: d.labels,
            buckets: d.buckets,
            quantiles: d.quantiles,
            declared_in,
        });
    }

    /// The catalog as pretty-printed JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// The catalog as a Markdown table: name, type, unit, help, labels (with enum values).
    pub fn to_markdown(&self) -> String {
        let mut s = String::from("| Metric | Type | Unit | Help | Labels |\n|---|---|---|---|---|\n");
        for m in &self.metrics {
            let labels: Vec<String> = m
                .labels
                .iter()
                .map(|l| {
                    if l.values.is_empty() {
                        format!("`{}`", l.name)
                    } else {
                        format!(
                            "`{}` ({})",
                            l.name,
                            l.values.iter().map(|v| format!("`{v}`")).collect::<Vec<_>>().join(", ")
                        )
                    }
                })
                .collect();
            let mut kind = m.kind.as_str().to_owned();
            if !m.buckets.is_empty() {
                let _ = write!(kind, " (buckets {})", join(m.buckets));
            }
            if !m.quantiles.is_empty() {
                let _ = write!(kind, " (quantiles {})", join(m.quantiles));
            }
            let _ = writeln!(s, "| `{}` | {} | {} | {} | {} |", m.name, kind, m.unit, cell(m.help), labels.join(", "));
        }
        s
    }
}

fn join(v: &[f64]) -> String {
    v.iter().map(|x| x.to_string()).collect::<Vec<_>>().join(", ")
}

/// Help text inside a Markdown table cell: pipes escaped, newlines folded.
fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}
