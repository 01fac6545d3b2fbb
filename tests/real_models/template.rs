//! The file's own chat template renders the reference chat prompts byte for byte, and the
//! rendered prompt tokenizes to llama.cpp's prompt ids.

use factcheck::engine::{ChatMessage, LoadedModel};

use crate::common::real;

fn check(key: &str) {
    let Some(path) = real::model(key) else { return };
    let lm = LoadedModel::load(&path).expect("model loads");
    let (codec, template) = (&lm.codec, &lm.template);
    let reference = real::json(&format!("greedy/{key}.json"));
    let mut chats = 0;
    for r in reference["results"].as_array().expect("results") {
        let name = r["name"].as_str().unwrap_or("?");
        let prompt = r["prompt_text"].as_str().expect("prompt_text");
        if let Some(user) = r["user_message"].as_str() {
            let rendered = template
                .render(&[ChatMessage::new("user", user)], true)
                .expect("renders");
            assert_eq!(rendered, prompt, "{key} {name}: rendered prompt differs");
            chats += 1;
        }
        let ids = codec.encode(prompt).expect("encodes");
        assert_eq!(
            ids,
            real::ids(&r["prompt_ids"]),
            "{key} {name}: prompt ids differ"
        );
    }
    eprintln!("{key}: {chats} chat prompts rendered byte for byte");
}

#[test]
fn qwen2_template_renders_reference_prompts() {
    check("qwen2.5-coder-0.5b");
}

#[test]
fn smollm2_template_renders_reference_prompts() {
    check("smollm2-135m");
}

#[test]
fn gemma3_raw_prompts_tokenize_as_llama_cpp() {
    check("gemma3-270m");
}
