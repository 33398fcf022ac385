//! What the two text formats share: escaping, label rendering and sample lines.

use crate::encoding::number::write_float;
use crate::labels::{EncodeLabels, LabelValue, LabelWriter, ValueSink};

/// Appends `s` with `\`, `"` and newline escaped (label values in both formats; HELP text in
/// OpenMetrics when `quote` is set, else only `\` and newline as Prometheus 0.0.4 says).
#[inline]
pub(crate) fn escape(out: &mut Vec<u8>, s: &str, quote: bool) {
    let bytes = s.as_bytes();
    let special = |b: u8| b == b'\\' || b == b'\n' || (quote && b == b'"');
    if !bytes.iter().any(|&b| special(b)) {
        out.extend_from_slice(bytes);
        return;
    }
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        if special(b) {
            out.extend_from_slice(&bytes[start..i]);
            out.extend_from_slice(match b {
                b'\\' => b"\\\\",
                b'\n' => b"\\n",
                _ => b"\\\"",
            });
            start = i + 1;
        }
    }
    out.extend_from_slice(&bytes[start..]);
}

struct Escaped<'a>(&'a mut Vec<u8>);

impl ValueSink for Escaped<'_> {
    #[inline]
    fn write_str(&mut self, s: &str) {
        escape(self.0, s, true)
    }
    fn write_u64(&mut self, v: u64) {
        self.0.extend_from_slice(itoa::Buffer::new().format(v).as_bytes())
    }
    fn write_i64(&mut self, v: i64) {
        self.0.extend_from_slice(itoa::Buffer::new().format(v).as_bytes())
    }
}

/// Renders `a="x",b="y"` (no braces).
struct Labels<'a>(&'a mut Vec<u8>);

impl LabelWriter for Labels<'_> {
    #[inline]
    fn label<V: LabelValue + ?Sized>(&mut self, name: &'static str, value: &V) {
        if !self.0.is_empty() {
            self.0.push(b',');
        }
        self.0.extend_from_slice(name.as_bytes());
        self.0.extend_from_slice(b"=\"");
        value.write_value(&mut Escaped(self.0));
        self.0.push(b'"');
    }
}

/// Formatted bucket bounds of the last histogram seen, reused for every series that shares
/// them (all series of a family do): formatting floats is the costliest part of a line.
#[derive(Default)]
struct BoundCache {
    key: (usize, usize),
    text: Vec<u8>,
    ends: Vec<usize>,
}

/// Writes sample lines into the output buffer.
pub(crate) struct Lines<'a> {
    pub(crate) out: &'a mut Vec<u8>,
    pub(crate) prefix: &'a str,
    /// OpenMetrics' canonical numbers (`1.0` rather than `1`).
    point: bool,
    labels: Vec<u8>,
    bounds: BoundCache,
}

impl<'a> Lines<'a> {
    pub(crate) fn new(out: &'a mut Vec<u8>, prefix: &'a str, point: bool) -> Self {
        Lines { out, prefix, point, labels: Vec::with_capacity(256), bounds: BoundCache::default() }
    }

    /// Renders the labels of the next series once; every line of the series reuses them.
    #[inline]
    pub(crate) fn set_labels<L: EncodeLabels + ?Sized>(&mut self, labels: &L) {
        self.labels.clear();
        labels.encode_labels(&mut Labels(&mut self.labels));
    }

    /// `# <kind> <prefix><name><suffix>` without the line end.
    pub(crate) fn meta(&mut self, kind: &str, name: &str, suffix: &str) {
        self.out.extend_from_slice(b"# ");
        self.out.extend_from_slice(kind.as_bytes());
        self.out.push(b' ');
        self.out.extend_from_slice(self.prefix.as_bytes());
        self.out.extend_from_slice(name.as_bytes());
        self.out.extend_from_slice(suffix.as_bytes());
    }

    #[inline]
    fn start(&mut self, name: &str, suffix: &str, extra: Option<(&str, &[u8])>) {
        let out = &mut *self.out;
        out.extend_from_slice(self.prefix.as_bytes());
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(suffix.as_bytes());
        if !self.labels.is_empty() || extra.is_some() {
            out.push(b'{');
            out.extend_from_slice(&self.labels);
            if let Some((k, v)) = extra {
                if !self.labels.is_empty() {
                    out.push(b',');
                }
                out.extend_from_slice(k.as_bytes());
                out.extend_from_slice(b"=\"");
                out.extend_from_slice(v);
                out.push(b'"');
            }
            out.push(b'}');
        }
        out.push(b' ');
    }

    /// A sample line with a numeric value.
    #[inline]
    pub(crate) fn number(&mut self, name: &str, suffix: &str, v: super::Number) {
        self.start(name, suffix, None);
        super::number::write_number(self.out, v, self.point);
        self.out.push(b'\n');
    }

    /// A sample line with an integer value.
    #[inline]
    pub(crate) fn int(&mut self, name: &str, suffix: &str, v: u64) {
        self.start(name, suffix, None);
        self.out.extend_from_slice(itoa::Buffer::new().format(v).as_bytes());
        self.out.push(b'\n');
    }

    /// A sample line with a float value.
    #[inline]
    pub(crate) fn float(&mut self, name: &str, suffix: &str, v: f64) {
        self.start(name, suffix, None);
        write_float(self.out, v, self.point);
        self.out.push(b'\n');
    }

    /// The `_bucket` lines of a histogram; returns the total count.
    pub(crate) fn buckets(&mut self, name: &str, data: &super::HistogramData<'_>) -> u64 {
        let bounds = data.bounds();
        let key = (bounds.as_ptr() as usize, bounds.len());
        if self.bounds.key != key || self.bounds.ends.is_empty() {
            self.bounds.text.clear();
            self.bounds.ends.clear();
            for &b in bounds {
                write_float(&mut self.bounds.text, b, self.point);
                self.bounds.ends.push(self.bounds.text.len());
            }
            self.bounds.text.extend_from_slice(b"+Inf");
            self.bounds.ends.push(self.bounds.text.len());
            self.bounds.key = key;
        }
        let cache = std::mem::take(&mut self.bounds);
        let total = data.for_each_bucket(|i, _, cumulative| {
            let from = if i == 0 { 0 } else { cache.ends[i - 1] };
            self.start(name, "_bucket", Some(("le", &cache.text[from..cache.ends[i]])));
            self.out.extend_from_slice(itoa::Buffer::new().format(cumulative).as_bytes());
            self.out.push(b'\n');
        });
        self.bounds = cache;
        total
    }

    /// The quantile lines of a summary.
    pub(crate) fn quantiles(&mut self, name: &str, quantiles: &[(f64, f64)]) {
        let mut q = Vec::with_capacity(24);
        for &(quantile, value) in quantiles {
            q.clear();
            write_float(&mut q, quantile, self.point);
            self.start(name, "", Some(("quantile", &q)));
            write_float(self.out, value, self.point);
            self.out.push(b'\n');
        }
    }
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn escapes_per_format() {
        let mut v = Vec::new();
        escape(&mut v, "a\\b\"c\nd", true);
        assert_eq!(v, b"a\\\\b\\\"c\\nd");
        v.clear();
        escape(&mut v, "a\\b\"c\nd", false);
        assert_eq!(v, b"a\\\\b\"c\\nd");
    }
}
