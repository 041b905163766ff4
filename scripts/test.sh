#!/usr/bin/env bash
# The whole test suite, as README and CI run it: set-up (including the tansu
# broker the Kafka tests run against), formatting, lints, unit, integration,
# property, corpus and broker tests (the last two ignored by a plain `cargo
# test`, run here explicitly).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
scripts/setup.sh --broker

# A Kafka-protocol broker on a free IPv4 loopback port, in memory, for this run only.
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
log=$(mktemp)
tansu broker --listener-url "tcp://127.0.0.1:$port" --advertised-listener-url "tcp://127.0.0.1:$port" \
  --storage-engine memory://tansu/ >"$log" 2>&1 &
broker=$!
trap 'kill $broker 2>/dev/null || true; rm -f "$log"' EXIT
for _ in $(seq 1 50); do
  grep -q "ready" "$log" 2>/dev/null && break
  sleep 0.2
done
grep -q "ready" "$log" || { echo "test.sh: tansu did not start:"; cat "$log"; exit 1; }
export DEMARCHE_TEST_BROKERS="127.0.0.1:$port"
echo "test.sh: tansu broker on $DEMARCHE_TEST_BROKERS"

cargo fmt --check
cargo clippy --all-targets -- -D warnings

# The broker and corpus tests are #[ignore]d so that a plain `cargo test`
# lists them as ignored; here they run, and a broker or corpus that is not
# there fails them. The corpus is not part of the repository (the outlets'
# copyright): without it the corpus test is left out, and this says so.
corpus="${DEMARCHE_SHARED:-../shared}/corpus"
run=(-- --include-ignored)
if [ ! -d "$corpus" ]; then
  echo "test.sh: $corpus not found: the corpus test is not run (set DEMARCHE_SHARED)"
  run+=(--skip contract::every_corpus_event_conforms_and_points_at_its_text --skip quality::)
fi
out=$(mktemp)
set +e
cargo test "${run[@]}" 2>&1 | tee "$out"
status=${PIPESTATUS[0]}
set -e
passed=$(grep -Eo 'test result: [a-zA-Z]+\. [0-9]+ passed' "$out" | awk '{s+=$4} END {print s+0}')
failed=$(grep -Eo '[0-9]+ failed;' "$out" | awk '{s+=$1} END {print s+0}')
rm -f "$out"
[ "$status" -eq 0 ] || { echo "tests: $passed passed, $failed failed"; exit "$status"; }
scripts/validate-deploy.sh
# One closing line for the whole suite.
echo "tests: $passed passed, $failed failed"
