//! The tokenizer half of a random model file: the GGUF `tokenizer.*` metadata. Tiny presets get
//! a ~270-token GPT-2-style byte-level vocabulary (a few merges, Korean pieces that stop inside a
//! syllable so streaming must hold partial characters, the architecture's special tokens) or, for
//! Gemma, a SentencePiece-style one; real-sized presets pad the byte-level vocabulary to the real
//! size. Each architecture gets its chat template. The weights and the model metadata are
//! [`super`]'s.

use candle_core::quantized::gguf_file::Value;

use super::Spec;
use crate::engine::model::Arch;

/// GPT-2's byte → printable char mapping.
pub fn byte_to_char(b: u8) -> char {
    let printable =
        |b: u32| (33..=126).contains(&b) || (161..=172).contains(&b) || (174..=255).contains(&b);
    let b = u32::from(b);
    if printable(b) {
        return char::from_u32(b).unwrap_or('?');
    }
    let extra = (0..b).filter(|&x| !printable(x)).count() as u32;
    char::from_u32(256 + extra).unwrap_or('?')
}

fn bl(s: &str) -> String {
    s.bytes().map(byte_to_char).collect()
}

/// Merges of the tiny byte-level vocabulary: a few English and marker pieces, and Korean
/// pieces that stop in the middle of a syllable (so streaming must hold partial characters).
const TINY_MERGES: &[(&str, &str)] = &[
    (" ", "t"),
    ("h", "e"),
    (" t", "he"),
    ("i", "n"),
    ("[", "P"),
    ("[P", "1"),
    ("]", "."),
    ("e", "r"),
    (" ", "a"),
    ("o", "n"),
];

fn tiny_byte_level(arch: Arch) -> (Vec<String>, Vec<i32>, Vec<String>, Vec<&'static str>) {
    let mut tokens: Vec<String> = (0..=255u8).map(|b| byte_to_char(b).to_string()).collect();
    let mut merges = Vec::new();
    for (a, b) in TINY_MERGES {
        merges.push(format!("{} {}", bl(a), bl(b)));
        tokens.push(format!("{}{}", bl(a), bl(b)));
    }
    let han = "한".as_bytes();
    let (h1, h2, h3) = (
        byte_to_char(han[0]),
        byte_to_char(han[1]),
        byte_to_char(han[2]),
    );
    merges.push(format!("{h1} {h2}"));
    tokens.push(format!("{h1}{h2}"));
    merges.push(format!("{h3} {h1}"));
    tokens.push(format!("{h3}{h1}"));
    let mut types = vec![1; tokens.len()];
    let specials: Vec<&'static str> = match arch {
        Arch::Llama => vec![
            "<|begin_of_text|>",
            "<|end_of_text|>",
            "<|start_header_id|>",
            "<|end_header_id|>",
            "<|eot_id|>",
        ],
        Arch::Qwen3 => vec![
            "<|endoftext|>",
            "<|im_start|>",
            "<|im_end|>",
            "<think>",
            "</think>",
        ],
        _ => vec!["<|endoftext|>", "<|im_start|>", "<|im_end|>"],
    };
    for s in &specials {
        tokens.push((*s).to_string());
        types.push(if s.starts_with("<think") || s.starts_with("</think") {
            4
        } else {
            3
        });
    }
    (tokens, types, merges, specials)
}

/// SentencePiece-style tiny vocabulary (Gemma): control tokens, `<0xNN>` bytes, ASCII pieces.
fn tiny_sentencepiece() -> (Vec<String>, Vec<i32>, Vec<f32>) {
    let mut tokens: Vec<String> = [
        "<pad>",
        "<eos>",
        "<bos>",
        "<unk>",
        "<start_of_turn>",
        "<end_of_turn>",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let mut types = vec![3, 3, 3, 2, 3, 3];
    let mut scores = vec![0.0; tokens.len()];
    for b in 0..=255u8 {
        tokens.push(format!("<0x{b:02X}>"));
        types.push(6);
        scores.push(0.0);
    }
    let mut pieces: Vec<String> = (b'!'..=b'~').map(|c| (c as char).to_string()).collect();
    pieces.extend(
        [
            "\u{2581}",
            "\u{2581}t",
            "he",
            "\u{2581}the",
            "in",
            "[P",
            "[P1",
            "].",
            "\u{2581}a",
            "er",
        ]
        .map(String::from),
    );
    for (i, p) in pieces.into_iter().enumerate() {
        tokens.push(p);
        types.push(1);
        scores.push(-(i as f32));
    }
    (tokens, types, scores)
}

const QWEN_TEMPLATE: &str = "{%- if messages[0]['role'] == 'system' %}{{- '<|im_start|>system\\n' + messages[0]['content'] + '<|im_end|>\\n' }}\
{%- else %}{{- '<|im_start|>system\\nYou are a helpful assistant.<|im_end|>\\n' }}{%- endif %}\
{%- for message in messages %}{%- if message.role != 'system' %}{{- '<|im_start|>' + message.role + '\\n' + message.content.strip() + '<|im_end|>\\n' }}{%- endif %}{%- endfor %}\
{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- if enable_thinking is defined and enable_thinking is false %}{{- '<think>\\n\\n</think>\\n\\n' }}{%- endif %}{%- endif %}";

const LLAMA_TEMPLATE: &str = "{{- bos_token }}{%- set date_string = strftime_now('%d %b %Y') %}\
{%- for message in messages %}{{- '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n' + message['content'] | trim + '<|eot_id|>' }}{%- endfor %}\
{%- if add_generation_prompt %}{{- '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}{%- endif %}";

const GEMMA_TEMPLATE: &str = "{{ bos_token }}{%- if messages[0]['role'] == 'system' -%}{%- set first_user_prefix = messages[0]['content'] + '\\n\\n' -%}{%- set loop_messages = messages[1:] -%}\
{%- else -%}{%- set first_user_prefix = '' -%}{%- set loop_messages = messages -%}{%- endif -%}\
{%- for message in loop_messages -%}{%- if (message['role'] == 'user') != (loop.index0 % 2 == 0) -%}{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{%- endif -%}\
{%- set role = 'model' if message['role'] == 'assistant' else message['role'] -%}\
{{ '<start_of_turn>' + role + '\\n' + (first_user_prefix if loop.first else '') + message['content'] | trim + '<end_of_turn>\\n' }}{%- endfor -%}\
{%- if add_generation_prompt -%}{{ '<start_of_turn>model\\n' }}{%- endif -%}";

fn strings(v: Vec<String>) -> Value {
    Value::Array(v.into_iter().map(Value::String).collect())
}

pub(super) fn tokenizer_metadata(s: &Spec, md: &mut Vec<(String, Value)>) {
    let mut put = |k: &str, v: Value| md.push((k.to_string(), v));
    if s.arch == Arch::Gemma3 {
        let (tokens, types, scores) = tiny_sentencepiece();
        put("tokenizer.ggml.model", Value::String("llama".into()));
        put("tokenizer.ggml.pre", Value::String("default".into()));
        put("tokenizer.ggml.tokens", strings(tokens));
        put(
            "tokenizer.ggml.token_type",
            Value::Array(types.into_iter().map(Value::I32).collect()),
        );
        put(
            "tokenizer.ggml.scores",
            Value::Array(scores.into_iter().map(Value::F32).collect()),
        );
        put("tokenizer.ggml.bos_token_id", Value::U32(2));
        put("tokenizer.ggml.eos_token_id", Value::U32(1));
        put("tokenizer.ggml.unknown_token_id", Value::U32(3));
        put("tokenizer.ggml.padding_token_id", Value::U32(0));
        put("tokenizer.ggml.add_bos_token", Value::Bool(true));
        put("tokenizer.ggml.add_space_prefix", Value::Bool(false));
        put(
            "tokenizer.chat_template",
            Value::String(GEMMA_TEMPLATE.into()),
        );
        return;
    }
    let (mut tokens, mut types, merges, specials) = tiny_byte_level(s.arch);
    if let Some(v) = s.vocab {
        // Real-sized vocabularies: pad with placeholder pieces, specials at the end like Qwen.
        let n_special = specials.len();
        let tail: Vec<String> = tokens.split_off(tokens.len() - n_special);
        types.truncate(types.len() - n_special);
        let mut i = 0;
        while tokens.len() + n_special < v {
            tokens.push(format!("[PAD{i}]"));
            types.push(1);
            i += 1;
        }
        tokens.extend(tail);
        types.extend(std::iter::repeat_n(3, n_special));
    }
    let id = |name: &str| tokens.iter().position(|t| t == name).map(|i| i as u32);
    let (bos, eos, pre, tmpl) = match s.arch {
        Arch::Llama => (
            id("<|begin_of_text|>"),
            id("<|eot_id|>"),
            "llama-bpe",
            LLAMA_TEMPLATE,
        ),
        _ => (
            id("<|endoftext|>"),
            id("<|im_end|>"),
            "qwen2",
            QWEN_TEMPLATE,
        ),
    };
    put("tokenizer.ggml.model", Value::String("gpt2".into()));
    put("tokenizer.ggml.pre", Value::String(pre.into()));
    put("tokenizer.ggml.tokens", strings(tokens));
    put(
        "tokenizer.ggml.token_type",
        Value::Array(types.into_iter().map(Value::I32).collect()),
    );
    put("tokenizer.ggml.merges", strings(merges));
    if let (Some(b), Some(e)) = (bos, eos) {
        put("tokenizer.ggml.bos_token_id", Value::U32(b));
        put("tokenizer.ggml.eos_token_id", Value::U32(e));
        put("tokenizer.ggml.padding_token_id", Value::U32(b));
    }
    put(
        "tokenizer.ggml.add_bos_token",
        Value::Bool(s.arch == Arch::Llama),
    );
    put("tokenizer.chat_template", Value::String(tmpl.into()));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_map_is_a_bijection() {
        let chars: std::collections::HashSet<char> = (0..=255u8).map(byte_to_char).collect();
        assert_eq!(chars.len(), 256);
        assert_eq!(byte_to_char(b' '), '\u{120}');
        assert_eq!(byte_to_char(b'a'), 'a');
    }
}
