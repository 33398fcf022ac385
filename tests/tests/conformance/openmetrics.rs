//! OpenMetrics rules a strict parser enforces, checked directly on every example's output.

use std::collections::BTreeSet;

use crate::example_outputs;

/// `# EOF` last, counters' samples end in `_total`/`_created`, `# UNIT` matches the name's
/// suffix, metadata before samples and in the order TYPE, UNIT, HELP, no family interleaved,
/// `+Inf` bucket equal to `_count`, no carriage return.
#[test]
fn openmetrics_rules() {
    for (name, _, om, _) in example_outputs() {
        assert!(!om.contains('\r'), "{name}");
        let lines: Vec<&str> = om.lines().collect();
        assert_eq!(lines.last(), Some(&"# EOF"), "{name}");
        assert_eq!(lines.iter().filter(|l| **l == "# EOF").count(), 1);
        let mut seen = BTreeSet::new();
        let mut family = String::new();
        let mut kind = String::new();
        let mut meta = Vec::new();
        let mut inf: Option<f64> = None;
        for l in &lines[..lines.len() - 1] {
            if let Some(rest) = l.strip_prefix("# ") {
                let mut parts = rest.splitn(3, ' ');
                let (what, fam) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
                if fam != family {
                    assert!(seen.insert(fam.to_owned()), "{name}: family {fam} interleaved or repeated");
                    family = fam.to_owned();
                    meta.clear();
                }
                meta.push(what.to_owned());
                match what {
                    "TYPE" => kind = parts.next().unwrap_or("").to_owned(),
                    "UNIT" => assert!(fam.ends_with(&format!("_{}", parts.next().unwrap_or(""))), "{name}: {l}"),
                    _ => {}
                }
                let order: Vec<&str> =
                    ["TYPE", "UNIT", "HELP"].into_iter().filter(|m| meta.iter().any(|x| x == m)).collect();
                assert_eq!(meta, order, "{name}: metadata order of {fam}");
                continue;
            }
            let (sample, labels) = metrics_tests::parse_sample(l);
            let value: f64 = l.rsplit(' ').next().and_then(|v| v.parse().ok()).unwrap_or(f64::NAN);
            let suffix = sample
                .strip_prefix(&family)
                .unwrap_or_else(|| panic!("{name}: sample {sample} outside family {family}"));
            match kind.as_str() {
                "counter" => assert!(suffix == "_total" || suffix == "_created", "{name}: {l}"),
                "gauge" => assert_eq!(suffix, "", "{name}: {l}"),
                "info" => assert_eq!(suffix, "_info", "{name}: {l}"),
                "histogram" => {
                    assert!(["_bucket", "_count", "_sum", "_created"].contains(&suffix), "{name}: {l}");
                    if suffix == "_bucket" && labels.iter().any(|(k, v)| k == "le" && v == "+Inf") {
                        inf = Some(value);
                    }
                    if suffix == "_count" {
                        assert_eq!(inf.take(), Some(value), "{name}: +Inf bucket and _count differ at {l}");
                    }
                }
                "summary" => assert!(["", "_count", "_sum", "_created"].contains(&suffix), "{name}: {l}"),
                other => panic!("{name}: unexpected type {other}"),
            }
            if kind == "counter" || suffix == "_bucket" {
                assert!(value >= 0.0 || value.is_nan(), "{name}: negative {l}");
            }
        }
    }
}
