//! The catalog: every metric's static description, rendered as Markdown or JSON so that an
//! application can generate the reference page of its metrics.

use std::fmt::Write;

use serde::Serialize;

use crate::Metrics;
use crate::descriptor::{Descriptor, LabelDescriptor, MetricKind, MetricsInfo};
use crate::metric::summary::DEFAULT_MAX_AGE;

/// One metric of the catalog.
#[derive(Debug, Clone, Serialize)]
pub struct CatalogEntry {
    /// The name as declared and exposed to scrapers that take UTF-8 names (counters with
    /// `_total`).
    pub name: String,
    /// The name legacy scrapers see (`underscores`-escaped: `http_server_requests_total` for
    /// `http.server.requests_total`), when it differs from [`name`](Self::name).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub legacy_name: Option<String>,
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
    /// Native bucket settings of a histogram that has native buckets (JSON:
    /// `{"schema": 3, "max_buckets": 160, "zero_threshold": 2.938735877055719e-39}`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub native: Option<crate::metric::native::NativeBuckets>,
    /// Summary quantiles.
    #[serde(skip_serializing_if = "<[f64]>::is_empty")]
    pub quantiles: &'static [f64],
    /// For summaries, the sliding window in seconds (the default when none was declared).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_age_secs: Option<u64>,
    /// The most series the family holds, when limited.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<usize>,
    /// The Rust type that declares it: for a flattened struct's metric, that struct.
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
        info.for_each_declared(&mut |d, declared_in| self.add_descriptor(d, declared_in));
    }

    /// Adds one metric, declared in `declared_in`.
    pub(crate) fn add_descriptor(&mut self, d: &Descriptor, declared_in: &'static str) {
        let (base, suffix) = d.prometheus_name();
        let max_age_secs = match (d.kind, d.max_age_secs) {
            (MetricKind::Summary, 0) => Some(DEFAULT_MAX_AGE.as_secs()),
            (MetricKind::Summary, secs) => Some(secs),
            _ => None,
        };
        let name = format!("{base}{suffix}");
        let legacy = crate::name::legacy_spelling(&name, false);
        self.metrics.push(CatalogEntry {
            legacy_name: (legacy != name).then_some(legacy),
            name,
            kind: d.kind,
            unit: d.unit,
            help: d.help,
            labels: d.labels,
            buckets: d.buckets,
            native: d.native,
            quantiles: d.quantiles,
            max_age_secs,
            limit: (d.limit != 0).then_some(d.limit),
            declared_in,
        });
    }

    /// The catalog as pretty-printed JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// The catalog as a Markdown table: name (and, for a name outside the legacy set, the
    /// spelling legacy scrapers see), type (with buckets, quantiles, window and series limit),
    /// unit, help, labels (with enum values, legacy spellings and what each label means).
    ///
    /// ```
    /// use metrics_core::{Catalog, Counter, Family, LabelSet, Metrics};
    /// #[derive(LabelSet)]
    /// struct Request {
    ///     #[label(rename = "http.request.method")]
    ///     method: String,
    /// }
    /// #[derive(Metrics)]
    /// struct M {
    ///     /// Requests served.
    ///     #[metric(name = "http.server.requests")]
    ///     requests: Family<Request, Counter>,
    /// }
    /// let catalog = Catalog::of::<M>();
    /// let md = catalog.to_markdown();
    /// assert!(md.contains("| `http.server.requests_total`<br>legacy: `http_server_requests_total` | counter |  | Requests served. | `http.request.method` (legacy: `http_request_method`) |"), "{md}");
    /// assert_eq!(catalog.metrics[0].legacy_name.as_deref(), Some("http_server_requests_total"));
    /// ```
    pub fn to_markdown(&self) -> String {
        let mut s = String::from("| Metric | Type | Unit | Help | Labels |\n|---|---|---|---|---|\n");
        for m in &self.metrics {
            let described = m.labels.iter().any(|l| !l.help.is_empty());
            let labels: Vec<String> = m
                .labels
                .iter()
                .map(|l| {
                    let mut out = format!("`{}`", l.name);
                    let legacy = crate::name::legacy_spelling(l.name, true);
                    if legacy != l.name {
                        let _ = write!(out, " (legacy: `{legacy}`)");
                    }
                    if !l.values.is_empty() {
                        let values = l.values.iter().map(|v| format!("`{v}`")).collect::<Vec<_>>().join(", ");
                        let _ = write!(out, " ({values})");
                    }
                    if !l.help.is_empty() {
                        let _ = write!(out, ": {}", cell(l.help));
                    }
                    out
                })
                .collect();
            let mut kind = m.kind.as_str().to_owned();
            if !m.buckets.is_empty() {
                let _ = write!(kind, " (buckets {})", join(m.buckets));
            }
            if let Some(n) = &m.native {
                let _ = write!(
                    kind,
                    " (native: schema {}, at most {} buckets, zero threshold {:e})",
                    n.schema(),
                    n.max_buckets(),
                    n.zero_threshold()
                );
            }
            if !m.quantiles.is_empty() {
                let _ = write!(kind, " (quantiles {})", join(m.quantiles));
            }
            if let Some(secs) = m.max_age_secs {
                let _ = write!(kind, " (window {secs} s)");
            }
            if let Some(limit) = m.limit {
                let _ = write!(kind, " (at most {limit} series)");
            }
            // A label's help may hold commas: one label per line then.
            let labels = labels.join(if described { "<br>" } else { ", " });
            let name = match &m.legacy_name {
                Some(legacy) => format!("`{}`<br>legacy: `{legacy}`", cell(&m.name)),
                None => format!("`{}`", m.name),
            };
            let _ = writeln!(s, "| {name} | {} | {} | {} | {} |", kind, m.unit, cell(m.help), labels);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::descriptor::MetricsItem;

    const ROUTE: &[LabelDescriptor] = &[
        LabelDescriptor { name: "route", values: &[], help: "The route pattern, as in `/v1/{id}`." },
        LabelDescriptor { name: "class", values: &["ok", "error"], help: "" },
    ];

    static INNER: MetricsInfo = MetricsInfo {
        type_name: "Inner",
        items: &[MetricsItem::Metric(Descriptor::new("pause_seconds", "Pauses.", MetricKind::Summary))],
    };

    static OUTER: MetricsInfo = MetricsInfo {
        type_name: "Outer",
        items: &[
            MetricsItem::Metric(Descriptor {
                limit: 100,
                ..Descriptor::new("requests", "Requests.", MetricKind::Counter).with_labels(ROUTE)
            }),
            MetricsItem::Flatten(&INNER),
        ],
    };

    struct Outer;

    impl crate::Metrics for Outer {
        const INFO: &'static MetricsInfo = &OUTER;
        fn encode<E: crate::Encoder>(&self, _: &mut E) {}
    }

    #[test]
    fn a_registry_catalog_names_the_flattened_struct() {
        let registry = crate::Registry::new();
        registry.register_arc(std::sync::Arc::new(Outer)).unwrap_or_else(|e| panic!("{e}"));
        let declared: Vec<_> = registry.catalog().metrics.iter().map(|m| m.declared_in).collect();
        assert_eq!(declared, ["Outer", "Inner"]);
    }

    #[test]
    fn entries_say_where_they_are_declared_and_how_they_are_bounded() {
        let mut c = Catalog::default();
        c.add_info(&OUTER);
        let [requests, pause] = &c.metrics[..] else { panic!("{c:?}") };
        assert_eq!((requests.declared_in, requests.limit, requests.max_age_secs), ("Outer", Some(100), None));
        assert_eq!((pause.declared_in, pause.limit, pause.max_age_secs), ("Inner", None, Some(600)));
        let json = c.to_json();
        assert!(json.contains("\"help\": \"The route pattern, as in `/v1/{id}`.\""), "{json}");
        assert!(json.contains("\"limit\": 100") && json.contains("\"max_age_secs\": 600"), "{json}");
        let md = c.to_markdown();
        assert!(md.contains("| `requests_total` | counter (at most 100 series) |  | Requests. | `route`: The route pattern, as in `/v1/{id}`.<br>`class` (`ok`, `error`) |"), "{md}");
        assert!(md.contains("| `pause_seconds` | summary (window 600 s) |"), "{md}");
    }
}
