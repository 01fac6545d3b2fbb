#!/usr/bin/env bash
# Retrieval figures for every evaluation set under each pipeline, as a markdown table.
#
#   scripts/retrieval-table.sh [--heldout] [PIPELINE[:GLOSSARY]...]
#
# Default pipelines: plain, previous (the layer with the seed glossary built in, as main had it:
# `layer:seeds/glossary.thesaurus`), default (lexical) and `dense` (what the product runs with
# the sentence encoder: the default pipeline plus context and skip_headings, fused with the
# encoder's cosines; needs e5-small-q4.bin, see scripts/fetch-embedder.sh). Every other row runs
# with `--embedder none`. Needs a release build (cargo build --release)
# and jq. Each row is `factcheck eval --set SET --seeds CORPUS --retrieval PIPELINE [--glossary
# GLOSSARY] --json`: overall, then per language. Without `:GLOSSARY` the corpus folder's own
# glossary.thesaurus is read if it has one (seeds/ does).
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${FACTCHECK_BIN:-target/release/factcheck}
sets=(
  "dev|../shared/eval/dev.jsonl|seeds"
  "extra|eval/extra.jsonl|seeds"
  "encyclopedia|eval/encyclopedia.jsonl|eval/corpora/encyclopedia"
  "company|eval/company.jsonl|eval/corpora/company"
)
if [[ ${1:-} == --heldout ]]; then
  shift
  sets=(
    "encyclopedia held-out|eval/encyclopedia.heldout.jsonl|eval/corpora/encyclopedia"
    "company held-out|eval/company.heldout.jsonl|eval/corpora/company"
  )
fi
pipelines=("$@")
[[ ${#pipelines[@]} -gt 0 ]] || pipelines=(plain layer:seeds/glossary.thesaurus default dense)
echo "| set | pipeline | group | items | hit@1 | hit@3 | hit@5 | MRR |"
echo "| --- | --- | --- | --- | --- | --- | --- | --- |"
for entry in "${sets[@]}"; do
  IFS='|' read -r name set corpus <<<"$entry"
  [[ -f $set ]] || { echo "missing $set" >&2; continue; }
  for spec in "${pipelines[@]}"; do
    p=${spec%%:*}
    glossary=()
    [[ $spec == *:* ]] && glossary=(--glossary "${spec#*:}")
    stage=(--retrieval "$p" --embedder none)
    if [[ $p == dense ]]; then
      stage=(--embedder "${FACTCHECK_EMBEDDER:-$HOME/.cache/factcheck-test-models/e5-small-q4.bin}")
    fi
    "$bin" eval --set "$set" --seeds "$corpus" "${stage[@]}" "${glossary[@]}" --json |
      jq -r --arg name "$name" --arg p "$spec" '
        def row(g; m): "| \($name) | \($p) | \(g) | \(m.items) | \(m.hit_at_1*1000|round/1000) | \(m.hit_at_3*1000|round/1000) | \(m.hit_at_5*1000|round/1000) | \(m.mrr*1000|round/1000) |";
        row("all"; .overall), (.by_lang | to_entries[] | row(.key; .value))'
  done
done
