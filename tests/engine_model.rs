//! Loading tiny random models of every architecture through the real GGUF path, KV-cache
//! consistency, snapshots, tokenizers.

use std::path::PathBuf;

use factcheck::devtools::random::{quant_mix, write_preset};
use factcheck::engine::{ChatMessage, EngineError, LoadedModel};

const TINY: &[&str] = &["tiny-qwen2", "tiny-qwen3", "tiny-llama", "tiny-gemma3"];

/// Tiny models gain nothing from threads, and candle's spinning pool makes parallel tests
/// crawl on a busy 2-core machine: run the model single-threaded. Every test calls this
/// before its first tensor operation, so no thread reads the environment meanwhile.
fn setup() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| factcheck::engine::set_threads(1));
}

fn tiny(preset: &str) -> (tempfile::TempDir, PathBuf) {
    setup();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(format!("{preset}.gguf"));
    write_preset(preset, &path, 7).unwrap();
    (dir, path)
}

fn max_rel_diff(a: &[f32], b: &[f32]) -> f32 {
    let scale = a.iter().fold(1e-6f32, |m, x| m.max(x.abs()));
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs() / scale)
        .fold(0.0, f32::max)
}

#[test]
fn every_tiny_architecture_loads_and_reports_itself() {
    for preset in TINY {
        let (_d, path) = tiny(preset);
        let lm = LoadedModel::load(&path).unwrap_or_else(|e| panic!("{preset}: {e}"));
        let arch = preset.trim_start_matches("tiny-");
        assert_eq!(lm.info.architecture, arch);
        assert_eq!(lm.info.context_length, 512);
        assert!(
            lm.template.from_model,
            "{preset}: the template in the file should compile"
        );
        assert!(!lm.codec.eos_ids().is_empty(), "{preset}: no EOS ids");
    }
}

#[test]
fn incremental_decoding_matches_full_recompute() {
    for preset in TINY {
        let (_d, path) = tiny(preset);
        let mut lm = LoadedModel::load(&path).unwrap();
        // Longer than gemma3's sliding window (8) so the window matters.
        let toks = lm
            .codec
            .encode("the cat sat on the mat, 한국어 문장입니다 [P1].")
            .unwrap();
        assert!(toks.len() > 20, "{preset}: only {} tokens", toks.len());
        lm.model.clear_cache();
        let full = lm.model.forward(&toks).unwrap().to_vec1::<f32>().unwrap();
        lm.model.clear_cache();
        lm.model.forward(&toks[..5]).unwrap();
        let mut last = None;
        for t in &toks[5..] {
            last = Some(lm.model.forward(&[*t]).unwrap());
        }
        let inc = last.unwrap().to_vec1::<f32>().unwrap();
        let d = max_rel_diff(&full, &inc);
        // K/V/Q are rounded to f16 and one-token attention sums values into an f16 accumulator,
        // as llama.cpp does (closer to it on the real-model tests); on these random weights the
        // two paths then part by up to about 3 %.
        assert!(d < 5e-2, "{preset}: incremental differs by {d}");
        lm.model.clear_cache();
        let chunked = lm
            .model
            .forward_chunked(&toks, 3)
            .unwrap()
            .to_vec1::<f32>()
            .unwrap();
        let d = max_rel_diff(&full, &chunked);
        assert!(d < 5e-2, "{preset}: chunked differs by {d}");
    }
}

#[test]
fn snapshot_restores_the_exact_state() {
    for preset in TINY {
        let (_d, path) = tiny(preset);
        let mut lm = LoadedModel::load(&path).unwrap();
        let toks = lm
            .codec
            .encode("prefix tokens here and then the rest of it")
            .unwrap();
        lm.model.clear_cache();
        lm.model.forward(&toks[..6]).unwrap();
        let snap = lm.model.snapshot().unwrap();
        assert_eq!(snap.len(), 6);
        let a = lm
            .model
            .forward(&toks[6..])
            .unwrap()
            .to_vec1::<f32>()
            .unwrap();
        // Overwrite the live cache with something else, then restore.
        lm.model.clear_cache();
        lm.model.forward(&toks[3..]).unwrap();
        lm.model.restore(&snap).unwrap();
        assert_eq!(lm.model.position(), 6);
        let b = lm
            .model
            .forward(&toks[6..])
            .unwrap()
            .to_vec1::<f32>()
            .unwrap();
        assert!(max_rel_diff(&a, &b) < 1e-5, "{preset}");
    }
}

#[test]
fn tokenizers_round_trip_korean() {
    for preset in TINY {
        let (_d, path) = tiny(preset);
        let lm = LoadedModel::load(&path).unwrap();
        let text = "Hello the world, 한국어 뉴스 [P1].";
        let ids = lm.codec.encode(text).unwrap();
        let bytes: Vec<u8> = ids
            .iter()
            .flat_map(|&i| lm.codec.piece(i).to_vec())
            .collect();
        let mut s = String::from_utf8(bytes).unwrap();
        if *preset == "tiny-gemma3" || *preset == "tiny-llama" {
            // BOS is added and shows as nothing.
            s = s.trim_start().to_string();
        }
        assert_eq!(s, text, "{preset}");
    }
}

#[test]
fn chat_prompts_use_the_special_tokens() {
    let (_d, path) = tiny("tiny-qwen3");
    let lm = LoadedModel::load(&path).unwrap();
    let msgs = [
        ChatMessage::new("system", "Be brief."),
        ChatMessage::new("user", "안녕?"),
    ];
    let text = lm.template.render(&msgs, true).unwrap();
    assert!(
        text.ends_with("<|im_start|>assistant\n<think>\n\n</think>\n\n"),
        "{text:?}"
    );
    let p = lm.prompt(&msgs).unwrap();
    assert!(p.prefix_len > 0 && p.prefix_len < p.tokens.len());
    let im_start = lm.codec.encode("<|im_start|>").unwrap();
    assert_eq!(im_start.len(), 1);
    assert_eq!(p.tokens[0], im_start[0]);
}

#[test]
fn missing_and_broken_files_are_typed_errors() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope.gguf");
    match LoadedModel::load(&missing) {
        Err(e @ EngineError::ModelNotFound(_)) => assert!(e.to_string().contains("nope.gguf")),
        other => panic!("{:?}", other.err()),
    }
    let junk = dir.path().join("junk.gguf");
    std::fs::write(&junk, b"not a gguf file at all").unwrap();
    assert!(matches!(
        LoadedModel::load(&junk),
        Err(EngineError::BadModel(_))
    ));
}

#[test]
fn unknown_preset_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let err = write_preset("gpt-5", &dir.path().join("x.gguf"), 1).unwrap_err();
    assert!(err.to_string().contains("gpt-5"));
}

#[test]
fn tiny_models_use_q8_0_weights() {
    let (_d, path) = tiny("tiny-qwen2");
    let mix = quant_mix(&path).unwrap();
    assert!(mix.get("Q8_0").copied().unwrap_or(0) > 10, "{mix:?}");
}

#[test]
fn tokenizer_json_beside_the_model_wins() {
    use tokenizers::models::wordlevel::WordLevel;
    let (dir, path) = tiny("tiny-qwen2");
    let from_gguf = LoadedModel::load(&path).unwrap();
    let before = from_gguf.codec.encode("hello").unwrap();
    // A word-level tokenizer that maps every word to id 42.
    let vocab: std::collections::HashMap<String, u32> =
        [("hello".to_string(), 42), ("<unk>".to_string(), 41)].into();
    let model = WordLevel::builder()
        .vocab(vocab.into_iter().collect())
        .unk_token("<unk>".into())
        .build()
        .unwrap();
    let tk = tokenizers::Tokenizer::new(model);
    tk.save(dir.path().join("tokenizer.json"), false).unwrap();
    let overridden = LoadedModel::load(&path).unwrap();
    let after = overridden.codec.encode("hello").unwrap();
    assert_ne!(before, after);
    assert_eq!(after, [42]);
}
