//! Label sets and label values: how a family identifies its series and how labels reach the
//! encoders.
//!
//! A dynamic family keeps an owned copy of each series' label set. A `String` value costs a
//! heap allocation of its own per series; a [`SmolStr`] value of up to 23 bytes is stored inline
//! in the series (longer ones are shared, reference-counted, with the copy they came from):
//!
//! ```
//! use metrics_core::labels::SmolStr;
//! use metrics_core::{Counter, Family, LabelSet};
//!
//! #[derive(LabelSet)]
//! struct Route {
//!     route: SmolStr,
//! }
//!
//! let requests: Family<Route, Counter> = Family::new();
//! let long = "/api/v1/a/route/longer/than/23/bytes";
//! for path in [String::from("/api/v1/users"), long.to_owned()] {
//!     requests.get_or_create(&Route { route: path.into() }).inc();
//! }
//! assert_eq!(requests.get(&Route { route: SmolStr::new_static("/api/v1/users") }).map(|c| c.get()), Some(1));
//! // The family's own copies: the short value inline, the long one on the heap.
//! let mut stored = Vec::new();
//! requests.retain(|l, _| {
//!     stored.push((l.route.len(), l.route.is_heap_allocated()));
//!     true
//! });
//! stored.sort();
//! assert_eq!(stored, [(13, false), (long.len(), true)]);
//! ```

use std::borrow::Cow;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

pub use smol_str::SmolStr;

use crate::descriptor::LabelDescriptor;

/// Receives one label value, escaping it for the output format.
pub trait ValueSink {
    /// Writes a string value.
    fn write_str(&mut self, s: &str);
    /// Writes an unsigned integer value.
    fn write_u64(&mut self, v: u64);
    /// Writes a signed integer value.
    fn write_i64(&mut self, v: i64);
}

/// Receives the labels of one series, in order.
pub trait LabelWriter {
    /// Writes one label.
    fn label<V: LabelValue + ?Sized>(&mut self, name: &'static str, value: &V);
}

/// Something that can write the labels of one series.
pub trait EncodeLabels {
    /// Writes every label, in declaration order.
    fn encode_labels<W: LabelWriter>(&self, w: &mut W);
}

/// The value of one label: a string, an integer, a bool, or an enum deriving
/// [`LabelValue`](derive@crate::LabelValue).
///
/// The trait carries its own equality, hashing and cloning so that deriving it on an enum is all
/// a user writes: no `Clone`, `Eq` or `Hash` derives are needed next to it.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a label value",
    label = "not a label value: a string, an integer, a `bool`, or an enum deriving `LabelValue`",
    note = "add `#[derive(LabelValue)]` to an enum of unit variants; for a type of another crate, wrap it in a newtype and implement `LabelValue` for that"
)]
pub trait LabelValue: Send + Sync + 'static {
    /// Every value the type can take, in index order, when it is a fixed-cardinality enum.
    /// Families whose labels are all such enums store their series in a dense array.
    const VALUES: Option<&'static [&'static str]> = None;

    /// The index of this value in [`VALUES`](Self::VALUES) (0 when `VALUES` is `None`).
    fn value_index(&self) -> usize {
        0
    }

    /// The value at `index` of [`VALUES`](Self::VALUES), for fixed-cardinality enums.
    fn from_value_index(index: usize) -> Option<Self>
    where
        Self: Sized,
    {
        let _ = index;
        None
    }

    /// Writes the value.
    fn write_value<S: ValueSink + ?Sized>(&self, sink: &mut S);

    /// Whether two values are the same label value.
    fn value_eq(&self, other: &Self) -> bool;

    /// Feeds the value to a hasher.
    fn value_hash<H: Hasher>(&self, state: &mut H);

    /// An owned copy of the value.
    fn value_clone(&self) -> Self
    where
        Self: Sized;

    /// Writes the value as the label `name`. Generated code calls it as
    /// `<T as LabelValue>::write_label`, like every other use of a label's type, so that a type
    /// that is not a label value is reported once.
    #[doc(hidden)]
    #[inline]
    fn write_label<W: LabelWriter + ?Sized>(&self, name: &'static str, writer: &mut W) {
        writer.label(name, self);
    }
}

/// The labels of a family's series: a struct deriving [`LabelSet`](derive@crate::LabelSet).
///
/// When every label is a fixed-cardinality enum ([`CARDINALITY`](Self::CARDINALITY) is `Some`),
/// the family indexes a dense array arithmetically; otherwise it hashes into a sharded map.
pub trait LabelSet: Send + Sync + 'static {
    /// The labels, in declaration order.
    const LABELS: &'static [LabelDescriptor];
    /// The number of distinct label sets when every label is an enum; `None` otherwise.
    const CARDINALITY: Option<usize>;

    /// The index of this label set in `0..CARDINALITY` (row-major over the labels).
    fn dense_index(&self) -> usize;
    /// Writes the labels of the label set at `index` in `0..CARDINALITY`.
    fn encode_dense<W: LabelWriter>(index: usize, w: &mut W);
    /// The label set at `index` in `0..CARDINALITY` (`None` for label sets that are not dense).
    fn from_dense_index(index: usize) -> Option<Self>
    where
        Self: Sized;
    /// Writes the labels.
    fn encode<W: LabelWriter>(&self, w: &mut W);
    /// Whether two label sets are the same series.
    fn labels_eq(&self, other: &Self) -> bool;
    /// Feeds the label set to a hasher.
    fn labels_hash<H: Hasher>(&self, state: &mut H);
    /// An owned copy of the label set, stored by the family when it creates a series.
    fn labels_clone(&self) -> Self
    where
        Self: Sized;
}

/// The number of distinct values of a product of labels, or `None` if any label is unbounded.
/// Used by the derive in `const` context.
pub const fn cardinality_product(parts: &[Option<&'static [&'static str]>]) -> Option<usize> {
    let mut total: usize = 1;
    let mut i = 0;
    while i < parts.len() {
        match parts[i] {
            Some(v) => match total.checked_mul(v.len()) {
                Some(t) => total = t,
                None => return None,
            },
            None => return None,
        }
        i += 1;
    }
    Some(total)
}

/// The values of one label for the catalog: the enum's values, or none.
pub const fn values_or_empty(values: Option<&'static [&'static str]>) -> &'static [&'static str] {
    match values {
        Some(v) => v,
        None => &[],
    }
}

impl<L: LabelSet> EncodeLabels for L {
    fn encode_labels<W: LabelWriter>(&self, w: &mut W) {
        self.encode(w)
    }
}

/// No labels (an unlabelled series).
impl EncodeLabels for () {
    fn encode_labels<W: LabelWriter>(&self, _: &mut W) {}
}

/// The labels of the series at `index` of a dense family.
pub(crate) struct DenseLabels<L> {
    pub(crate) index: usize,
    pub(crate) _l: std::marker::PhantomData<fn() -> L>,
}

impl<L: LabelSet> EncodeLabels for DenseLabels<L> {
    fn encode_labels<W: LabelWriter>(&self, w: &mut W) {
        L::encode_dense(self.index, w)
    }
}

/// The value every label of a family's overflow series carries.
pub const OVERFLOW_VALUE: &str = "__overflow__";

/// The labels of a family's overflow series: every label set to [`OVERFLOW_VALUE`].
pub(crate) struct OverflowLabels(pub(crate) &'static [LabelDescriptor]);

impl EncodeLabels for OverflowLabels {
    fn encode_labels<W: LabelWriter>(&self, w: &mut W) {
        for l in self.0 {
            w.label(l.name, &OVERFLOW_VALUE);
        }
    }
}

macro_rules! string_like {
    ($($t:ty),*) => {$(
        impl LabelValue for $t {
            fn write_value<S: ValueSink + ?Sized>(&self, sink: &mut S) {
                sink.write_str(self)
            }
            fn value_eq(&self, other: &Self) -> bool {
                **self == **other
            }
            fn value_hash<H: Hasher>(&self, state: &mut H) {
                str::hash(self, state)
            }
            fn value_clone(&self) -> Self {
                self.clone()
            }
        }
    )*};
}
string_like!(String, Box<str>, Arc<str>, Cow<'static, str>, SmolStr);

impl LabelValue for &'static str {
    fn write_value<S: ValueSink + ?Sized>(&self, sink: &mut S) {
        sink.write_str(self)
    }
    fn value_eq(&self, other: &Self) -> bool {
        self == other
    }
    fn value_hash<H: Hasher>(&self, state: &mut H) {
        str::hash(self, state)
    }
    fn value_clone(&self) -> Self {
        self
    }
}

macro_rules! integer {
    ($write:ident as $as:ty: $($t:ty),*) => {$(
        impl LabelValue for $t {
            fn write_value<S: ValueSink + ?Sized>(&self, sink: &mut S) {
                sink.$write(*self as $as)
            }
            fn value_eq(&self, other: &Self) -> bool {
                self == other
            }
            fn value_hash<H: Hasher>(&self, state: &mut H) {
                Hash::hash(self, state)
            }
            fn value_clone(&self) -> Self {
                *self
            }
        }
    )*};
}
integer!(write_u64 as u64: u8, u16, u32, u64, usize);
integer!(write_i64 as i64: i8, i16, i32, i64, isize);

impl LabelValue for bool {
    const VALUES: Option<&'static [&'static str]> = Some(&["false", "true"]);
    fn value_index(&self) -> usize {
        *self as usize
    }
    fn from_value_index(index: usize) -> Option<Self> {
        match index {
            0 => Some(false),
            1 => Some(true),
            _ => None,
        }
    }
    fn write_value<S: ValueSink + ?Sized>(&self, sink: &mut S) {
        sink.write_str(if *self { "true" } else { "false" })
    }
    fn value_eq(&self, other: &Self) -> bool {
        self == other
    }
    fn value_hash<H: Hasher>(&self, state: &mut H) {
        Hash::hash(self, state)
    }
    fn value_clone(&self) -> Self {
        *self
    }
}
