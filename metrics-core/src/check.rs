//! Rules checked in `const` context, so that the derive (through generated `const` items spanned
//! at the offending field) and hand-written code share them. A rule broken here is a compile
//! error in the user's crate.

use crate::descriptor::{Descriptor, MetricKind, MetricsInfo, MetricsItem};
use crate::name::{ends_with, str_eq};

/// A message assembled in `const` context (no allocation is possible there).
#[derive(Debug, Clone, Copy)]
pub struct Msg {
    buf: [u8; 512],
    len: usize,
}

impl Msg {
    /// An empty message.
    pub const fn new() -> Self {
        Msg { buf: [0; 512], len: 0 }
    }

    /// Appends `s`, or nothing if it does not fit whole.
    pub const fn push(mut self, s: &str) -> Self {
        let b = s.as_bytes();
        if self.len + b.len() > self.buf.len() {
            return self;
        }
        let mut i = 0;
        while i < b.len() {
            self.buf[self.len + i] = b[i];
            i += 1;
        }
        self.len += b.len();
        self
    }

    /// Whether nothing was written.
    pub const fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The message.
    pub const fn as_str(&self) -> &str {
        match core::str::from_utf8(self.buf.split_at(self.len).0) {
            Ok(s) => s,
            Err(_) => "",
        }
    }
}

impl Default for Msg {
    fn default() -> Self {
        Self::new()
    }
}

/// Checks the rules of one metric that depend on its type (known only once types are resolved):
/// returns the error message, or an empty one.
pub const fn check_metric(d: &Descriptor, is_family: bool) -> Msg {
    let m = Msg::new();
    match d.kind {
        MetricKind::Counter if !d.legacy_name && ends_with(d.name, "_total") => {
            return m
                .push("counter `")
                .push(d.name)
                .push("` already ends in `_total`, which the formats append: remove the suffix from the name, or add `legacy_name` to expose the name exactly as written in Prometheus text");
        }
        _ => {}
    }
    if !d.buckets.is_empty() && !matches!(d.kind, MetricKind::Histogram) {
        return m
            .push("`buckets` applies to histograms only, and `")
            .push(d.name)
            .push("` is a ")
            .push(d.kind.as_str());
    }
    if (!d.quantiles.is_empty() || d.max_age_secs != 0) && !matches!(d.kind, MetricKind::Summary) {
        return m
            .push("`quantiles` and `max_age` apply to summaries only, and `")
            .push(d.name)
            .push("` is a ")
            .push(d.kind.as_str());
    }
    if d.limit != 0 && !is_family {
        return m.push("`limit` applies to families only, and `").push(d.name).push("` is not a `Family`");
    }
    if d.legacy_name && !matches!(d.kind, MetricKind::Counter) {
        return m
            .push("`legacy_name` applies to counters only, and `")
            .push(d.name)
            .push("` is a ")
            .push(d.kind.as_str());
    }
    let mut i = 0;
    while i < d.labels.len() {
        let l = d.labels[i].name;
        if matches!(d.kind, MetricKind::Histogram) && str_eq(l, "le") {
            return m
                .push("histogram `")
                .push(d.name)
                .push("` cannot have a label named `le`: the formats use it for bucket bounds");
        }
        if matches!(d.kind, MetricKind::Summary) && str_eq(l, "quantile") {
            return m
                .push("summary `")
                .push(d.name)
                .push("` cannot have a label named `quantile`: the formats use it for quantiles");
        }
        i += 1;
    }
    m
}

/// Whether `a.0 + a.1 == b.0 + b.1`, without building either string.
const fn concat_eq(a: (&str, &str), b: (&str, &str)) -> bool {
    let (a0, a1, b0, b1) = (a.0.as_bytes(), a.1.as_bytes(), b.0.as_bytes(), b.1.as_bytes());
    let len = a0.len() + a1.len();
    if len != b0.len() + b1.len() {
        return false;
    }
    let mut i = 0;
    while i < len {
        let x = if i < a0.len() { a0[i] } else { a1[i - a0.len()] };
        let y = if i < b0.len() { b0[i] } else { b1[i - b0.len()] };
        if x != y {
            return false;
        }
        i += 1;
    }
    true
}

/// Whether one string starts with the other: a sample name `base + suffix` of one family can
/// only equal one of another family if their bases are so related. Most pairs differ within a
/// few bytes, which keeps the check linear in practice.
const fn prefix_related(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let n = if a.len() < b.len() { a.len() } else { b.len() };
    let mut i = 0;
    while i < n {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

const fn collides(a: &Descriptor, b: &Descriptor) -> Option<(&'static str, &'static str)> {
    if !prefix_related(a.name, b.name) {
        return None;
    }
    let (sa, na) = a.sample_names();
    let (sb, nb) = b.sample_names();
    let mut i = 0;
    while i < na {
        let mut j = 0;
        while j < nb {
            if concat_eq(sa[i], sb[j]) {
                return Some(sa[i]);
            }
            j += 1;
        }
        i += 1;
    }
    None
}

/// A collision: the two families and the sample name they share.
type Collision = (&'static Descriptor, &'static Descriptor, (&'static str, &'static str));

/// The first family of `info` (flattened structs included) that collides with `d`.
const fn against_info(d: &'static Descriptor, info: &'static MetricsInfo) -> Option<Collision> {
    let mut i = 0;
    while i < info.items.len() {
        match &info.items[i] {
            MetricsItem::Metric(b) => {
                if let Some(name) = collides(d, b) {
                    return Some((d, b, name));
                }
            }
            MetricsItem::Flatten(child) => {
                if let Some(c) = against_info(d, child) {
                    return Some(c);
                }
            }
        }
        i += 1;
    }
    None
}

/// The first collision between a family of `a` and a family of `b`.
const fn info_against_info(a: &'static MetricsInfo, b: &'static MetricsInfo) -> Option<Collision> {
    let mut i = 0;
    while i < a.items.len() {
        let found = match &a.items[i] {
            MetricsItem::Metric(d) => against_info(d, b),
            MetricsItem::Flatten(child) => info_against_info(child, b),
        };
        if found.is_some() {
            return found;
        }
        i += 1;
    }
    None
}

/// Checks that no two metrics of `info` (flattened structs included) expose the same sample
/// name in any format, the generated `_total`, `_bucket`, `_sum`, `_count`, `_created` and
/// `_info` suffixes included. Returns the error message, or an empty one.
///
/// Each pair of items of `info` is checked once; a flattened struct's own pairs are checked by
/// its own derive.
pub const fn check_collisions(info: &'static MetricsInfo) -> Msg {
    let items = info.items;
    let mut i = 0;
    while i < items.len() {
        let mut j = i + 1;
        while j < items.len() {
            let found = match (&items[i], &items[j]) {
                (MetricsItem::Metric(a), MetricsItem::Metric(b)) => match collides(a, b) {
                    Some(name) => Some((a, b, name)),
                    None => None,
                },
                (MetricsItem::Metric(a), MetricsItem::Flatten(c)) => against_info(a, c),
                (MetricsItem::Flatten(c), MetricsItem::Metric(b)) => against_info(b, c),
                (MetricsItem::Flatten(c), MetricsItem::Flatten(d)) => info_against_info(c, d),
            };
            if let Some((a, b, (base, suffix))) = found {
                return Msg::new()
                    .push("metrics `")
                    .push(a.name)
                    .push("` and `")
                    .push(b.name)
                    .push("` of `")
                    .push(info.type_name)
                    .push("` both use the name `")
                    .push(base)
                    .push(suffix)
                    .push("` as a sample or family name (the formats add `_total`, `_bucket`, `_sum`, `_count` and `_created`, and flattened structs share the names): rename one of them");
            }
            j += 1;
        }
        i += 1;
    }
    Msg::new()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::descriptor::LabelDescriptor;

    #[test]
    fn counter_total_suffix_is_rejected_unless_legacy() {
        let d = Descriptor::new("requests_total", "h", MetricKind::Counter);
        assert!(check_metric(&d, false).as_str().contains("already ends in `_total`"));
        let legacy = Descriptor { legacy_name: true, ..d };
        assert!(check_metric(&legacy, false).is_empty());
    }

    #[test]
    fn reserved_labels_are_rejected_by_type() {
        const LE: &[LabelDescriptor] = &[LabelDescriptor { name: "le", values: &[] }];
        let h = Descriptor::new("x", "h", MetricKind::Histogram).with_labels(LE);
        assert!(check_metric(&h, true).as_str().contains("`le`"));
        let g = Descriptor::new("x", "h", MetricKind::Gauge).with_labels(LE);
        assert!(check_metric(&g, true).is_empty());
    }

    #[test]
    fn suffix_collisions_are_found() {
        static INFO: MetricsInfo = MetricsInfo {
            type_name: "T",
            items: &[
                MetricsItem::Metric(Descriptor::new("x", "h", MetricKind::Histogram)),
                MetricsItem::Metric(Descriptor::new("x_count", "h", MetricKind::Gauge)),
            ],
        };
        assert!(check_collisions(&INFO).as_str().contains("`x_count`"));
        static OK: MetricsInfo = MetricsInfo {
            type_name: "T",
            items: &[
                MetricsItem::Metric(Descriptor::new("x", "h", MetricKind::Counter)),
                MetricsItem::Metric(Descriptor::new("y", "h", MetricKind::Counter)),
            ],
        };
        assert!(check_collisions(&OK).is_empty());
        // Distinct samples, but the same OpenMetrics family name.
        static FAMILY: MetricsInfo = MetricsInfo {
            type_name: "T",
            items: &[
                MetricsItem::Metric(Descriptor::new("requests", "h", MetricKind::Counter)),
                MetricsItem::Metric(Descriptor::new("requests", "h", MetricKind::Gauge)),
            ],
        };
        assert!(check_collisions(&FAMILY).as_str().contains("`requests`"));
        static INFO_FAMILY: MetricsInfo = MetricsInfo {
            type_name: "T",
            items: &[
                MetricsItem::Metric(Descriptor::new("build_info", "h", MetricKind::Info)),
                MetricsItem::Metric(Descriptor::new("build", "h", MetricKind::Gauge)),
            ],
        };
        assert!(!check_collisions(&INFO_FAMILY).is_empty());
    }
}
