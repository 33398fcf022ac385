//! What the two text formats share: escaping, label rendering and sample lines.

use crate::encoding::number::write_float;
use crate::labels::{EncodeLabels, LabelValue, LabelWriter, ValueSink};

/// Appends `s` with `\`, `"` and newline escaped (label values in both formats; HELP text in
/// OpenMetrics when `quote` is set, else only `\` and newline as Prometheus 0.0.4 says).
#[inline]
pub(crate) fn escape(out: &mut Vec<u8>, s: &str, quote: bool) {
    let bytes = s.as_bytes();
    // memchr's vectorised search: most values have nothing to escape and are copied whole.
    let next = |from: usize| {
        if quote {
            memchr::memchr3(b'\\', b'\n', b'"', &bytes[from..])
        } else {
            memchr::memchr2(b'\\', b'\n', &bytes[from..])
        }
        .map(|i| i + from)
    };
    let mut start = 0;
    while let Some(i) = next(start) {
        out.extend_from_slice(&bytes[start..i]);
        out.extend_from_slice(match bytes[i] {
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            _ => b"\\\"",
        });
        start = i + 1;
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

/// Renders `a="x",b="y"` after the block's opening brace.
struct Labels<'a>(&'a mut Vec<u8>);

impl LabelWriter for Labels<'_> {
    #[inline]
    fn label<V: LabelValue + ?Sized>(&mut self, name: &'static str, value: &V) {
        if self.0.len() > 1 {
            self.0.push(b',');
        }
        self.0.extend_from_slice(name.as_bytes());
        self.0.extend_from_slice(b"=\"");
        value.write_value(&mut Escaped(self.0));
        self.0.push(b'"');
    }
}

/// Formatted bucket bounds of the last histogram seen, reused for every series that shares
/// them (all series of a family do): formatting floats is the costliest part of a line. Each
/// entry ends with `"} ` so that a bucket line is three copies and a number.
#[derive(Default)]
struct BoundCache {
    key: (usize, usize),
    /// Each bound padded to a fixed width, with its length: copying a constant-size chunk and
    /// truncating is a few vector moves, where a slice of varying length costs a call to
    /// `memcpy` — and bucket lines are most of a scrape.
    slots: Vec<([u8; SLOT], usize)>,
}

const SLOT: usize = 32;

/// Appends the decimal digits of `v` (what `itoa` would write) through a fixed-size chunk, for
/// the same reason as the bound slots.
#[inline]
fn put_u64(out: &mut Vec<u8>, v: u64) {
    let mut ib = itoa::Buffer::new();
    let digits = ib.format(v).as_bytes();
    if digits.len() <= 8 {
        let mut chunk = [0u8; 8];
        for (c, d) in chunk.iter_mut().zip(digits) {
            *c = *d;
        }
        out.extend_from_slice(&chunk);
        out.truncate(out.len() - (8 - digits.len()));
    } else {
        out.extend_from_slice(digits);
    }
}

/// Writes sample lines into the output buffer.
///
/// For each series the labels are rendered once, as the block `{a="x",b="y"} ` that follows
/// every sample name, and histograms also get the head `name_bucket{a="x",b="y",le="`; each line
/// is then a few copies and a number.
pub(crate) struct Lines<'a> {
    pub(crate) out: &'a mut Vec<u8>,
    pub(crate) prefix: &'a str,
    /// OpenMetrics' canonical numbers (`1.0` rather than `1`).
    point: bool,
    /// `{a="x",b="y"} `, or ` ` without labels: what follows every sample name of the series.
    block: Vec<u8>,
    /// A bucket line's head for the current series.
    head: Vec<u8>,
    bounds: BoundCache,
}

impl<'a> Lines<'a> {
    pub(crate) fn new(out: &'a mut Vec<u8>, prefix: &'a str, point: bool) -> Self {
        Lines {
            out,
            prefix,
            point,
            block: Vec::with_capacity(256),
            head: Vec::with_capacity(256),
            bounds: BoundCache::default(),
        }
    }

    /// Renders the labels of the next series once; every line of the series reuses them.
    #[inline]
    pub(crate) fn set_labels<L: EncodeLabels + ?Sized>(&mut self, labels: &L) {
        self.block.clear();
        self.block.push(b'{');
        labels.encode_labels(&mut Labels(&mut self.block));
        if self.block.len() == 1 {
            self.block[0] = b' ';
        } else {
            self.block.extend_from_slice(b"} ");
        }
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

    /// `<prefix><name><suffix>{labels} `
    #[inline]
    fn start(&mut self, name: &str, suffix: &str) {
        if !self.prefix.is_empty() {
            self.out.extend_from_slice(self.prefix.as_bytes());
        }
        self.out.extend_from_slice(name.as_bytes());
        self.out.extend_from_slice(suffix.as_bytes());
        self.out.extend_from_slice(&self.block);
    }

    /// A sample line with a numeric value.
    #[inline]
    pub(crate) fn number(&mut self, name: &str, suffix: &str, v: super::Number) {
        self.start(name, suffix);
        super::number::write_number(self.out, v, self.point);
        self.out.push(b'\n');
    }

    /// A sample line with an integer value.
    #[inline]
    pub(crate) fn int(&mut self, name: &str, suffix: &str, v: u64) {
        self.start(name, suffix);
        put_u64(self.out, v);
        self.out.push(b'\n');
    }

    /// A sample line with a float value.
    #[inline]
    pub(crate) fn float(&mut self, name: &str, suffix: &str, v: f64) {
        self.start(name, suffix);
        write_float(self.out, v, self.point);
        self.out.push(b'\n');
    }

    /// A sample line with a timestamp in seconds (`_created`), written to the millisecond as
    /// `<seconds>.<millis>`: two integer conversions instead of a shortest-float search, which
    /// matters because every counter, histogram and summary series has one.
    #[inline]
    pub(crate) fn timestamp(&mut self, name: &str, suffix: &str, v: f64) {
        self.start(name, suffix);
        if v.is_finite() && (0.0..1e15).contains(&v) {
            let millis = (v * 1000.0).round() as u64;
            let mut ib = itoa::Buffer::new();
            self.out.extend_from_slice(ib.format(millis / 1000).as_bytes());
            let ms = millis % 1000;
            self.out.extend_from_slice(&[
                b'.',
                b'0' + (ms / 100) as u8,
                b'0' + (ms / 10 % 10) as u8,
                b'0' + (ms % 10) as u8,
            ]);
        } else {
            write_float(self.out, v, self.point);
        }
        self.out.push(b'\n');
    }

    /// `<prefix><name><suffix>{labels,<label>="` for lines with one extra label.
    fn head(&mut self, name: &str, suffix: &str, label: &str) {
        self.head.clear();
        self.head.extend_from_slice(self.prefix.as_bytes());
        self.head.extend_from_slice(name.as_bytes());
        self.head.extend_from_slice(suffix.as_bytes());
        self.head.push(b'{');
        let labels = if self.block.len() > 1 { &self.block[1..self.block.len() - 2] } else { &[][..] };
        self.head.extend_from_slice(labels);
        if !labels.is_empty() {
            self.head.push(b',');
        }
        self.head.extend_from_slice(label.as_bytes());
        self.head.extend_from_slice(b"=\"");
    }

    /// The `_bucket` lines of a histogram; returns the total count.
    pub(crate) fn buckets(&mut self, name: &str, data: &super::HistogramData<'_>) -> u64 {
        let bounds = data.bounds();
        let key = (bounds.as_ptr() as usize, bounds.len());
        if self.bounds.key != key || self.bounds.slots.len() != bounds.len() + 1 {
            self.bounds.slots.clear();
            let mut text = Vec::with_capacity(SLOT);
            for b in bounds.iter().copied().chain([f64::INFINITY]) {
                text.clear();
                write_float(&mut text, b, self.point);
                text.extend_from_slice(b"\"} ");
                // The longest float spelling is 24 bytes (`-1.7976931348623157e+308`), so with
                // `"} ` every bound fits a slot.
                let mut slot = [0u8; SLOT];
                let len = text.len().min(SLOT);
                slot[..len].copy_from_slice(&text[..len]);
                self.bounds.slots.push((slot, len));
            }
            self.bounds.key = key;
        }
        self.head(name, "_bucket", "le");
        let (out, head, cache) = (&mut *self.out, &self.head, &self.bounds);
        data.for_each_bucket(|i, _, cumulative| {
            out.extend_from_slice(head);
            let (slot, len) = &cache.slots[i];
            out.extend_from_slice(slot);
            out.truncate(out.len() - (SLOT - len));
            put_u64(out, cumulative);
            out.push(b'\n');
        })
    }

    /// The quantile lines of a summary.
    pub(crate) fn quantiles(&mut self, name: &str, quantiles: &[(f64, f64)]) {
        self.head(name, "", "quantile");
        for &(quantile, value) in quantiles {
            self.out.extend_from_slice(&self.head);
            write_float(self.out, quantile, self.point);
            self.out.extend_from_slice(b"\"} ");
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
