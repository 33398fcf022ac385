//! Content negotiation on `Accept` and `Accept-Encoding`, honouring q-values and reading
//! media-type parameters (never comparing whole header strings).

use metrics_core::Format;

/// One element of an `Accept`-like header.
struct Range<'a> {
    value: &'a str,
    params: Vec<(&'a str, &'a str)>,
    q: f32,
}

fn ranges(header: &str) -> impl Iterator<Item = Range<'_>> {
    header.split(',').filter_map(|part| {
        let mut it = part.split(';');
        let value = it.next()?.trim();
        if value.is_empty() {
            return None;
        }
        let mut q = 1.0f32;
        let mut params = Vec::new();
        for p in it {
            let Some((k, v)) = p.split_once('=') else {
                continue;
            };
            let (k, v) = (k.trim(), v.trim().trim_matches('"'));
            if k.eq_ignore_ascii_case("q") {
                // An unparsable q-value makes the range unusable rather than preferred.
                q = v.parse::<f32>().ok().filter(|q| (0.0..=1.0).contains(q)).unwrap_or(0.0);
            } else {
                params.push((k, v));
            }
        }
        Some(Range { value, params, q })
    })
}

fn param<'a>(r: &Range<'a>, name: &str) -> Option<&'a str> {
    r.params.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| *v)
}

/// The text format a scraper prefers: OpenMetrics 1.0 when it asks for it at least as much as
/// for Prometheus text, Prometheus 0.0.4 otherwise (also when the header is absent or asks
/// for neither, as client_golang does).
pub fn text_format(accept: Option<&str>) -> Format {
    let Some(accept) = accept else {
        return Format::Prometheus;
    };
    let (mut om, mut text) = (0.0f32, 0.0f32);
    for r in ranges(accept) {
        let v = r.value.to_ascii_lowercase();
        match v.as_str() {
            "application/openmetrics-text" => {
                // We speak 1.0.0; the older draft 0.0.1 is a subset scrapers still accept.
                if matches!(param(&r, "version"), None | Some("1.0.0") | Some("0.0.1")) {
                    om = om.max(r.q);
                }
            }
            "text/plain" => {
                if matches!(param(&r, "version"), None | Some("0.0.4")) {
                    text = text.max(r.q);
                }
            }
            "text/*" | "*/*" => text = text.max(r.q),
            _ => {}
        }
    }
    if om > 0.0 && om >= text { Format::OpenMetrics } else { Format::Prometheus }
}

/// Whether a scraper prefers the protobuf exposition format
/// (`application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily;
/// encoding=delimited`) to every text format it accepts, as Prometheus does with native
/// histograms on (it lists protobuf first). A range naming another message or encoding does
/// not count; `*/*` counts for text only; at equal q-values protobuf wins, being the format
/// the scraper names explicitly and the only one with native histograms.
pub fn prefers_protobuf(accept: Option<&str>) -> bool {
    let Some(accept) = accept else {
        return false;
    };
    let (mut proto, mut text) = (0.0f32, 0.0f32);
    for r in ranges(accept) {
        if r.value.eq_ignore_ascii_case("application/vnd.google.protobuf") {
            let message = param(&r, "proto").is_none_or(|p| p == "io.prometheus.client.MetricFamily");
            let delimited = param(&r, "encoding").is_none_or(|e| e.eq_ignore_ascii_case("delimited"));
            if message && delimited {
                proto = proto.max(r.q);
            }
        } else {
            text = text.max(r.q);
        }
    }
    proto > 0.0 && proto >= text
}

/// Whether the client accepts a gzip-encoded response.
pub fn accepts_gzip(accept_encoding: Option<&str>) -> bool {
    let Some(h) = accept_encoding else {
        return false;
    };
    let (mut gzip, mut star) = (None, None);
    for r in ranges(h) {
        if r.value.eq_ignore_ascii_case("gzip") || r.value.eq_ignore_ascii_case("x-gzip") {
            gzip = Some(gzip.unwrap_or(0.0f32).max(r.q));
        } else if r.value == "*" {
            star = Some(r.q);
        }
    }
    gzip.or(star).is_some_and(|q| q > 0.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_cases() {
        let cases = [
            (None, Format::Prometheus),
            (Some(""), Format::Prometheus),
            (Some("*/*"), Format::Prometheus),
            (Some("text/plain"), Format::Prometheus),
            (Some("application/json"), Format::Prometheus),
            // Prometheus 2.x
            (
                Some(
                    "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1",
                ),
                Format::OpenMetrics,
            ),
            // Prometheus 3.x with escaping parameters
            (
                Some(
                    "application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.5,application/openmetrics-text;version=0.0.1;q=0.4,text/plain;version=1.0.0;escaping=allow-utf-8;q=0.3,text/plain;version=0.0.4;q=0.2,*/*;q=0.1",
                ),
                Format::OpenMetrics,
            ),
            (
                Some("text/plain;version=0.0.4;q=1, application/openmetrics-text;version=1.0.0;q=0.5"),
                Format::Prometheus,
            ),
            (Some("application/openmetrics-text; version=\"1.0.0\"; charset=utf-8"), Format::OpenMetrics),
            (Some("application/openmetrics-text;version=2.0.0"), Format::Prometheus),
            (Some("application/openmetrics-text;q=0"), Format::Prometheus),
            (Some("application/openmetrics-text;q=bogus"), Format::Prometheus),
            (Some("APPLICATION/OPENMETRICS-TEXT"), Format::OpenMetrics),
        ];
        for (accept, want) in cases {
            assert_eq!(text_format(accept), want, "{accept:?}");
        }
    }

    #[test]
    fn protobuf_cases() {
        let cases = [
            (None, false),
            (Some("*/*"), false),
            (Some("text/plain;version=0.0.4"), false),
            // Prometheus 2.42 with `--enable-feature=native-histograms`.
            (
                Some(
                    "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited,application/openmetrics-text;version=1.0.0;q=0.8,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1",
                ),
                true,
            ),
            // Prometheus 2.x without native histograms: no protobuf at all.
            (
                Some(
                    "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1",
                ),
                false,
            ),
            (Some("application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=text"), false),
            (Some("application/vnd.google.protobuf;proto=other.Message;encoding=delimited"), false),
            (
                Some(
                    "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited;q=0.4,text/plain;q=0.5",
                ),
                false,
            ),
            (
                Some("application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited;q=0"),
                false,
            ),
            (
                Some(
                    "APPLICATION/VND.GOOGLE.PROTOBUF; proto=io.prometheus.client.MetricFamily; encoding=delimited, */*",
                ),
                true,
            ),
        ];
        for (accept, want) in cases {
            assert_eq!(prefers_protobuf(accept), want, "{accept:?}");
        }
    }

    #[test]
    fn encoding_cases() {
        assert!(accepts_gzip(Some("gzip")));
        assert!(accepts_gzip(Some("deflate, gzip;q=0.5")));
        assert!(accepts_gzip(Some("*")));
        assert!(!accepts_gzip(Some("gzip;q=0")));
        assert!(!accepts_gzip(Some("*, gzip;q=0")));
        assert!(!accepts_gzip(Some("identity")));
        assert!(!accepts_gzip(None));
    }
}
