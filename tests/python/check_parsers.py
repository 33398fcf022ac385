"""Parses exposition text with the Python reference client and checks it against what the Rust
side says it wrote. Reads a JSON array of cases on stdin; prints one line per failure and exits
non-zero if there was any.

Each case: {"prom": text, "om": text, "json": text, "expect": [family, ...]} where a family is
{"name", "type", "help", "labels": [names], "samples": [[labels_dict, value_str], ...]}.
"""
import json
import math
import sys

from prometheus_client.parser import text_string_to_metric_families as parse_prom
from prometheus_client.openmetrics.parser import text_string_to_metric_families as parse_om

failures = []


def same(got, want):
    w = float(want)
    if math.isnan(w):
        return isinstance(got, float) and math.isnan(got)
    if w == 0.0:
        return float(got) == 0.0 and math.copysign(1, float(got)) == math.copysign(1, w)
    # Integers are compared exactly where the parser keeps them exactly.
    if isinstance(got, int) and "." not in want and "e" not in want and "Inf" not in want:
        return got == int(want)
    return float(got) == w


def check(case_no, fmt, families, expect, sample_suffix):
    by_name = {}
    for f in families:
        for s in f.samples:
            by_name.setdefault(s.name, []).append((s.labels, s.value, f))
    for fam in expect:
        name = fam["name"] + sample_suffix(fam)
        got = by_name.get(name, [])
        if len(got) != len(fam["samples"]):
            failures.append(f"case {case_no} {fmt}: {name}: {len(got)} samples, want {len(fam['samples'])}")
            continue
        for (labels, value, f), (want_labels, want_value) in zip(got, fam["samples"]):
            if labels != want_labels:
                failures.append(f"case {case_no} {fmt}: {name}: labels {labels!r} != {want_labels!r}")
            if not same(value, want_value):
                failures.append(f"case {case_no} {fmt}: {name}{want_labels}: value {value!r} != {want_value}")
            want_help = fam["help"]
            if fmt == "prometheus":
                # This parser strips every line (`line.strip()`), so whitespace at either end
                # of a HELP text cannot come back; the rest must.
                want_help = strip_unescaped(want_help)
            if f.documentation != want_help:
                failures.append(f"case {case_no} {fmt}: {name}: help {f.documentation!r} != {want_help!r}")


def strip_unescaped(s):
    """What `str.strip()` on the line leaves of a help text: whitespace at the ends goes, but
    a newline is written escaped (`\\n`), so it stays and stops the stripping."""
    i, j = 0, len(s)
    while i < j and s[i].isspace() and s[i] != "\n":
        i += 1
    while j > i and s[j - 1].isspace() and s[j - 1] != "\n":
        j -= 1
    return s[i:j]


def reject(c):
    raise ValueError(f"non-standard JSON constant {c}")


def main():
    cases = json.load(sys.stdin)
    for i, case in enumerate(cases):
        expect = case["expect"]
        try:
            prom = list(parse_prom(case["prom"]))
            check(i, "prometheus", prom, expect, lambda f: "_total" if f["type"] == "counter" else "")
        except Exception as e:  # noqa: BLE001 - any parser error is a failure to report
            failures.append(f"case {i} prometheus: parser error {e!r}")
        try:
            om = list(parse_om(case["om"]))
            check(i, "openmetrics", om, expect, lambda f: "_total" if f["type"] == "counter" else "")
        except Exception as e:  # noqa: BLE001
            failures.append(f"case {i} openmetrics: parser error {e!r}")
        try:
            j = json.loads(case["json"], parse_constant=reject)
            for fam in expect:
                key = fam["name"] + ("_total" if fam["type"] == "counter" else "")
                entry = j[key]
                if entry.get("help", "") != fam["help"] or entry["type"] != fam["type"]:
                    failures.append(f"case {i} json: {key}: help/type {entry.get('help')!r}/{entry['type']} differ")
                value = entry["value"]
                if isinstance(value, list):
                    rows = value
                elif isinstance(value, dict) and len(fam["labels"] if "labels" in fam else value) == 1:
                    # One label: {"label": {"label value": number}}.
                    (label, by_value), = value.items()
                    rows = [{label: k, "@": v} for k, v in by_value.items()]
                else:
                    rows = []
                for row, (labels, value) in zip(rows, fam["samples"]):
                    want = {k: v for k, v in labels.items()}
                    got = {k: v for k, v in row.items() if k != "@"}
                    if got != want:
                        failures.append(f"case {i} json: {key}: labels {got!r} != {want!r}")
                    v = row["@"]
                    if isinstance(v, str):
                        ok = v == {"nan": "NaN", "inf": "+Inf", "-inf": "-Inf"}.get(value.lower(), value)
                    else:
                        ok = same(v, value)
                    if not ok:
                        failures.append(f"case {i} json: {key}{want}: value {v!r} != {value}")
                if len(rows) != len(fam["samples"]):
                    failures.append(f"case {i} json: {key}: {len(rows)} rows, want {len(fam['samples'])}")
        except Exception as e:  # noqa: BLE001
            failures.append(f"case {i} json: {e!r}")
    for f in failures[:50]:
        print(f)
    print(f"{len(cases)} cases, {len(failures)} failures")
    sys.exit(1 if failures else 0)


main()
