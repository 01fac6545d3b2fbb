//! A damaged or crafted model file given to the engine ends as `failed (reason)` naming the
//! problem: never a panic, an abort, or a status stuck at `loading`.

use std::time::{Duration, Instant};

use factcheck::engine::{EngineConfig, EngineHandle, EngineStatus};

fn final_status(path: std::path::PathBuf) -> EngineStatus {
    let engine = EngineHandle::start(path, EngineConfig::default()).unwrap();
    let start = Instant::now();
    loop {
        match engine.status() {
            EngineStatus::Loading { .. } if start.elapsed() < Duration::from_secs(30) => {
                std::thread::sleep(Duration::from_millis(20))
            }
            other => return other,
        }
    }
}

fn reason(status: EngineStatus) -> String {
    match status {
        EngineStatus::Failed { reason } => reason,
        other => panic!("expected failed, got {other:?}"),
    }
}

#[test]
fn bad_magic_fails_with_a_reason() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.gguf");
    std::fs::write(&path, b"NOPE\x03\x00\x00\x00 and some bytes").unwrap();
    let why = reason(final_status(path));
    assert!(why.contains("not a GGUF file"), "{why}");
}

#[test]
fn a_truncated_model_fails_with_a_reason() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("tiny.gguf");
    factcheck::devtools::random::write_preset("tiny-qwen3", &good, 1).unwrap();
    let bytes = std::fs::read(&good).unwrap();
    let cut = dir.path().join("cut.gguf");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    let why = reason(final_status(cut));
    assert!(!why.is_empty());
}

#[test]
fn a_missing_model_names_the_path() {
    let why = reason(final_status("/no/such/model.gguf".into()));
    assert!(why.contains("/no/such/model.gguf"), "{why}");
}
