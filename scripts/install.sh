#!/usr/bin/env bash
# Installs what the tests need beyond the Rust toolchain, if missing: Debian's `prometheus`
# package (the server and promtool), `prometheus-pushgateway` and `victoria-metrics` (push
# receivers), and PyPI's prometheus-client (the reference parsers: 0.21.1 globally, 0.26.0 in
# a venv for UTF-8 names).
# Idempotent: a second run installs nothing.
set -euo pipefail

PROMETHEUS_CLIENT_VERSION=0.21.1
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi

# Debian packages, each checked by a command it installs; one `apt-get update` for all.
MISSING=()
command -v promtool >/dev/null 2>&1 && command -v prometheus >/dev/null 2>&1 || MISSING+=(prometheus)
command -v prometheus-pushgateway >/dev/null 2>&1 || MISSING+=(prometheus-pushgateway)
command -v victoria-metrics >/dev/null 2>&1 || MISSING+=(victoria-metrics)
command -v openssl >/dev/null 2>&1 || MISSING+=(openssl)   # the TLS push test makes its CA
if [ "${#MISSING[@]}" -gt 0 ]; then
  echo "installing ${MISSING[*]} from Debian"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${MISSING[@]}" >/dev/null
fi

# protoc: the peers' protobuf encoders in benches/ (prometheus-client, metrics-exporter-prometheus)
# generate their message types with prost-build at build time. Our own tests decode protobuf
# with prost's derive and need no protoc.
if ! command -v protoc >/dev/null 2>&1; then
  echo "installing protobuf-compiler (protoc) from Debian"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq protobuf-compiler >/dev/null
fi

if ! python3 -c "import prometheus_client, sys; sys.exit(prometheus_client.__version__ != '$PROMETHEUS_CLIENT_VERSION')" 2>/dev/null; then
  # Older clients have no __version__: compare through pip.
  if ! python3 -m pip show prometheus-client 2>/dev/null | grep -x "Version: $PROMETHEUS_CLIENT_VERSION" >/dev/null; then
    echo "installing prometheus-client==$PROMETHEUS_CLIENT_VERSION from PyPI"
    python3 -m pip install -q --disable-pip-version-check "prometheus-client==$PROMETHEUS_CLIENT_VERSION" 2>&1 | grep -v "Running pip as the 'root' user" || true
  fi
fi

# The UTF-8-aware parsers (quoted names in text 1.0.0 and OpenMetrics) are in newer clients;
# the global 0.21.1 stays for the conformance tests, and 0.26.0 lives in a venv of its own,
# where the tests look for it (`METRICS_PY_UTF8_VENV`, by default the path below).
PROMETHEUS_CLIENT_UTF8_VERSION=0.26.0
UTF8_VENV="${METRICS_PY_UTF8_VENV:-$HOME/.cache/metrics-tests/prometheus-client-$PROMETHEUS_CLIENT_UTF8_VERSION}"
if ! "$UTF8_VENV/bin/python" -c "import importlib.metadata as m, sys; sys.exit(m.version('prometheus-client') != '$PROMETHEUS_CLIENT_UTF8_VERSION')" 2>/dev/null; then
  echo "installing prometheus-client==$PROMETHEUS_CLIENT_UTF8_VERSION into $UTF8_VENV"
  python3 -m venv "$UTF8_VENV"
  "$UTF8_VENV/bin/python" -m pip install -q --disable-pip-version-check "prometheus-client==$PROMETHEUS_CLIENT_UTF8_VERSION"
fi

# The Debian packages start servers of their own (:9090, :9091, :8428); the tests start their
# own on free ports and the examples default to 9090, so stop the packaged ones.
for service in prometheus prometheus-pushgateway victoria-metrics; do
  if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet "$service" 2>/dev/null; then
    $SUDO systemctl stop "$service" || true
  fi
done
pkill -x prometheus 2>/dev/null || true
