#!/usr/bin/env bash
# Validates the deployment files without a Docker engine or a cluster:
#   1. every YAML file under deploy/ parses (PyYAML);
#   2. deploy/k8s/*.yaml validate against the Kubernetes JSON schemas
#      (kubernetes-validate from PyPI, which ships the schemas: no network at
#      validation time), strict (unknown fields are errors); keda's
#      ScaledObject, a CRD, against deploy/schemas/scaledobject-keda-v1alpha1.json;
#   3. every COPY/ADD source of deploy/Dockerfile exists in the build context
#      (the repository root) and is not excluded by .dockerignore;
#   4. the files agree with each other and with the service: the ConfigMap
#      matches its sources, the keda ceiling equals the partition count, the
#      grace periods exceed the drain timeout, the probes hit /healthz and
#      /readyz on the configured port, and (when a demarche binary is built)
#      the service accepts every configuration the manifests give it.
#
# Usage: scripts/validate-deploy.sh [--write-configmap]
#   --write-configmap  regenerate deploy/k8s/configmap.yaml from
#                      deploy/k8s/demarche.toml and config/alerts.toml, then check.
#
# Idempotent: the validator is installed once into a virtualenv
# (DEMARCHE_VALIDATE_VENV, default ~/.cache/demarche/validate-deploy-venv) and
# reused. Kubernetes versions checked: K8S_VERSIONS (default "1.30 1.37").
# Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV="${DEMARCHE_VALIDATE_VENV:-$HOME/.cache/demarche/validate-deploy-venv}"
KV_VERSION=1.37.0
PY="$VENV/bin/python"

have_validator() {
  [ -x "$PY" ] && "$PY" - "$KV_VERSION" <<'EOF' >/dev/null 2>&1
import sys, yaml, jsonschema
from importlib.metadata import version
sys.exit(0 if version("kubernetes-validate") == sys.argv[1] else 1)
EOF
}

if ! have_validator; then
  echo "validate-deploy: installing PyYAML and kubernetes-validate==$KV_VERSION into $VENV" >&2
  command -v python3 >/dev/null 2>&1 || { echo "validate-deploy: python3 missing (scripts/setup.sh installs it)" >&2; exit 1; }
  if ! python3 -m venv "$VENV" >/dev/null 2>&1; then
    # Debian's python3 ships venv/ensurepip separately.
    rm -rf "$VENV"
    SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq python3-venv >/dev/null
    python3 -m venv "$VENV"
  fi
  "$PY" -m pip install --quiet --disable-pip-version-check pyyaml "kubernetes-validate==$KV_VERSION" "tomli; python_version < '3.11'"
  have_validator || { echo "validate-deploy: could not install the validator" >&2; exit 1; }
fi

exec "$PY" scripts/validate_deploy.py "$@"
