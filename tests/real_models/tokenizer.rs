//! Tokenizer ids equal llama.cpp's for every reference string of every model, with and without
//! BOS, with and without special-token parsing (gemma3's SentencePiece conversion included).

use factcheck::engine::tokenizer::TextCodec;

use crate::common::real;

fn check(key: &str) {
    let Some(path) = real::model(key) else { return };
    let codec = TextCodec::open(&path).expect("tokenizer loads");
    let mut failures = Vec::new();
    let mut total = 0;
    for (file, parse_special) in [
        (format!("tokenizer/{key}.jsonl"), true),
        (format!("tokenizer/{key}.no_parse_special.jsonl"), false),
    ] {
        for row in real::jsonl(&file) {
            let text = row["text"].as_str().expect("text");
            let add_special = row["add_special"].as_bool().expect("add_special");
            let want = real::ids(&row["ids"]);
            let got = codec
                .encode_with(text, add_special, parse_special)
                .expect("encodes");
            total += 1;
            if got != want {
                failures.push(format!(
                    "{text:?} (add_special {add_special}, parse_special {parse_special}):\n  llama.cpp {want:?}\n  factcheck {got:?}"
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{key}: {} of {total} strings tokenize differently:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn qwen2_ids_equal_llama_cpp() {
    check("qwen2.5-coder-0.5b");
}

#[test]
fn gemma3_ids_equal_llama_cpp() {
    check("gemma3-270m");
}

#[test]
fn smollm2_ids_equal_llama_cpp() {
    check("smollm2-135m");
}
