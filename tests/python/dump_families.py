"""Parses a file with the Python reference client and prints what it read as JSON:
`dump_families.py prom|om FILE` prints `[{name, type, help, samples: [[name, labels, value]]}]`.
Exits non-zero (with the parser's message) if the file does not parse. Run by both the pinned
client (legacy names) and the UTF-8-aware one of the venv `scripts/install.sh` makes."""
import json
import math
import sys

from prometheus_client.parser import text_string_to_metric_families as parse_prom
from prometheus_client.openmetrics.parser import text_string_to_metric_families as parse_om

kind, path = sys.argv[1], sys.argv[2]
text = open(path, encoding="utf-8").read()
parse = parse_prom if kind == "prom" else parse_om
out = []
for f in parse(text):
    samples = [[s.name, s.labels, None if math.isnan(s.value) else s.value] for s in f.samples]
    out.append({"name": f.name, "type": f.type, "help": f.documentation, "samples": samples})
print(json.dumps(out))
