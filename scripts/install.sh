#!/usr/bin/env bash
# Installs what the tests need beyond the Rust toolchain, if missing: Debian's `prometheus`
# package (the server and promtool) and PyPI's prometheus-client (the reference parsers).
# Idempotent: a second run installs nothing.
set -euo pipefail

PROMETHEUS_CLIENT_VERSION=0.21.1
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi

if ! command -v promtool >/dev/null 2>&1 || ! command -v prometheus >/dev/null 2>&1; then
  echo "installing prometheus (server and promtool) from Debian"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq prometheus >/dev/null
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

# The Debian package starts a Prometheus server of its own on :9090; the tests start their
# own on a free port and the examples default to 9090, so stop the packaged one.
if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet prometheus 2>/dev/null; then
  $SUDO systemctl stop prometheus || true
fi
pkill -x prometheus 2>/dev/null || true
