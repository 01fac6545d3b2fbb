//! The `generate`, `bench` and `dev random-model` subcommands, and the model-backed options of
//! `eval`, run as a user would.

use std::process::Command;

fn factcheck() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_factcheck"));
    c.env("RUST_BACKTRACE", "0");
    c
}

#[test]
fn random_model_then_generate_streams_text_and_timings() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("tiny.gguf");
    let out = factcheck()
        .args(["dev", "random-model", "--preset", "tiny-llama", "--out"])
        .arg(&model)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = factcheck()
        .args([
            "--threads",
            "1",
            "generate",
            "--max-tokens",
            "12",
            "--temperature",
            "0.8",
            "--seed",
            "3",
            "--system",
            "짧게 답하세요",
            "--model",
        ])
        .arg(&model)
        .arg("안녕하세요?")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("finish:") && stderr.contains("TTFT"),
        "{stderr}"
    );
    assert!(String::from_utf8(out.stdout).is_ok());
}

#[test]
fn generate_with_a_missing_model_names_the_path() {
    let out = factcheck()
        .args(["generate", "--model", "/no/such/model.gguf", "hi"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("/no/such/model.gguf"), "{stderr}");
}

#[test]
fn bench_runs_on_a_tiny_model() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("tiny.gguf");
    factcheck::devtools::random::write_preset("tiny-qwen3", &model, 1).unwrap();
    let out = factcheck()
        .args([
            "--threads",
            "1",
            "bench",
            "--json",
            "--decode-tokens",
            "4",
            "--model",
        ])
        .arg(&model)
        .env("RAYON_NUM_THREADS", "1")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(v["decode_tokens_per_s"].as_f64().unwrap() > 0.0);
    assert!(v["ttft_prompt_tokens"][1].as_u64().unwrap() > 0, "{v}");
}

#[test]
fn eval_rerank_needs_a_model_and_names_the_flag() {
    let set = concat!(env!("CARGO_MANIFEST_DIR"), "/eval/extra.jsonl");
    let out = factcheck()
        .args(["eval", "--set", set, "--rerank"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--rerank needs --model"), "{err}");
    let out = factcheck()
        .args(["eval", "--set", set, "--translate", "--answers"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--translate needs --model"), "{err}");
    let out = factcheck()
        .args(["eval", "--set", set, "--rerank", "--answers"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--answers"), "{err}");
}

#[test]
fn a_bad_embedder_file_is_named_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let seeds = concat!(env!("CARGO_MANIFEST_DIR"), "/seeds");
    // A search with `embedder`; it must fail, and its error text is returned.
    let search_fails = |embedder: &std::path::Path| {
        let out = factcheck()
            .args(["search", "--seeds", seeds, "--embedder"])
            .arg(embedder)
            .arg("소프트뱅크")
            .output()
            .unwrap();
        assert!(!out.status.success());
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    let err = search_fails(&dir.path().join("nothing.bin"));
    assert!(
        err.contains("cannot read the embedding model") && err.contains("nothing.bin"),
        "{err}"
    );
    let foreign = dir.path().join("model.gguf");
    std::fs::write(&foreign, b"GGUF\x03\0\0\0 not an encoder").unwrap();
    let err = search_fails(&foreign);
    assert!(
        err.contains("bad embedding model file") && err.contains("E5S1"),
        "{err}"
    );
    assert!(!err.contains("panicked"), "{err}");
}
