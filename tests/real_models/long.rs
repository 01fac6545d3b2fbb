//! Long inputs on real weights, against references made with `scripts/make-reference.py`
//! (stored in `tests/reference/`): text longer than one prefill chunk and longer than gemma3's
//! 512-token sliding window, as one batch, in chunks, and decoded one token at a time past the
//! window; and greedy answers of the 1.5B instruct model to grounded prompts of ~900 and ~1,800
//! tokens (the question `ask` got wrong: 크리스탈 랜드 → 애리조나).

use std::path::PathBuf;

use factcheck::engine::LoadedModel;

use crate::common::real;
use crate::greedy::greedy;
use crate::topk::{compare, compare_incremental, Bounds};

fn local(name: &str) -> serde_json::Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/reference")
        .join(name);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn gemma3_past_the_sliding_window_agrees_with_llama_cpp() {
    let Some(path) = real::model("gemma3-270m") else {
        return;
    };
    let mut lm = LoadedModel::load(&path).expect("model loads");
    let reference = local("topk-gemma3-270m-long.json");
    let ids = real::ids(&reference["ids"]);
    assert!(
        ids.len() > 1100,
        "the text must pass the 512-token window twice"
    );
    let positions = reference["positions"].as_array().expect("positions");
    let known = &Bounds::GEMMA3_KNOWN;
    compare(&mut lm, &ids, positions, 512).assert_within("gemma3 long, chunks of 512", known);
    compare(&mut lm, &ids, positions, 300).assert_within("gemma3 long, chunks of 300", known);
    compare_incremental(&mut lm, &ids, positions, 1000)
        .assert_within("gemma3 long, one token at a time after 1000", known);
}

#[test]
fn qwen2_1_5b_over_one_chunk_agrees_with_llama_cpp() {
    let Some(path) = real::model("qwen2.5-coder-1.5b") else {
        return;
    };
    let mut lm = LoadedModel::load(&path).expect("model loads");
    let reference = local("topk-qwen2.5-coder-1.5b-mid.json");
    let ids = real::ids(&reference["ids"]);
    assert!(ids.len() > 512, "the text must pass one prefill chunk");
    let positions = reference["positions"].as_array().expect("positions");
    compare(&mut lm, &ids, positions, 512).assert_bounds("qwen2.5-coder-1.5b, chunks of 512");
}

#[test]
fn qwen2_1_5b_grounded_answers_equal_llama_cpp() {
    let Some(path) = real::model("qwen2.5-coder-1.5b") else {
        return;
    };
    let mut lm = LoadedModel::load(&path).expect("model loads");
    let reference = local("greedy-qwen2.5-coder-1.5b-grounded.json");
    for r in reference["results"].as_array().expect("results") {
        let name = r["name"].as_str().unwrap_or("?");
        let prompt = real::ids(&r["prompt_ids"]);
        let want = real::ids(&r["output_ids"]);
        let stable = r["stable_prefix_len"].as_u64().expect("stable") as usize;
        let got = greedy(&mut lm, &prompt, want.len());
        let text = lm.codec.decode(&got).unwrap_or_default();
        eprintln!("{name} ({} prompt tokens): {text:?}", prompt.len());
        assert_eq!(
            got[..stable.min(got.len())],
            want[..stable],
            "{name}: differs from llama.cpp within its stable prefix"
        );
        if r["output_text"].as_str().unwrap_or("").contains("애리조나") {
            assert!(
                text.contains("애리조나"),
                "{name}: llama.cpp names 애리조나, we do not"
            );
        }
    }
}
