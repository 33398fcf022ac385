//! Content negotiation on `Accept` and `Accept-Encoding`, honouring q-values and reading
//! media-type parameters (never comparing whole header strings).

use metrics_core::{Escaping, Format};

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

/// The text format a scraper prefers (see [`negotiate`]).
pub fn text_format(accept: Option<&str>) -> Format {
    negotiate(accept, true).0
}

/// The text format a scraper prefers and how names outside the legacy set are spelled for it:
/// OpenMetrics 1.0 (if `openmetrics`) when it asks for it at least as much as for Prometheus
/// text, Prometheus text otherwise (also when the header is absent or asks for neither, as
/// client_golang does). The scheme is the `escaping=` parameter of the chosen range,
/// `underscores` when it names none or none we know; `allow-utf-8` (quoted names) only for
/// formats that can quote, text 1.0.0 and OpenMetrics 1.0.0, so a range asking for it with text
/// 0.0.4 or OpenMetrics 0.0.1 gets `underscores`.
pub fn negotiate(accept: Option<&str>, openmetrics: bool) -> (Format, Escaping) {
    let default = (Format::Prometheus, Escaping::Underscores);
    let Some(accept) = accept else {
        return default;
    };
    // The first range of the highest q-value, per format.
    let (mut om, mut text) = ((0.0f32, Escaping::Underscores), (0.0f32, Escaping::Underscores));
    for r in ranges(accept) {
        let v = r.value.to_ascii_lowercase();
        let asked = param(&r, "escaping").and_then(Escaping::parse).unwrap_or_default();
        // Schemes that keep names legacy suit every version; quoting needs the newer ones.
        let legacy_only = if asked == Escaping::AllowUtf8 { Escaping::Underscores } else { asked };
        let (slot, escaping) = match v.as_str() {
            "application/openmetrics-text" if openmetrics => match param(&r, "version") {
                // We speak 1.0.0; the older draft 0.0.1 is a subset scrapers still accept.
                None | Some("1.0.0") => (&mut om, asked),
                Some("0.0.1") => (&mut om, legacy_only),
                _ => continue,
            },
            "text/plain" => match param(&r, "version") {
                Some("1.0.0") => (&mut text, asked),
                None | Some("0.0.4") => (&mut text, legacy_only),
                _ => continue,
            },
            "text/*" | "*/*" => (&mut text, Escaping::Underscores),
            _ => continue,
        };
        if r.q > slot.0 {
            *slot = (r.q, escaping);
        }
    }
    if om.0 > 0.0 && om.0 >= text.0 {
        (Format::OpenMetrics, om.1)
    } else if text.0 > 0.0 {
        (Format::Prometheus, text.1)
    } else {
        default
    }
}

/// Whether a scraper prefers the protobuf exposition format
/// (`application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily;
/// encoding=delimited`) to every text format it accepts, as Prometheus does with native
/// histograms on (it lists protobuf first). A range naming another message or encoding does
/// not count; `*/*` counts for text only; at equal q-values protobuf wins, being the format
/// the scraper names explicitly and the only one with native histograms.
pub fn prefers_protobuf(accept: Option<&str>) -> bool {
    protobuf_escaping(accept).is_some()
}

/// How names are spelled for a scraper that prefers protobuf (see [`prefers_protobuf`]);
/// `None` when it prefers a text format. The scheme is the `escaping=` parameter of the first
/// protobuf range of the highest q-value, `underscores` when it names none or none we know, as
/// client_golang answers. Protobuf carries any UTF-8 string, so `allow-utf-8` is honoured
/// whatever else the range says (Prometheus 3.0 sends
/// `application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited;escaping=allow-utf-8`
/// when its names are UTF-8).
pub fn protobuf_escaping(accept: Option<&str>) -> Option<Escaping> {
    let accept = accept?;
    let (mut proto, mut text) = ((0.0f32, Escaping::Underscores), 0.0f32);
    for r in ranges(accept) {
        if r.value.eq_ignore_ascii_case("application/vnd.google.protobuf") {
            let message = param(&r, "proto").is_none_or(|p| p == "io.prometheus.client.MetricFamily");
            let delimited = param(&r, "encoding").is_none_or(|e| e.eq_ignore_ascii_case("delimited"));
            if message && delimited && r.q > proto.0 {
                proto = (r.q, param(&r, "escaping").and_then(Escaping::parse).unwrap_or_default());
            }
        } else {
            text = text.max(r.q);
        }
    }
    (proto.0 > 0.0 && proto.0 >= text).then_some(proto.1)
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

    /// Prometheus 3's default `Accept` (scrape protocols OpenMetrics 1.0.0, 0.0.1, text 1.0.0,
    /// 0.0.4 with UTF-8 names allowed).
    const PROM3: &str = "application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.5,application/openmetrics-text;version=0.0.1;q=0.4,text/plain;version=1.0.0;escaping=allow-utf-8;q=0.3,text/plain;version=0.0.4;q=0.2,*/*;q=0.1";

    #[test]
    fn escaping_cases() {
        use Escaping::*;
        use Format::*;
        let cases: &[(Option<&str>, bool, (Format, Escaping))] = &[
            (None, true, (Prometheus, Underscores)),
            (Some(PROM3), true, (OpenMetrics, AllowUtf8)),
            // OpenMetrics turned off: text 1.0.0 with quoted names.
            (Some(PROM3), false, (Prometheus, AllowUtf8)),
            (Some("text/plain;version=1.0.0;escaping=allow-utf-8"), true, (Prometheus, AllowUtf8)),
            (Some("text/plain;version=1.0.0"), true, (Prometheus, Underscores)),
            (Some("text/plain;version=1.0.0;escaping=dots"), true, (Prometheus, Dots)),
            (Some("text/plain;version=1.0.0;escaping=VALUES"), true, (Prometheus, Values)),
            (Some("text/plain;version=1.0.0;escaping=bogus"), true, (Prometheus, Underscores)),
            // 0.0.4 cannot quote names.
            (Some("text/plain;version=0.0.4;escaping=allow-utf-8"), true, (Prometheus, Underscores)),
            (Some("text/plain;version=0.0.4;escaping=values"), true, (Prometheus, Values)),
            (Some("application/openmetrics-text;version=0.0.1;escaping=allow-utf-8"), true, (OpenMetrics, Underscores)),
            (Some("application/openmetrics-text;version=1.0.0;escaping=dots"), true, (OpenMetrics, Dots)),
            (Some("application/openmetrics-text;version=1.0.0;escaping=underscores"), true, (OpenMetrics, Underscores)),
            // Prometheus 3 with `metric_name_validation_scheme: legacy`.
            (
                Some(
                    "application/openmetrics-text;version=1.0.0;escaping=underscores;q=0.5,text/plain;version=1.0.0;escaping=underscores;q=0.3,*/*;q=0.1",
                ),
                true,
                (OpenMetrics, Underscores),
            ),
            // The first range of the highest q-value decides its format's scheme.
            (
                Some(
                    "text/plain;version=1.0.0;escaping=dots;q=0.3,text/plain;version=1.0.0;escaping=allow-utf-8;q=0.9",
                ),
                true,
                (Prometheus, AllowUtf8),
            ),
            (
                Some("application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0"),
                true,
                (Prometheus, Underscores),
            ),
        ];
        for &(accept, om, want) in cases {
            assert_eq!(negotiate(accept, om), want, "{accept:?} {om}");
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
    fn protobuf_escaping_cases() {
        use Escaping::*;
        const PROTO: &str =
            "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited";
        let cases: Vec<(String, Option<Escaping>)> = vec![
            (PROTO.into(), Some(Underscores)),
            // Prometheus 3.0 with UTF-8 names: every range asks for `allow-utf-8`.
            (
                format!(
                    "{PROTO};escaping=allow-utf-8;q=0.5,application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.4,*/*;q=0.1"
                ),
                Some(AllowUtf8),
            ),
            (format!("{PROTO};escaping=dots"), Some(Dots)),
            (format!("{PROTO}; escaping=\"values\""), Some(Values)),
            (format!("{PROTO};escaping=underscores"), Some(Underscores)),
            (format!("{PROTO};escaping=bogus"), Some(Underscores)),
            // The first range of the highest q-value decides.
            (format!("{PROTO};escaping=dots;q=0.2,{PROTO};escaping=allow-utf-8;q=0.9"), Some(AllowUtf8)),
            (format!("{PROTO};escaping=dots;q=0.9,{PROTO};escaping=allow-utf-8;q=0.9"), Some(Dots)),
            // Text preferred: no protobuf.
            (format!("{PROTO};escaping=allow-utf-8;q=0.4,text/plain;version=1.0.0;q=0.5"), None),
        ];
        for (accept, want) in cases {
            assert_eq!(protobuf_escaping(Some(&accept)), want, "{accept}");
            assert_eq!(prefers_protobuf(Some(&accept)), want.is_some(), "{accept}");
        }
        assert_eq!(protobuf_escaping(None), None);
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
