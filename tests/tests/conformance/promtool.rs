//! `promtool check metrics` on every example's Prometheus text.

use std::collections::BTreeSet;
use std::io::Write;
use std::process::{Command, Stdio};

use metrics_tests::tool;

use crate::example_outputs;

/// The promtool lint findings accepted, each with its reason. Anything else fails.
const ACCEPTED_KUMO_FINDINGS: &[(&str, &str)] = &[
    ("connection_count non-histogram and non-summary metrics should not have \"_count\" suffix", "KumoMTA's own name"),
    ("lua_count non-histogram and non-summary metrics should not have \"_count\" suffix", "KumoMTA's own name"),
    ("lua_load_count counter metrics should have \"_total\" suffix", "KumoMTA's counter name, kept with legacy_name"),
    ("lua_load_count non-histogram and non-summary metrics should not have \"_count\" suffix", "KumoMTA's own name"),
    ("lua_spare_count non-histogram and non-summary metrics should not have \"_count\" suffix", "KumoMTA's own name"),
    ("message_count non-histogram and non-summary metrics should not have \"_count\" suffix", "KumoMTA's own name"),
    (
        "message_data_resident_count non-histogram and non-summary metrics should not have \"_count\" suffix",
        "KumoMTA's own name",
    ),
    (
        "message_meta_resident_count non-histogram and non-summary metrics should not have \"_count\" suffix",
        "KumoMTA's own name",
    ),
    ("ready_count non-histogram and non-summary metrics should not have \"_count\" suffix", "KumoMTA's own name"),
    ("scheduled_count non-histogram and non-summary metrics should not have \"_count\" suffix", "KumoMTA's own name"),
    (
        "total_connection_count counter metrics should have \"_total\" suffix",
        "KumoMTA's counter name, kept with legacy_name",
    ),
    (
        "total_connection_count non-histogram and non-summary metrics should not have \"_count\" suffix",
        "KumoMTA's own name",
    ),
    (
        "total_messages_delivered counter metrics should have \"_total\" suffix",
        "KumoMTA's counter name, kept with legacy_name",
    ),
    (
        "total_messages_fail counter metrics should have \"_total\" suffix",
        "KumoMTA's counter name, kept with legacy_name",
    ),
    (
        "total_messages_transfail counter metrics should have \"_total\" suffix",
        "KumoMTA's counter name, kept with legacy_name",
    ),
];

/// `promtool check metrics` on `text`: (exit code, findings).
fn promtool(text: &str) -> (i32, BTreeSet<String>) {
    let promtool = tool("promtool", "apt-get install prometheus");
    let mut child = Command::new(promtool)
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("promtool: {e}"));
    child.stdin.take().map(|mut s| s.write_all(text.as_bytes()));
    let out = child.wait_with_output().unwrap_or_else(|e| panic!("promtool: {e}"));
    let all = String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out.status.code().unwrap_or(-1), all.lines().filter(|l| !l.trim().is_empty()).map(str::to_owned).collect())
}

#[test]
fn promtool_checks_every_example() {
    let accepted: BTreeSet<String> = ACCEPTED_KUMO_FINDINGS.iter().map(|(f, _)| (*f).to_owned()).collect();
    for (name, text, _, _) in example_outputs() {
        let (code, findings) = promtool(&text);
        assert_ne!(code, 1, "promtool cannot parse the {name} output: {findings:?}");
        match name {
            "kumo" => assert_eq!(findings, accepted, "kumo: promtool findings differ from the accepted list"),
            _ => assert!(code == 0 && findings.is_empty(), "{name}: promtool findings {findings:?}"),
        }
    }
}
