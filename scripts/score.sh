#!/usr/bin/env bash
# Scores the extractor on every gold set in ../shared/corpus with the shared
# scorer. Usage: scripts/score.sh [-v]   (needs a built target/release/demarche)
set -euo pipefail
cd "$(dirname "$0")/.."
shared=${DEMARCHE_SHARED:-../shared}
bin=${DEMARCHE_BIN:-target/release/demarche}
if [ ! -d "$shared/corpus" ]; then
  echo "score.sh: $shared/corpus not found; set DEMARCHE_SHARED" >&2
  exit 2
fi
[ -x "$bin" ] || cargo build --release --quiet
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
c="$shared/corpus"
score() { python3 "$shared/tools/score.py" "$@"; }
"$bin" extract --input "$c/articles/seed-ar-baladi.jsonl" --output "$out/seed.jsonl" 2>/dev/null
echo "== seed (ar, 21 gold statements)"
score --gold "$c/gold/seed-ar-baladi.gold.jsonl" --pred "$out/seed.jsonl" "$@"
"$bin" extract --input "$c/gold/dev/articles.jsonl" --output "$out/dev.jsonl" 2>/dev/null
echo "== dev ar ($(ls "$c"/gold/dev/ar-*.gold.jsonl | wc -l) articles)"
score --gold "$c"/gold/dev/ar-*.gold.jsonl --pred "$out/dev.jsonl" "$@"
echo "== dev en ($(ls "$c"/gold/dev/en-*.gold.jsonl | wc -l) articles)"
score --gold "$c"/gold/dev/en-*.gold.jsonl --pred "$out/dev.jsonl" "$@"
# The dev set in two halves (alternate files in name order), to tune on one and
# verify on the other, then rotate; docs/QUALITY.md records both.
# (over the whole sorted list, then by language: half A holds 8 ar + 1 en articles).
halves() { ls "$c"/gold/dev/*.gold.jsonl | awk -v h="$2" 'NR % 2 == h' | grep "/$1-"; }
for lang in ar en; do
  for h in 1 0; do
    name=$([ "$h" = 1 ] && echo A || echo B)
    echo "== dev $lang, half $name ($(halves "$lang" "$h" | wc -l) articles)"
    score --gold $(halves "$lang" "$h") --pred "$out/dev.jsonl" "$@" | grep -E '^(statements|kinds)'
  done
done
"$bin" extract --input "$c/polnear-dev/articles.jsonl" --output "$out/polnear.jsonl" 2>/dev/null
echo "== PolNeAR dev (84 en articles, --spans-only)"
score --gold "$c/polnear-dev/gold.jsonl" --pred "$out/polnear.jsonl" --spans-only "$@" | head -5
