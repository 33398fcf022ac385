//! The Pushgateway: a batch job's registry as Prometheus text (or the protobuf exposition
//! format), PUT (or POST, or DELETE) to `/metrics/job/<job>{/<label>/<value>}`.

use std::time::SystemTime;

use base64::Engine;
use bytes::Bytes;
use http::Method;
use metrics_core::encoding::{SampleLabels, SampleValue, SampleVisitor};
use metrics_core::{Descriptor, Format, Registry, RenderOptions};

use crate::engine::Protocol;

/// The path of a group: `/metrics/job/<job>` then `/<label>/<value>` per grouping label. A
/// value that is empty or holds anything but `A-Z a-z 0-9 - _ . ~` goes as
/// `<label>@base64/<url-safe base64>`, which the Pushgateway decodes (so `/` is allowed).
///
/// ```
/// let p = metrics_push::pushgateway::group_path("nightly", &[("path".into(), "/var/tmp".into()), ("host".into(), "a1".into())]);
/// assert_eq!(p, "/metrics/job/nightly/path@base64/L3Zhci90bXA=/host/a1");
/// assert_eq!(metrics_push::pushgateway::group_path("a b", &[("x".into(), "".into())]), "/metrics/job@base64/YSBi/x@base64/=");
/// ```
pub fn group_path(job: &str, grouping: &[(String, String)]) -> String {
    let mut p = String::from("/metrics");
    for (name, value) in std::iter::once(("job", job)).chain(grouping.iter().map(|(n, v)| (n.as_str(), v.as_str()))) {
        let plain = !value.is_empty()
            && value.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~'));
        if plain {
            p.push_str(&format!("/{name}/{value}"));
        } else if value.is_empty() {
            // The Pushgateway's spelling of an empty value: the base64 of nothing is "", and a
            // path segment cannot be empty.
            p.push_str(&format!("/{name}@base64/="));
        } else {
            p.push_str(&format!("/{name}@base64/{}", base64::engine::general_purpose::URL_SAFE.encode(value)));
        }
    }
    p
}

pub(crate) struct Pushgateway {
    pub(crate) method: Method,
    /// `job` and the grouping label names: the job's own series may not carry them.
    pub(crate) reserved: Vec<String>,
    /// [`Format::Prometheus`] or [`Format::Protobuf`].
    pub(crate) format: Format,
}

/// Finds a series carrying a label the group reserves.
struct Clash<'a> {
    reserved: &'a [String],
    found: Option<String>,
}

impl SampleVisitor for Clash<'_> {
    fn sample(&mut self, desc: &Descriptor, labels: &SampleLabels<'_>, _: SampleValue<'_>) {
        if self.found.is_none()
            && let Some((name, value)) = labels.iter().find(|(n, _)| self.reserved.iter().any(|r| r == n))
        {
            self.found = Some(format!(
                "the metric `{}` has a label `{name}` (value `{value}`), which the Pushgateway group already sets: rename the label or drop it from the grouping",
                desc.name
            ));
        }
    }
}

/// Checks that no series of `registry` carries `job` or a grouping label.
pub(crate) fn check_clash(registry: &Registry, reserved: &[String]) -> Result<(), String> {
    let mut c = Clash { reserved, found: None };
    registry.visit(&mut c);
    c.found.map_or(Ok(()), Err)
}

impl Protocol for Pushgateway {
    fn collect(&mut self, registry: &Registry, _: SystemTime) -> Result<Vec<Bytes>, String> {
        if self.method == Method::DELETE {
            return Ok(vec![Bytes::new()]);
        }
        check_clash(registry, &self.reserved)?;
        let mut body = Vec::new();
        registry.render_into(&RenderOptions::new(self.format), &mut body);
        Ok(vec![Bytes::from(body)])
    }
}
