"""Parses a file with the Python reference client: `parse_file.py prom|om FILE`. Prints the
number of families and samples; exits non-zero (with the parser's message) if it does not
parse."""
import sys

from prometheus_client.parser import text_string_to_metric_families as parse_prom
from prometheus_client.openmetrics.parser import text_string_to_metric_families as parse_om

kind, path = sys.argv[1], sys.argv[2]
text = open(path, encoding="utf-8").read()
parse = parse_prom if kind == "prom" else parse_om
families = list(parse(text))
samples = sum(len(f.samples) for f in families)
print(f"{len(families)} families, {samples} samples")
