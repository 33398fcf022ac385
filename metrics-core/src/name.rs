//! Naming: the rules a name must follow, and the one place where a declared name becomes the
//! names the formats expose.
//!
//! A metric is declared with a name (prefix, field name and unit joined by [`declared_name`]).
//! From it and its type come every name a reader sees:
//! - [`exposed_name`]: the family name of Prometheus text 0.0.4, JSON, protobuf and the catalog
//!   (`requests_total` for a counter `requests`, `build_info` for an info `build`);
//! - [`openmetrics_family`]: the family name of OpenMetrics `# TYPE` lines (`requests`, `build`);
//! - [`sample_names`]: every name it takes in any format, which two families of one exposition
//!   may not share.
//!
//! This file is compiled twice: into `metrics-core` (for hand-written metrics, the encoders and
//! runtime checks) and, through `#[path]`, into `metrics-derive`, so that the derive, the
//! encoders and the checks share one set of rules.

/// The pattern of a valid metric name, as error messages quote it.
pub const METRIC_NAME_PATTERN: &str = "[a-zA-Z_:][a-zA-Z0-9_:]*";

/// The pattern of a valid label name, as error messages quote it.
pub const LABEL_NAME_PATTERN: &str = "[a-zA-Z_][a-zA-Z0-9_]*";

/// The type of a metric family, as the exposition formats name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MetricKind {
    /// A monotonically increasing value (`counter`).
    Counter,
    /// A value that goes up and down (`gauge`).
    Gauge,
    /// Observations counted into buckets (`histogram`).
    Histogram,
    /// Observations summarised by quantiles over a sliding window (`summary`).
    Summary,
    /// A constant series of value 1 carrying information in its labels (`info` in OpenMetrics,
    /// a `gauge` in Prometheus text). Its samples are named `<name>_info` in every format.
    Info,
}

impl MetricKind {
    /// The lowercase name used in `# TYPE` lines of OpenMetrics and in JSON.
    pub const fn as_str(self) -> &'static str {
        match self {
            MetricKind::Counter => "counter",
            MetricKind::Gauge => "gauge",
            MetricKind::Histogram => "histogram",
            MetricKind::Summary => "summary",
            MetricKind::Info => "info",
        }
    }
}

/// What is wrong with a name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameError {
    /// It does not match the pattern ([`METRIC_NAME_PATTERN`] or [`LABEL_NAME_PATTERN`]).
    Invalid,
    /// It starts with `__`, which Prometheus reserves for its own use.
    Reserved,
}

/// Checks a metric name: valid and not reserved. The one check every metric name, prefix and
/// label name goes through (`label` selects the label pattern).
pub const fn check_name(name: &str, label: bool) -> Result<(), NameError> {
    let valid = if label { is_valid_label_name(name) } else { is_valid_metric_name(name) };
    if !valid {
        Err(NameError::Invalid)
    } else if is_reserved(name) {
        Err(NameError::Reserved)
    } else {
        Ok(())
    }
}

/// Whether `name` is a valid metric name: `[a-zA-Z_:][a-zA-Z0-9_:]*`.
pub const fn is_valid_metric_name(name: &str) -> bool {
    is_valid(name, true)
}

/// Whether `name` is a valid label name: `[a-zA-Z_][a-zA-Z0-9_]*`.
pub const fn is_valid_label_name(name: &str) -> bool {
    is_valid(name, false)
}

const fn is_valid(name: &str, colon: bool) -> bool {
    let b = name.as_bytes();
    if b.is_empty() {
        return false;
    }
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let ok = c.is_ascii_alphabetic() || c == b'_' || (colon && c == b':') || (i > 0 && c.is_ascii_digit());
        if !ok {
            return false;
        }
        i += 1;
    }
    true
}

/// Whether `prefix` may stand before a valid metric name (empty, or a valid metric name).
pub const fn is_valid_prefix(prefix: &str) -> bool {
    prefix.is_empty() || is_valid_metric_name(prefix)
}

/// Whether `name` starts with `__`, which Prometheus reserves for its own use.
pub const fn is_reserved(name: &str) -> bool {
    let b = name.as_bytes();
    b.len() >= 2 && b[0] == b'_' && b[1] == b'_'
}

/// A name prefix that would make invalid metric names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidPrefix(pub String);

impl std::fmt::Display for InvalidPrefix {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "prefix `{}` would make invalid metric names: it must match {METRIC_NAME_PATTERN}",
            self.0.escape_debug()
        )
    }
}

impl std::error::Error for InvalidPrefix {}

/// Checks a prefix written before every name at rendering time: empty, or a valid metric name.
pub fn check_prefix(prefix: &str) -> Result<(), InvalidPrefix> {
    if is_valid_prefix(prefix) { Ok(()) } else { Err(InvalidPrefix(prefix.to_owned())) }
}

/// The name a metric is declared with: `prefix`, the field's name and the unit joined with `_`
/// (an empty prefix or unit is left out).
pub fn declared_name(prefix: &str, name: &str, unit: &str) -> String {
    let mut out = String::with_capacity(prefix.len() + name.len() + unit.len() + 2);
    for part in [prefix, name, unit] {
        if part.is_empty() {
            continue;
        }
        if !out.is_empty() {
            out.push('_');
        }
        out.push_str(part);
    }
    out
}

/// The family name in Prometheus text 0.0.4 (`# HELP`, `# TYPE` and samples), JSON, protobuf and
/// the catalog, as `(base, suffix)` so that no string is built: counters carry `_total` (unless
/// `legacy`), as client_golang does, and info metrics `_info`, as OpenMetrics requires of their
/// samples, so that one name is seen in every format.
pub const fn exposed_name(name: &str, kind: MetricKind, legacy: bool) -> (&str, &'static str) {
    match kind {
        MetricKind::Counter if !legacy => (name, "_total"),
        MetricKind::Info if !ends_with(name, "_info") => (name, "_info"),
        _ => (name, ""),
    }
}

/// The family name of OpenMetrics `# TYPE`, `# UNIT` and `# HELP` lines: an info metric
/// `build_info` is the family `build` (its samples are `build_info`); every other name is the
/// declared one.
pub const fn openmetrics_family(name: &str, kind: MetricKind) -> &str {
    match kind {
        MetricKind::Info => strip_info(name),
        _ => name,
    }
}

/// `name` without a trailing `_info`.
pub const fn strip_info(name: &str) -> &str {
    if !ends_with(name, "_info") {
        return name;
    }
    let (head, _) = name.as_bytes().split_at(name.len() - "_info".len());
    match core::str::from_utf8(head) {
        Ok(s) => s,
        Err(_) => name,
    }
}

/// Every name a family takes in any format, as `(base, suffix)` pairs, and how many of the five
/// slots are used: its sample names and its family names. Two families of one exposition may
/// share none: a counter `x` and a gauge `x` have distinct samples (`x_total`, `x`) but would both
/// be the OpenMetrics family `x`.
pub const fn sample_names(name: &str, kind: MetricKind, legacy: bool) -> ([(&str, &'static str); 5], usize) {
    let n = name;
    let none = ("", "");
    match kind {
        MetricKind::Counter if legacy => ([(n, ""), (n, "_total"), (n, "_created"), none, none], 3),
        MetricKind::Counter => ([(n, "_total"), (n, "_created"), (n, ""), none, none], 3),
        MetricKind::Gauge => ([(n, ""), none, none, none, none], 1),
        MetricKind::Histogram => ([(n, "_bucket"), (n, "_sum"), (n, "_count"), (n, "_created"), (n, "")], 5),
        MetricKind::Summary => ([(n, ""), (n, "_sum"), (n, "_count"), (n, "_created"), none], 4),
        MetricKind::Info => ([exposed_name(n, kind, false), (strip_info(n), ""), none, none, none], 2),
    }
}

/// The 64-bit FNV-1a hash of `base + suffix`. The derive and the `const` checks of
/// `metrics_core::check` both compute it, so that their collision tables are sorted and searched
/// by number: `const` evaluation is slow, and comparing strings there costs a step per byte.
pub const fn name_hash(base: &str, suffix: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let (a, b) = (base.as_bytes(), suffix.as_bytes());
    let mut i = 0;
    while i < a.len() + b.len() {
        let c = if i < a.len() { a[i] } else { b[i - a.len()] };
        h = (h ^ c as u64).wrapping_mul(0x0100_0000_01b3);
        i += 1;
    }
    h
}

/// Whether `s` ends with `suffix`.
pub const fn ends_with(s: &str, suffix: &str) -> bool {
    let (s, x) = (s.as_bytes(), suffix.as_bytes());
    if x.len() > s.len() {
        return false;
    }
    let off = s.len() - x.len();
    let mut i = 0;
    while i < x.len() {
        if s[off + i] != x[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// Whether two strings are equal (usable in `const` context).
pub const fn str_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_exposed_name_per_kind() {
        assert_eq!(exposed_name("requests", MetricKind::Counter, false), ("requests", "_total"));
        assert_eq!(exposed_name("requests", MetricKind::Counter, true), ("requests", ""));
        assert_eq!(exposed_name("build", MetricKind::Info, false), ("build", "_info"));
        assert_eq!(exposed_name("build_info", MetricKind::Info, false), ("build_info", ""));
        assert_eq!(exposed_name("up", MetricKind::Gauge, false), ("up", ""));
        assert_eq!(openmetrics_family("build_info", MetricKind::Info), "build");
        assert_eq!(openmetrics_family("build", MetricKind::Info), "build");
        assert_eq!(openmetrics_family("requests", MetricKind::Counter), "requests");
    }

    #[test]
    fn info_samples_are_the_same_with_or_without_the_suffix() {
        let (a, n) = sample_names("build", MetricKind::Info, false);
        let (b, m) = sample_names("build_info", MetricKind::Info, false);
        let join = |v: &[(&str, &str)]| v.iter().map(|(x, y)| format!("{x}{y}")).collect::<Vec<_>>();
        assert_eq!(join(&a[..n]), ["build_info", "build"]);
        assert_eq!(join(&a[..n]), join(&b[..m]));
    }

    #[test]
    fn names_are_checked_once() {
        assert_eq!(check_name("http_requests", false), Ok(()));
        assert_eq!(check_name("a:b", false), Ok(()));
        assert_eq!(check_name("a:b", true), Err(NameError::Invalid));
        assert_eq!(check_name("1x", false), Err(NameError::Invalid));
        assert_eq!(check_name("", true), Err(NameError::Invalid));
        assert_eq!(check_name("__x", false), Err(NameError::Reserved));
        assert!(check_prefix("").is_ok());
        assert_eq!(
            check_prefix("a b").map_err(|e| e.to_string()),
            Err("prefix `a b` would make invalid metric names: it must match [a-zA-Z_:][a-zA-Z0-9_:]*".to_owned())
        );
    }

    #[test]
    fn declared_names_join_with_underscores() {
        assert_eq!(declared_name("app", "latency", "seconds"), "app_latency_seconds");
        assert_eq!(declared_name("", "latency", ""), "latency");
    }
}
