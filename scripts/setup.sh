#!/usr/bin/env bash
# Installs what demarche needs to build and test on a fresh Debian machine:
# a C toolchain and the headers librdkafka links against (OpenSSL, zlib),
# and, with --broker, the tansu Kafka-compatible broker the Kafka tests run
# against. Everything already present is left alone, so it is cheap to rerun.
set -euo pipefail
need_apt=()
command -v cc >/dev/null 2>&1 || need_apt+=(build-essential)
command -v pkg-config >/dev/null 2>&1 || need_apt+=(pkg-config)
command -v make >/dev/null 2>&1 || need_apt+=(make)
command -v perl >/dev/null 2>&1 || need_apt+=(perl)
dpkg -s libssl-dev >/dev/null 2>&1 || need_apt+=(libssl-dev)
dpkg -s zlib1g-dev >/dev/null 2>&1 || need_apt+=(zlib1g-dev)
command -v python3 >/dev/null 2>&1 || need_apt+=(python3)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "setup: installing ${need_apt[*]}" >&2
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}"
fi
if ! command -v cargo >/dev/null 2>&1; then
  echo "setup: cargo not found; install Rust from rustup first" >&2
  exit 1
fi
if [ "${1:-}" = "--broker" ]; then
  # tansu 0.6.0 is the Kafka-protocol broker installable here (a long build:
  # the binary is cached in ~/.cargo/bin and reused when present).
  if ! command -v tansu >/dev/null 2>&1 || ! tansu --version 2>/dev/null | grep -q "0.6.0"; then
    echo "setup: building tansu 0.6.0 (takes a while the first time)" >&2
    cargo install tansu --version 0.6.0 --locked --features dynostore
  fi
fi
