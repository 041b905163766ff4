#!/usr/bin/env bash
# The whole test suite, as README and CI run it: set-up, formatting, lints,
# unit, integration, property and corpus tests.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
scripts/setup.sh
cargo fmt --check
cargo clippy --all-targets -- -D warnings
cargo test
