//! Info metrics: a constant series of value 1 whose labels carry the information.

use std::fmt;
use std::sync::OnceLock;

use crate::descriptor::{Descriptor, LabelDescriptor, MetricKind};
use crate::encoding::{Encoder, SampleValue};
use crate::labels::LabelSet;
use crate::metric::Collect;

/// An info metric such as `build_info{version="1.2.0",commit="abc"} 1`.
///
/// Its labels are set once, when the information is known; until then the family has no
/// series. In Prometheus text it is a gauge of value 1 (as client_golang's `build_info`); in
/// OpenMetrics an `info` family. Its samples are named `<name>_info` in every format (JSON and
/// the catalog too): a field `build` and a field `build_info` both expose `build_info`.
#[derive(Default)]
pub struct Info<L: LabelSet> {
    labels: OnceLock<L>,
}

impl<L: LabelSet> Info<L> {
    /// An info metric with no labels set yet.
    pub const fn new() -> Self {
        Info { labels: OnceLock::new() }
    }

    /// Sets the labels. They can be set once: a second call leaves the first labels in place
    /// and returns its own back in the error.
    ///
    /// ```
    /// use metrics_core::{Info, LabelSet};
    /// #[derive(LabelSet)]
    /// struct Version { version: String }
    ///
    /// let build: Info<Version> = Info::new();
    /// build.set(Version { version: "1.2.0".into() }).unwrap();
    /// let again = build.set(Version { version: "2.0.0".into() }).unwrap_err();
    /// assert_eq!(again.to_string(), "the info metric's labels are already set");
    /// assert_eq!(again.into_inner().version, "2.0.0");
    /// ```
    pub fn set(&self, labels: L) -> Result<(), AlreadySet<L>> {
        self.labels.set(labels).map_err(AlreadySet)
    }

    /// The labels, if set.
    pub fn get(&self) -> Option<&L> {
        self.labels.get()
    }
}

impl<L: LabelSet> fmt::Debug for Info<L> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Info").field("set", &self.labels.get().is_some()).finish()
    }
}

impl<L: LabelSet> Collect for Info<L> {
    const KIND: MetricKind = MetricKind::Info;
    const LABELS: &'static [LabelDescriptor] = L::LABELS;
    const IS_FAMILY: bool = false;

    fn from_descriptor(_: &'static Descriptor) -> Self {
        Self::new()
    }

    fn collect<E: Encoder>(&self, desc: &'static Descriptor, e: &mut E) {
        e.begin_family(desc);
        if let Some(l) = self.labels.get() {
            e.sample(desc, l, SampleValue::Info);
        }
        e.end_family(desc);
    }
}

/// The error of a second [`Info::set`]: the labels it was given, which were not used.
///
/// It implements `Debug` and `Error` whatever the label type, so `set(..).unwrap()` and `?`
/// work on label sets that do not derive `Debug`.
pub struct AlreadySet<L>(pub L);

impl<L> AlreadySet<L> {
    /// The labels that were not set.
    pub fn into_inner(self) -> L {
        self.0
    }
}

impl<L> fmt::Debug for AlreadySet<L> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AlreadySet(..)")
    }
}

impl<L> fmt::Display for AlreadySet<L> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the info metric's labels are already set")
    }
}

impl<L> std::error::Error for AlreadySet<L> {}
