//! What the two text formats share: escaping, label rendering and sample lines.

use std::cell::Cell;

use crate::descriptor::LabelDescriptor;
use crate::encoding::number::{FloatStyle, put_i64, put_u64, write_float};
use crate::labels::{EncodeLabels, LabelValue, LabelWriter, ValueSink};
use crate::name::{Escaping, escape_into, is_valid_label_name, is_valid_metric_name, write_quoted};
use crate::sync::Ordering;

/// Which characters [`escape`] escapes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Escape {
    /// `\`, `"` and newline: label values in both formats, HELP text in OpenMetrics.
    WithQuotes,
    /// `\` and newline only: HELP text in Prometheus 0.0.4, where a quote is plain.
    HelpText,
}

/// Appends `s` with the characters `mode` names escaped.
#[inline]
pub(crate) fn escape(out: &mut Vec<u8>, s: &str, mode: Escape) {
    let quote = mode == Escape::WithQuotes;
    let bytes = s.as_bytes();
    let mut start = 0;
    if (8..SHORT).contains(&bytes.len()) {
        // Label values are mostly short and plain: each word is checked and copied at once (a
        // fixed-size copy, where a slice of varying length costs a call to `memcpy`), and the
        // tail as the last eight bytes, overlapping bytes already copied.
        let (words, tail) = bytes.as_chunks::<8>();
        for word in words {
            if hits(word, quote) != 0 {
                break;
            }
            out.extend_from_slice(word);
            start += 8;
        }
        if start == bytes.len() {
            return;
        }
        if start == words.len() * 8
            && let Some(last) = bytes.last_chunk::<8>()
            && hits(last, quote) == 0
        {
            out.truncate(out.len() - (8 - tail.len()));
            out.extend_from_slice(last);
            return;
        }
    }
    while let Some(i) = find_special(&bytes[start..], quote) {
        let i = start + i;
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

/// Below this length, label values and help texts are scanned eight bytes at a time in
/// registers; from it, with memchr's vector search. memchr pays a dispatch and setup per call
/// that dominate for the short values labels usually hold (a path, a status, a method).
const SHORT: usize = 64;

/// The high bit of each byte of `word` that must be escaped: `\\`, newline, and `"` if
/// `quote`. Exact for the lowest such byte (borrows only spread upwards), which is the only one
/// used.
#[inline]
fn hits(word: &[u8; 8], quote: bool) -> u64 {
    const ONES: u64 = u64::from_ne_bytes([1; 8]);
    const HIGH: u64 = u64::from_ne_bytes([0x80; 8]);
    let eq = |w: u64, b: u8| {
        let x = w ^ (ONES * u64::from(b));
        x.wrapping_sub(ONES) & !x & HIGH
    };
    let w = u64::from_le_bytes(*word);
    let hits = eq(w, b'\\') | eq(w, b'\n');
    if quote { hits | eq(w, b'"') } else { hits }
}

/// The position of the first byte of `bytes` that must be escaped.
#[inline]
fn find_special(bytes: &[u8], quote: bool) -> Option<usize> {
    if bytes.len() >= SHORT {
        return if quote { memchr::memchr3(b'\\', b'\n', b'"', bytes) } else { memchr::memchr2(b'\\', b'\n', bytes) };
    }
    let first = |hits: u64| (hits.trailing_zeros() / 8) as usize;
    let (words, tail) = bytes.as_chunks::<8>();
    for (n, word) in words.iter().enumerate() {
        let h = hits(word, quote);
        if h != 0 {
            return Some(n * 8 + first(h));
        }
    }
    if tail.is_empty() {
        return None;
    }
    // The tail is read as the last eight bytes, overlapping bytes already found plain.
    if let Some(last) = bytes.last_chunk::<8>() {
        let h = hits(last, quote);
        return (h != 0).then(|| bytes.len() - 8 + first(h));
    }
    tail.iter().position(|&b| b == b'\\' || b == b'\n' || (quote && b == b'"'))
}

/// Appends the label value `s` escaped. Values of 8 to 32 bytes without a byte to escape (most
/// paths, methods with a suffix, host names) are checked as overlapping words and copied as two
/// fixed-size chunks, inline; the others go to [`escape`].
#[inline(always)]
pub(crate) fn escape_value(out: &mut Vec<u8>, s: &str) {
    let bytes = s.as_bytes();
    let end = out.len() + bytes.len();
    if bytes.len() <= 16 {
        if let (Some(first), Some(last)) = (bytes.first_chunk::<8>(), bytes.last_chunk::<8>())
            && maybe_special(first) | maybe_special(last) == 0
        {
            // The last word overlaps the first by `16 - len` bytes: copied after it, from
            // where it starts.
            out.extend_from_slice(first);
            out.truncate(end - 8);
            out.extend_from_slice(last);
            return;
        }
    } else if bytes.len() <= 32
        && let (Some(first), Some(last)) = (bytes.first_chunk::<16>(), bytes.last_chunk::<16>())
        && let ([a, b], [c, d]) = (first.as_chunks::<8>().0, last.as_chunks::<8>().0)
        && maybe_special(a) | maybe_special(b) | maybe_special(c) | maybe_special(d) == 0
    {
        out.extend_from_slice(first);
        out.truncate(end - 16);
        out.extend_from_slice(last);
        return;
    }
    escape_any(out, s)
}

/// Non-zero if `word` may hold a byte to escape in a label value: a byte below `#` (`"`,
/// newline, but also other control characters, space and `!`, which the exact scan of
/// [`escape`] then finds plain) or a `\`. Cheaper than [`hits`] with the quote, for the test
/// that most values pass.
#[inline(always)]
fn maybe_special(word: &[u8; 8]) -> u64 {
    const ONES: u64 = u64::from_ne_bytes([1; 8]);
    const HIGH: u64 = u64::from_ne_bytes([0x80; 8]);
    let w = u64::from_le_bytes(*word);
    // A byte below 0x23 (exact as a test of the whole word: a borrow only reaches bytes above
    // a byte that is below), or a byte equal to `\`.
    let below = w.wrapping_sub(ONES * 0x23) & !w & HIGH;
    let x = w ^ (ONES * u64::from(b'\\'));
    below | (x.wrapping_sub(ONES) & !x & HIGH)
}

/// [`escape_value`] for the values it does not take inline.
#[inline(never)]
fn escape_any(out: &mut Vec<u8>, s: &str) {
    escape(out, s, Escape::WithQuotes)
}

struct Escaped<'a>(&'a mut Vec<u8>);

impl ValueSink for Escaped<'_> {
    #[inline(always)]
    fn write_str(&mut self, s: &str) {
        escape_value(self.0, s)
    }
    fn write_u64(&mut self, v: u64) {
        put_u64(self.0, v)
    }
    fn write_i64(&mut self, v: i64) {
        put_i64(self.0, v)
    }
}

/// How the label names of the current family are spelled, worked out once per family from the
/// labels its descriptor lists, so that a family whose label names need no escaping (all of
/// them, in a legacy registry) writes each name with one copy and no check.
///
/// The protobuf encoder can use it too (with `quote` off): [`set`](Self::set) at each new
/// family, then [`write`](Self::write) per label.
#[derive(Default)]
pub(crate) struct LabelNames {
    /// Whether every listed label name is written as it is.
    plain: bool,
    escaping: Escaping,
    /// Whether names outside the legacy set are quoted (`allow-utf-8` in text 1.0.0 and
    /// OpenMetrics) rather than escaped.
    quote: bool,
    /// The spelling of each listed label name that is not written as it is.
    forms: Vec<(&'static str, Vec<u8>)>,
    /// Whether the metric name is quoted (`{"a.b"`), so that a label block opens with a comma.
    after_quoted_name: bool,
    /// What starts each listed label, in order, its name spelled: a label then costs one
    /// fixed-size copy whatever its spelling.
    openers: Vec<Opener>,
}

/// The text before the value of a listed label in a label block.
struct Opener {
    name: &'static str,
    /// The address of the name as the family's series pass it: the descriptor's own, or
    /// another copy of the same text (a literal is not always merged with its twins), learnt
    /// from the first series.
    seen: Cell<usize>,
    /// As the block's first label: `{name="` (`,name="` after a quoted metric name).
    first: Piece,
    /// After another label, whose value it closes: `",name="`.
    later: Piece,
}

impl LabelNames {
    /// Spells the label names of a family whose descriptor lists `labels`.
    pub(crate) fn set(&mut self, labels: &[LabelDescriptor], escaping: Escaping, quote: bool) {
        self.escaping = escaping;
        self.quote = quote;
        self.forms.clear();
        for l in labels {
            if let Some(form) = self.form(l.name) {
                self.forms.push((l.name, form));
            }
        }
        self.plain = self.forms.is_empty();
    }

    /// Prepares the label blocks of a family whose descriptor lists `labels` (after
    /// [`set`](Self::set)), behind its metric name, quoted or not.
    pub(crate) fn set_block(&mut self, labels: &[LabelDescriptor], quoted_name: bool) {
        self.after_quoted_name = quoted_name;
        // The openers' memory is kept from one family to the next.
        let mut openers = std::mem::take(&mut self.openers);
        openers.truncate(labels.len());
        let mut text = Vec::with_capacity(64);
        for (i, l) in labels.iter().enumerate() {
            text.clear();
            text.extend_from_slice(b"\",");
            self.write(&mut text, l.name);
            text.extend_from_slice(b"=\"");
            if i == openers.len() {
                openers.push(Opener {
                    name: l.name,
                    seen: Cell::new(0),
                    first: Piece::default(),
                    later: Piece::default(),
                });
            }
            let o = &mut openers[i];
            o.name = l.name;
            o.seen.set(l.name.as_ptr() as usize);
            o.later.set(&text);
            text[1] = if quoted_name { b',' } else { b'{' };
            o.first.set(&text[1..]);
        }
        self.openers = openers;
    }

    /// The spelling of `name` when it is not written as it is.
    fn form(&self, name: &str) -> Option<Vec<u8>> {
        let legacy = is_valid_label_name(name);
        match self.escaping {
            Escaping::AllowUtf8 | Escaping::Underscores | Escaping::Values if legacy => None,
            Escaping::Dots if legacy && !name.contains('_') => None,
            Escaping::AllowUtf8 if self.quote => {
                let mut out = Vec::with_capacity(name.len() + 2);
                write_quoted(&mut out, name);
                Some(out)
            }
            scheme => {
                let mut out = String::with_capacity(name.len() + 8);
                escape_into(&mut out, name, scheme, true);
                Some(out.into_bytes())
            }
        }
    }

    /// Appends the spelling of `name`.
    #[inline]
    pub(crate) fn write(&self, out: &mut Vec<u8>, name: &'static str) {
        if self.plain {
            out.extend_from_slice(name.as_bytes());
        } else {
            self.write_escaped(out, name);
        }
    }

    #[inline]
    fn write_escaped(&self, out: &mut Vec<u8>, name: &'static str) {
        // Names are `'static` and usually the very string the descriptor lists: the address
        // decides without comparing bytes.
        let same = |n: &&str| n.as_ptr() == name.as_ptr() && n.len() == name.len();
        let found = self.forms.iter().find(|(n, _)| same(n)).or_else(|| self.forms.iter().find(|(n, _)| *n == name));
        match found {
            Some((_, form)) => out.extend_from_slice(form),
            // A label the descriptor does not list: spelled now.
            None => match self.form(name) {
                Some(form) => out.extend_from_slice(&form),
                None => out.extend_from_slice(name.as_bytes()),
            },
        }
    }
}

/// Text copied as one fixed-size chunk when it fits [`PIECE`] bytes: a few vector moves,
/// where a slice of varying length costs a call to `memcpy` (most of a short line's cost).
#[derive(Default)]
pub(crate) struct Piece {
    /// The text, padded with zeros to at least `PIECE` bytes.
    bytes: Vec<u8>,
    len: usize,
}

/// The chunk [`Piece`]s are copied by.
const PIECE: usize = 64;

impl Piece {
    /// Makes the piece `text`, reusing its memory.
    fn set(&mut self, text: &[u8]) {
        self.bytes.clear();
        self.bytes.extend_from_slice(text);
        pad(&mut self.bytes);
        self.len = text.len();
    }

    fn text(&self) -> &[u8] {
        &self.bytes[..self.len]
    }

    #[inline(always)]
    fn put(&self, out: &mut Vec<u8>) {
        put(out, &self.bytes, self.len)
    }
}

/// Pads `bytes` with [`PIECE`] zeros, for [`put`] of any of its first bytes (a fixed-size
/// write: a resize to a varying length costs a call to `memset`).
#[inline(always)]
fn pad(bytes: &mut Vec<u8>) {
    bytes.extend_from_slice(&[0; PIECE]);
}

/// Appends the first `len` bytes of `padded`, which holds at least `PIECE` bytes when `len`
/// is below it: as one fixed-size chunk, cut back to `len`.
#[inline(always)]
fn put(out: &mut Vec<u8>, padded: &[u8], len: usize) {
    match padded.first_chunk::<PIECE>() {
        Some(chunk) if len <= PIECE => {
            let end = out.len() + len;
            out.extend_from_slice(chunk);
            out.truncate(end);
        }
        _ => out.extend_from_slice(&padded[..len]),
    }
}

/// Writes the labels of a series after a sample name: `name{a="x",b="y"} `, or `name ` without
/// labels; after a quoted name (`{"a.b"`), `{"a.b",a="x"} ` or `{"a.b"} `. A listed label
/// written in its place costs one [`Piece`] and its value: the first one's piece holds the
/// sample name too, and each later one's the quote that closes the value before it.
struct Series<'a> {
    out: &'a mut Vec<u8>,
    names: &'a LabelNames,
    /// The sample name (empty for a block written apart from it).
    stem: &'a Piece,
    /// `stem` and the first listed label's opener.
    first: &'a Piece,
    written: usize,
}

impl LabelWriter for Series<'_> {
    #[inline(always)]
    fn label<V: LabelValue + ?Sized>(&mut self, name: &'static str, value: &V) {
        match self.names.openers.get(self.written) {
            // Names are `'static`: the address decides without comparing bytes.
            Some(o) if o.seen.get() == name.as_ptr() as usize && o.name.len() == name.len() => {
                if self.written == 0 { self.first } else { &o.later }.put(self.out)
            }
            _ => self.open_unlisted(name),
        }
        self.written += 1;
        value.write_value(&mut Escaped(self.out));
    }
}

impl Series<'_> {
    /// Starts a label that is not listed in this place (or listed at another address): its
    /// name spelled now.
    #[cold]
    #[inline(never)]
    fn open_unlisted(&mut self, name: &'static str) {
        if let Some(o) = self.names.openers.get(self.written).filter(|o| o.name == name) {
            // The listed name at another address: the next series pass it there too.
            o.seen.set(name.as_ptr() as usize);
            return if self.written == 0 { self.first } else { &o.later }.put(self.out);
        }
        if self.written == 0 {
            self.stem.put(self.out);
            self.out.push(if self.names.after_quoted_name { b',' } else { b'{' });
        } else {
            self.out.extend_from_slice(b"\",");
        }
        self.names.write(self.out, name);
        self.out.extend_from_slice(b"=\"");
    }

    /// Ends the labels; returns how many were written.
    #[inline(always)]
    fn finish(self) -> usize {
        if self.written > 0 {
            self.out.extend_from_slice(b"\"} ");
        } else {
            self.stem.put(self.out);
            self.out.extend_from_slice(if self.names.after_quoted_name { b"} " } else { b" " });
        }
        self.written
    }
}

/// Writes `stem`, the labels and the space before the value (see [`Series`]); `first` is
/// `stem` followed by the first listed label's opener.
// Always inlined: a call here and one to the labels' own writer cost as much as the brace and
// comma work itself.
#[inline(always)]
fn write_series<L: EncodeLabels + ?Sized>(
    out: &mut Vec<u8>,
    labels: &L,
    names: &LabelNames,
    stem: &Piece,
    first: &Piece,
) -> usize {
    let mut series = Series { out, names, stem, first, written: 0 };
    labels.encode_labels(&mut series);
    series.finish()
}

/// Which sample name of the current family a line starts with.
#[derive(Clone, Copy)]
pub(crate) enum Stem {
    /// The family's main sample: `name`, `name_total` (counters), `name_info` (OpenMetrics info).
    Main,
    /// `name_bucket`
    Bucket,
    /// `name_sum`
    Sum,
    /// `name_count`
    Count,
    /// `name_created`
    Created,
}

/// The sample names of one family with the prefix, spelled for the scraper's escaping scheme,
/// built once per family: a line then starts with one copy instead of three (prefix, name,
/// suffix), and escaping costs nothing per series.
#[derive(Default)]
struct Stems {
    /// The `(name, main suffix)` the stems were built for, by address: names are `'static`, so
    /// equal addresses and lengths mean equal text.
    key: (usize, usize, usize, usize),
    /// Each sample name; a quoted one (`allow-utf-8`, outside the legacy set) is `{"name"`.
    names: [Piece; 5],
    /// The main sample name and the first listed label's opener: where most lines start.
    main_first: Piece,
    /// Nothing: the stem of a label block written apart from the sample names.
    none: Piece,
    /// Whether the names are quoted, so the labels follow a comma instead of a brace.
    quoted: bool,
    labels: LabelNames,
}

/// Formatted bucket bounds of the last histogram seen, reused for every series that shares
/// them (all series of a family do): formatting floats is the costliest part of a line. Each
/// entry ends with `"} ` so that a bucket line is three copies and a number.
#[derive(Default)]
struct BoundCache {
    /// The bounds the slots were formatted from, as bits. Keyed on content, not on the slice's
    /// address: bounds held in an `Arc` can be freed during a rendering and their memory reused
    /// for other bounds; comparing a dozen integers costs far less than formatting them.
    key: Vec<u64>,
    /// Each bound padded to a fixed width, with its length: copying a constant-size chunk and
    /// truncating is a few vector moves, where a slice of varying length costs a call to
    /// `memcpy` — and bucket lines are most of a scrape.
    slots: Vec<([u8; SLOT], usize)>,
}

const SLOT: usize = 32;

/// The seconds of the last `_created` timestamp, as text with the decimal point: series of a
/// family are mostly created within the same second, so most timestamps copy these 16 bytes
/// whole instead of formatting ten digits.
struct Seconds {
    secs: u64,
    text: [u8; 16],
    len: usize,
}

impl Seconds {
    /// `secs` below 10^12.
    fn new(secs: u64) -> Self {
        let mut ib = itoa::Buffer::new();
        let digits = ib.format(secs).as_bytes();
        let mut text = [0u8; 16];
        let len = digits.len().min(15);
        text[..len].copy_from_slice(&digits[..len]);
        text[len] = b'.';
        Seconds { secs, text, len: len + 1 }
    }
}

/// Writes sample lines into the output buffer.
///
/// A family's sample names are built once ([`Stems`]). A series with one line is written
/// straight into the output; for a series with several lines the labels are rendered once, as
/// the block `{a="x",b="y"} ` that follows every sample name, and histograms also get the head
/// `name_bucket{a="x",b="y",le="`; each line is then a few copies and a number.
pub(crate) struct Lines<'a> {
    pub(crate) out: &'a mut Vec<u8>,
    pub(crate) prefix: &'a str,
    /// How names outside the legacy set are spelled.
    escaping: Escaping,
    /// Prefix, name and suffix of a metadata line, before escaping.
    scratch: String,
    /// How integral floats are spelled (`1` or OpenMetrics' `1.0`).
    style: FloatStyle,
    stems: Stems,
    seconds: Seconds,
    /// The labels of the current series as they follow every sample name, but for the end
    /// of the block: `{a="x",b="y"` (`,a="x",b="y"` after a quoted name), nothing without
    /// labels. Its first `block_len` bytes, padded for [`put`].
    block: Vec<u8>,
    block_len: usize,
    /// Whether a sample name is followed by a block that needs closing (`}`): labels were
    /// written, or the name is quoted.
    closed_block: bool,
    /// A bucket line's head for the current series (its first `head_len` bytes, padded).
    head: Vec<u8>,
    head_len: usize,
    bounds: BoundCache,
}

impl<'a> Lines<'a> {
    pub(crate) fn new(out: &'a mut Vec<u8>, prefix: &'a str, style: FloatStyle) -> Self {
        Lines {
            out,
            prefix,
            escaping: Escaping::Underscores,
            scratch: String::new(),
            style,
            stems: Stems::default(),
            seconds: Seconds::new(0),
            block: Vec::with_capacity(256),
            block_len: 0,
            closed_block: false,
            head: Vec::with_capacity(256),
            head_len: 0,
            bounds: BoundCache::default(),
        }
    }

    /// Sets how names outside the legacy set are spelled (the default is `underscores`).
    pub(crate) fn set_escaping(&mut self, escaping: Escaping) {
        self.escaping = escaping;
        self.stems.key = (0, 0, 0, 0);
    }

    /// Selects the family whose samples follow: `name` with `main` as the main sample's suffix,
    /// with the labels its descriptor lists.
    #[inline]
    pub(crate) fn family(&mut self, name: &'static str, main: &'static str, labels: &'static [LabelDescriptor]) {
        let key = (name.as_ptr() as usize, name.len(), main.as_ptr() as usize, main.len());
        if self.stems.key != key {
            self.build_stems(name, main, labels);
            self.stems.key = key;
        }
    }

    #[cold]
    fn build_stems(&mut self, name: &str, main: &str, labels: &[LabelDescriptor]) {
        self.scratch.clear();
        self.scratch.push_str(self.prefix);
        self.scratch.push_str(name);
        // Suffixes are legacy: the name with any of them is legacy if and only if it is.
        let legacy = is_valid_metric_name(&self.scratch);
        let quoted = self.escaping == Escaping::AllowUtf8 && !legacy;
        // Written as they are: the names of a legacy family, but under `dots`.
        let plain = legacy && self.escaping != Escaping::Dots;
        let base = self.scratch.len();
        let mut text = Vec::with_capacity(128);
        for (stem, suffix) in self.stems.names.iter_mut().zip([main, "_bucket", "_sum", "_count", "_created"]) {
            self.scratch.truncate(base);
            self.scratch.push_str(suffix);
            if plain {
                stem.set(self.scratch.as_bytes());
            } else {
                text.clear();
                spell(&mut text, &self.scratch, self.escaping, quoted);
                stem.set(&text);
            }
        }
        self.stems.quoted = quoted;
        self.stems.labels.set(labels, self.escaping, true);
        self.stems.labels.set_block(labels, quoted);
        text.clear();
        text.extend_from_slice(self.stems.names[Stem::Main as usize].text());
        if let Some(o) = self.stems.labels.openers.first() {
            text.extend_from_slice(o.first.text());
        }
        self.stems.main_first.set(&text);
    }

    /// Renders the labels of the next series once; every line of the series reuses them.
    #[inline]
    pub(crate) fn set_labels<L: EncodeLabels + ?Sized>(&mut self, labels: &L) {
        self.block.clear();
        let names = &self.stems.labels;
        let first = names.openers.first().map_or(&self.stems.none, |o| &o.first);
        let written = write_series(&mut self.block, labels, names, &self.stems.none, first);
        // Without the `} ` (or ` `) that ends the block.
        self.block_len = if written > 0 { self.block.len() - 2 } else { 0 };
        self.closed_block = written > 0 || self.stems.quoted;
        pad(&mut self.block);
    }

    /// `# <kind> <prefix><name><suffix>` without the line end, the name spelled for the
    /// escaping scheme (quoted if it must be).
    pub(crate) fn meta(&mut self, kind: &str, name: &str, suffix: &str) {
        self.out.extend_from_slice(b"# ");
        self.out.extend_from_slice(kind.as_bytes());
        self.out.push(b' ');
        self.scratch.clear();
        self.scratch.push_str(self.prefix);
        self.scratch.push_str(name);
        self.scratch.push_str(suffix);
        let quoted = self.escaping == Escaping::AllowUtf8 && !is_valid_metric_name(&self.scratch);
        if quoted {
            write_quoted(self.out, &self.scratch);
        } else {
            spell(self.out, &self.scratch, self.escaping, false);
        }
    }

    /// `<stem>{labels} ` with the labels of [`set_labels`](Self::set_labels).
    #[inline]
    fn start(&mut self, stem: Stem) {
        self.stems.names[stem as usize].put(self.out);
        put(self.out, &self.block, self.block_len);
        if self.closed_block {
            self.out.extend_from_slice(b"} ");
        } else {
            self.out.push(b' ');
        }
    }

    /// `<main sample name>{labels} `, the labels written straight into the output.
    #[inline(always)]
    fn main_series<L: EncodeLabels + ?Sized>(&mut self, labels: &L) {
        let stems = &self.stems;
        write_series(self.out, labels, &stems.labels, &stems.names[Stem::Main as usize], &stems.main_first);
    }

    /// The only line of a series (gauges, Prometheus counters and info): the labels are
    /// written straight into the output, as they are needed once.
    #[inline(always)]
    pub(crate) fn single<L: EncodeLabels + ?Sized>(&mut self, labels: &L, v: super::Number) {
        self.main_series(labels);
        match v {
            super::Number::U64(v) => put_u64(self.out, v),
            super::Number::I64(v) => put_i64(self.out, v),
            super::Number::F64(v) => write_float(self.out, v, self.style),
        }
        self.out.push(b'\n');
    }

    /// An OpenMetrics counter series: its `_total` line written as [`single`](Self::single)
    /// does, then its `_created` line with the labels copied from the first.
    #[inline]
    pub(crate) fn counter_with_created<L: EncodeLabels + ?Sized>(
        &mut self,
        labels: &L,
        v: super::Number,
        created: f64,
    ) {
        let block = self.out.len() + self.stems.names[Stem::Main as usize].len;
        self.main_series(labels);
        let block = block..self.out.len();
        super::number::write_number(self.out, v, self.style);
        self.out.push(b'\n');
        self.stems.names[Stem::Created as usize].put(self.out);
        self.out.extend_from_within(block);
        self.created(created);
    }

    /// A sample line with an integer value.
    #[inline]
    pub(crate) fn int(&mut self, stem: Stem, v: u64) {
        self.start(stem);
        put_u64(self.out, v);
        self.out.push(b'\n');
    }

    /// A sample line with a float value.
    #[inline]
    pub(crate) fn float(&mut self, stem: Stem, v: f64) {
        self.start(stem);
        write_float(self.out, v, self.style);
        self.out.push(b'\n');
    }

    /// A sample line with a timestamp in seconds (`_created`), written to the millisecond as
    /// `<seconds>.<millis>`: an integer conversion instead of a shortest-float search, which
    /// matters because every counter, histogram and summary series has one.
    #[inline]
    pub(crate) fn timestamp(&mut self, stem: Stem, v: f64) {
        self.start(stem);
        self.created(v);
    }

    /// A timestamp and the line end.
    #[inline]
    fn created(&mut self, v: f64) {
        // Below 10^12 s (the year 33 658), milliseconds are exact integers in an f64.
        if v.is_finite() && (0.0..1e12).contains(&v) {
            // Rounded half up (`round` is a libm call on baseline x86-64).
            let millis = (v * 1000.0 + 0.5) as u64;
            let (secs, ms) = (millis / 1000, millis % 1000);
            if secs != self.seconds.secs {
                self.seconds = Seconds::new(secs);
            }
            let end = self.out.len() + self.seconds.len;
            self.out.extend_from_slice(&self.seconds.text);
            self.out.truncate(end);
            self.out.extend_from_slice(&[
                b'0' + (ms / 100) as u8,
                b'0' + (ms / 10 % 10) as u8,
                b'0' + (ms % 10) as u8,
                b'\n',
            ]);
        } else {
            write_float(self.out, v, self.style);
            self.out.push(b'\n');
        }
    }

    /// `<stem>{labels,<label>="` for lines with one extra label (`{"name",labels,<label>="`
    /// after a quoted name).
    fn head(&mut self, stem: Stem, label: &str) {
        self.head.clear();
        self.stems.names[stem as usize].put(&mut self.head);
        put(&mut self.head, &self.block, self.block_len);
        self.head.push(if self.closed_block { b',' } else { b'{' });
        self.head.extend_from_slice(label.as_bytes());
        self.head.extend_from_slice(b"=\"");
        self.head_len = self.head.len();
        pad(&mut self.head);
    }

    /// The `_bucket` lines of a histogram; returns the total count.
    pub(crate) fn buckets(&mut self, data: &super::HistogramData<'_>) -> u64 {
        let bounds = data.bounds();
        if !same_bits(&self.bounds.key, bounds) {
            self.bounds.slots.clear();
            let mut text = Vec::with_capacity(SLOT);
            for b in bounds.iter().copied().chain([f64::INFINITY]) {
                text.clear();
                write_float(&mut text, b, self.style);
                text.extend_from_slice(b"\"} ");
                // The longest float spelling is 24 bytes (`-1.7976931348623157e+308`), so with
                // `"} ` every bound fits a slot.
                let mut slot = [0u8; SLOT];
                let len = text.len().min(SLOT);
                slot[..len].copy_from_slice(&text[..len]);
                self.bounds.slots.push((slot, len));
            }
            self.bounds.key.clear();
            self.bounds.key.extend(bounds.iter().map(|b| b.to_bits()));
        }
        self.head(Stem::Bucket, "le");
        let (out, head, head_len, cache) = (&mut *self.out, &self.head[..], self.head_len, &self.bounds);
        // As `HistogramData::for_each_bucket`, with each count beside its bound's slot: no
        // index, no bounds check.
        debug_assert_eq!(data.counts.len(), cache.slots.len());
        let mut total = 0u64;
        for (count, (slot, len)) in data.counts.iter().zip(&cache.slots) {
            total = total.wrapping_add(count.load(Ordering::Relaxed));
            put(out, head, head_len);
            out.extend_from_slice(slot);
            out.truncate(out.len() - (SLOT - len));
            put_u64(out, total);
            out.push(b'\n');
        }
        total
    }

    /// The quantile lines of a summary.
    pub(crate) fn quantiles(&mut self, quantiles: &[(f64, f64)]) {
        self.head(Stem::Main, "quantile");
        for &(quantile, value) in quantiles {
            put(self.out, &self.head, self.head_len);
            write_float(self.out, quantile, self.style);
            self.out.extend_from_slice(b"\"} ");
            write_float(self.out, value, self.style);
            self.out.push(b'\n');
        }
    }
}

/// Appends `name` spelled for `escaping`: quoted (`{"name"` is the caller's business) when
/// `quoted`, else as the scheme escapes it. A legacy name is copied as it is, but by `dots`.
fn spell(out: &mut Vec<u8>, name: &str, escaping: Escaping, quoted: bool) {
    if quoted {
        out.push(b'{');
        write_quoted(out, name);
    } else if escaping != Escaping::Dots && is_valid_metric_name(name) {
        out.extend_from_slice(name.as_bytes());
    } else {
        let mut s = String::with_capacity(name.len() + 8);
        escape_into(&mut s, name, escaping, false);
        out.extend_from_slice(s.as_bytes());
    }
}

/// Whether `bounds` are bit for bit the bounds `key` was taken from (`-0.0` and `0.0` print
/// differently, so `==` on floats would not do).
#[inline]
pub(crate) fn same_bits(key: &[u64], bounds: &[f64]) -> bool {
    key.len() == bounds.len() && key.iter().zip(bounds).all(|(k, b)| *k == b.to_bits())
}

#[cfg(test)]
mod tests {
    use super::{Escape, Lines, escape, find_special};
    use crate::encoding::HistogramData;
    use crate::encoding::number::FloatStyle;
    use crate::sync::AtomicU64;

    #[test]
    fn bucket_text_follows_the_bounds_not_their_address() {
        // Two histograms whose bounds sit at the same address one after the other, as when an
        // `Arc`'d slice is freed and its memory reused within one rendering.
        let counts: Vec<AtomicU64> = (0..3).map(|_| AtomicU64::new(1)).collect();
        let mut bounds = vec![0.5, 1.0];
        let mut out = Vec::new();
        let mut lines = Lines::new(&mut out, "", FloatStyle::Go);
        lines.family("h", "", &[]);
        lines.set_labels(&());
        fn data<'a>(bounds: &'a [f64], counts: &'a [AtomicU64]) -> HistogramData<'a> {
            HistogramData { bounds, counts, sum: 0.0, created: 0.0, native: None }
        }
        lines.buckets(&data(&bounds, &counts));
        let address = bounds.as_ptr();
        bounds.copy_from_slice(&[0.25, 2.0]);
        assert_eq!(bounds.as_ptr(), address);
        lines.buckets(&data(&bounds, &counts));
        bounds.copy_from_slice(&[-0.0, 2.0]);
        lines.buckets(&data(&bounds, &counts));
        let text = String::from_utf8(out).unwrap_or_default();
        assert_eq!(
            text,
            "h_bucket{le=\"0.5\"} 1\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 3\n\
             h_bucket{le=\"0.25\"} 1\nh_bucket{le=\"2\"} 2\nh_bucket{le=\"+Inf\"} 3\n\
             h_bucket{le=\"-0\"} 1\nh_bucket{le=\"2\"} 2\nh_bucket{le=\"+Inf\"} 3\n"
        );
    }

    #[test]
    fn finds_every_special_byte_at_every_position() {
        // Both scans (words in registers, memchr beyond `SHORT`), every offset within a word.
        for len in [1, 7, 8, 9, 15, 16, 17, 63, 64, 65, 200] {
            for at in 0..len {
                for (special, quote) in [(b'\\', true), (b'\n', true), (b'"', true), (b'\\', false), (b'\n', false)] {
                    let mut bytes = vec![b'a'; len];
                    bytes[at] = special;
                    // A later special byte must not hide the first one.
                    if at + 1 < len {
                        bytes[len - 1] = b'\n';
                    }
                    assert_eq!(find_special(&bytes, quote), Some(at), "len {len} at {at} {special} {quote}");
                }
                let mut bytes = vec![0xffu8; len];
                bytes[at] = b'"';
                assert_eq!(find_special(&bytes, false), None, "a quote is plain in 0.0.4 help");
            }
        }
        // Bytes one away from the specials, and bytes with the high bit set, are not specials.
        let near: Vec<u8> = (0u8..=255).filter(|b| ![b'\\', b'\n', b'"'].contains(b)).collect();
        assert_eq!(find_special(&near, true), None);
        assert_eq!(find_special(&near[..40], true), None);
    }

    #[test]
    fn timestamps_to_the_millisecond_across_seconds() {
        let mut out = Vec::new();
        let mut lines = Lines::new(&mut out, "", FloatStyle::OpenMetrics);
        for v in [0.0, 1.5, 1_700_000_000.123, 1_700_000_000.999_4, 1_700_000_001.0, 1.5, 999_999_999_999.0, 1e12, -1.0]
        {
            lines.created(v);
        }
        let text = String::from_utf8(out).unwrap_or_default();
        assert_eq!(
            text,
            "0.000\n1.500\n1700000000.123\n1700000000.999\n1700000001.000\n1.500\n999999999999.000\n1e+12\n-1.0\n"
        );
    }

    #[test]
    fn label_blocks_with_listed_unlisted_and_no_labels() {
        use crate::descriptor::LabelDescriptor;
        use crate::encoding::Number;
        use crate::labels::{EncodeLabels, LabelWriter};
        use crate::name::Escaping;

        static LISTED: [LabelDescriptor; 2] = [LabelDescriptor::new("http.route"), LabelDescriptor::new("code")];
        struct Series(&'static [&'static str]);
        impl EncodeLabels for Series {
            fn encode_labels<W: LabelWriter>(&self, w: &mut W) {
                for name in self.0 {
                    w.label(name, &"v\"");
                }
            }
        }
        // The listed names at another address than the descriptor's, as a hand-written label
        // set may pass them.
        let route: &'static str = String::from("http.route").leak();
        let moved: &'static [&'static str] = Vec::leak(vec![route, "net.peer"]);
        let cases: [(&'static str, Escaping, &'static [&'static str], &str); 6] = [
            (
                "app.c",
                Escaping::AllowUtf8,
                &["http.route", "code"],
                "{\"app.c\",\"http.route\"=\"v\\\"\",code=\"v\\\"\"} 1\n",
            ),
            ("app.c", Escaping::AllowUtf8, &[], "{\"app.c\"} 1\n"),
            ("app_c", Escaping::AllowUtf8, &["code", "net.peer"], "app_c{code=\"v\\\"\",\"net.peer\"=\"v\\\"\"} 1\n"),
            ("app_c", Escaping::AllowUtf8, &[], "app_c 1\n"),
            ("app_c", Escaping::Underscores, moved, "app_c{http_route=\"v\\\"\",net_peer=\"v\\\"\"} 1\n"),
            ("app.c", Escaping::Dots, &["code"], "app_dot_c{code=\"v\\\"\"} 1\n"),
        ];
        for (name, escaping, labels, want) in cases {
            let mut out = Vec::new();
            let mut lines = Lines::new(&mut out, "", FloatStyle::Go);
            lines.set_escaping(escaping);
            lines.family(name, "", &LISTED);
            lines.single(&Series(labels), Number::U64(1));
            assert_eq!(String::from_utf8(out).unwrap_or_default(), want, "{name} {escaping:?} {labels:?}");
        }
    }

    #[test]
    fn escapes_at_every_length_and_position() {
        // The word-at-a-time copy (8 to 63 bytes), its overlapping tail, and the general path.
        let plain = |s: &str, quote: bool| {
            let s = s.replace('\\', "\\\\").replace('\n', "\\n");
            if quote { s.replace('"', "\\\"") } else { s }
        };
        for len in 0..80 {
            let base: String = (0..len).map(|i| char::from(b'a' + (i % 26) as u8)).collect();
            let mut cases = vec![base.clone()];
            for at in 0..len {
                for special in ['\\', '\n', '"'] {
                    let mut s = base.clone().into_bytes();
                    s[at] = special as u8;
                    cases.push(String::from_utf8(s).unwrap_or_default());
                }
            }
            for s in cases {
                for (mode, quote) in [(Escape::WithQuotes, true), (Escape::HelpText, false)] {
                    let mut out = b"x".to_vec();
                    escape(&mut out, &s, mode);
                    assert_eq!(out, format!("x{}", plain(&s, quote)).into_bytes(), "{s:?} {mode:?}");
                }
            }
        }
    }

    #[test]
    fn label_values_escape_inline_as_in_general() {
        // The inline paths (8 to 16 and 17 to 32 bytes) against `escape`, at every length and
        // position, with each byte to escape and bytes the inline test lets through to the
        // exact scan (below `#`) or passes (UTF-8, `#`, `]`).
        for len in 0..40 {
            let base: String = (0..len).map(|i| char::from(b'a' + (i % 26) as u8)).collect();
            let mut cases = vec![base.clone(), "é".repeat(len / 2)];
            for at in 0..len {
                for special in [b'\\', b'\n', b'"', b' ', b'!', 0, 0x1f, b'#', b']', 0x7f] {
                    let mut s = base.clone().into_bytes();
                    s[at] = special;
                    cases.push(String::from_utf8(s).unwrap_or_default());
                }
            }
            for s in cases {
                let (mut inline, mut general) = (b"x".to_vec(), b"x".to_vec());
                super::escape_value(&mut inline, &s);
                escape(&mut general, &s, Escape::WithQuotes);
                assert_eq!(inline, general, "{s:?}");
            }
        }
    }

    #[test]
    fn escapes_per_format() {
        let mut v = Vec::new();
        escape(&mut v, "a\\b\"c\nd", Escape::WithQuotes);
        assert_eq!(v, b"a\\\\b\\\"c\\nd");
        v.clear();
        escape(&mut v, "a\\b\"c\nd", Escape::HelpText);
        assert_eq!(v, b"a\\\\b\"c\\nd");
    }
}

#[cfg(test)]
#[path = "escaping_tests.rs"]
mod escaping_tests;
