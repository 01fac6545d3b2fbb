#!/usr/bin/env bash
# factcheck and llama.cpp side by side on the real GGUF files (issue 10). For each file, in one
# run and interleaved: llama.cpp's `llama-bench -t 2 -p 512 -n 64` (and `-p 0 -n 64 -d 512`,
# decoding after 512 tokens of context), then `factcheck --threads 2 bench`; then a table of
# prefill-512 and decode tok/s with the factcheck/llama.cpp ratios and factcheck's peak RSS.
#
# Usage: scripts/bench-vs-llama.sh [ROUNDS]   (default 1; with more rounds every figure is the
#        best of its rounds, since other processes on a shared machine only ever slow a run down)
# Env:   MODELS="gemma3-270m smollm2-135m" to run a subset; THREADS (default 2);
#        KEEP=DIR to keep the raw JSON of every run.
# Needs: ../shared/tools/build-llama-cpp.sh and ../shared/models/fetch.sh beside the repository,
#        jq. Builds factcheck in release mode first.
#
# Both decode figures compare like with like: llama-bench's tg64 and factcheck's decode from an
# empty context (a one-token prompt), and both after 512 tokens of context (llama-bench `-d 512`).
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-1}
threads=${THREADS:-2}
command -v jq >/dev/null || { echo "needs jq" >&2; exit 2; }

bin=$(bash ../shared/tools/build-llama-cpp.sh)
cargo build --release --locked >&2
fc=target/release/factcheck
mapfile -t all < <(bash ../shared/models/fetch.sh)
want=${MODELS:-}
out=${KEEP:-$(mktemp -d)}
mkdir -p "$out"

names=()
for line in "${all[@]}"; do
  name=${line%%$'\t'*}
  path=${line#*$'\t'}
  if [[ -n $want && " $want " != *" $name "* ]]; then continue; fi
  names+=("$name")
  declare "path_${name//[.-]/_}=$path"
done

for ((r = 1; r <= rounds; r++)); do
  for name in "${names[@]}"; do
    v=path_${name//[.-]/_}
    path=${!v}
    echo "== round $r: $name" >&2
    LD_LIBRARY_PATH=$bin "$bin/llama-bench" -m "$path" -t "$threads" -p 512 -n 64 -o json \
      >"$out/$name.llama.$r.json" 2>"$out/$name.llama.$r.log"
    LD_LIBRARY_PATH=$bin "$bin/llama-bench" -m "$path" -t "$threads" -p 0 -n 64 -d 512 -o json \
      >"$out/$name.llama-d512.$r.json" 2>"$out/$name.llama-d512.$r.log"
    "$fc" --threads "$threads" bench --json --model "$path" \
      >"$out/$name.factcheck.$r.json" 2>"$out/$name.factcheck.$r.log"
  done
done

best() { sort -g | tail -1; }
printf '| file | llama.cpp prefill 512 | factcheck | ratio | llama.cpp decode (tg64) | factcheck decode, empty context | ratio | llama.cpp decode @512 | factcheck decode @512 | ratio @512 | factcheck peak RSS |\n'
printf '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n'
for name in "${names[@]}"; do
  lp=$(cat "$out/$name".llama.*.json | jq -r '.[] | select(.n_prompt == 512 and .n_gen == 0) | .avg_ts' | best)
  lg=$(cat "$out/$name".llama.*.json | jq -r '.[] | select(.n_gen == 64 and .n_prompt == 0) | .avg_ts' | best)
  ld=$(cat "$out/$name".llama-d512.*.json | jq -r '.[] | select(.n_gen == 64) | .avg_ts' | best)
  fp=$(cat "$out/$name".factcheck.*.json | jq -r '.prefill[] | select(.[0] == 512) | .[1]' | best)
  fg=$(cat "$out/$name".factcheck.*.json | jq -r '.decode_tokens_per_s' | best)
  fe=$(cat "$out/$name".factcheck.*.json | jq -r '.decode_empty_tokens_per_s' | best)
  rss=$(cat "$out/$name".factcheck.*.json | jq -r '.peak_rss_mib // 0' | sort -g | head -1)
  awk -v n="$name" -v lp="$lp" -v fp="$fp" -v lg="$lg" -v fg="$fg" -v fe="$fe" -v ld="$ld" -v rss="$rss" 'BEGIN {
    printf "| %s | %.1f | %.1f | %.2f | %.1f | %.1f | %.2f | %.1f | %.1f | %.2f | %.0f MiB |\n",
      n, lp, fp, fp / lp, lg, fe, fe / lg, ld, fg, fg / ld, rss }'
done
echo "raw results: $out" >&2
