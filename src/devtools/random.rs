//! GGUF files with random weights and the exact shapes, quantization mix, tokenizer metadata
//! and chat template of real models, so loading, generation and benchmarks can be exercised
//! without downloading weights. `tiny-*` presets (2 layers, width 64, a ~270-token byte-level
//! vocabulary) build in milliseconds for tests; the others mirror real models for benchmarks.
//!
//! The quantization mix follows llama.cpp's Q4_K_M rules: Q4_K everywhere, Q6_K for the output
//! (or tied embedding) and for `attn_v`/`ffn_down` on the layers `use_more_bits` picks; rows
//! whose width is not a multiple of 256 fall back to Q5_0 (for Q4_K) and Q8_0 (for Q6_K).

use std::collections::HashMap;
use std::path::Path;

use candle_core::quantized::gguf_file::{self, Value};
use candle_core::quantized::{GgmlDType, QTensor};
use candle_core::{Device, Tensor};
use rand::{Rng, SeedableRng};

use crate::engine::model::Arch;
use crate::engine::{EngineError, Result};

/// Preset names accepted by [`write_preset`].
pub const PRESETS: &[&str] = &[
    "tiny-qwen2",
    "tiny-qwen3",
    "tiny-llama",
    "tiny-gemma3",
    "qwen3-0.6b",
    "qwen2.5-1.5b",
    "qwen2.5-0.5b",
];

/// Shapes of one preset.
#[derive(Debug, Clone)]
struct Spec {
    arch: Arch,
    name: &'static str,
    n_layer: usize,
    n_embd: usize,
    n_head: usize,
    n_kv: usize,
    head_dim: usize,
    n_ff: usize,
    /// `None`: the tiny byte-level vocabulary.
    vocab: Option<usize>,
    ctx: u32,
    rope_base: f32,
    tied: bool,
    /// Q4_K_M mix when true, Q8_0 everywhere otherwise (tiny widths are not multiples of 256).
    q4km: bool,
}

fn spec(preset: &str) -> Result<Spec> {
    let tiny = |arch, name| Spec {
        arch,
        name,
        n_layer: 2,
        n_embd: 64,
        n_head: 4,
        n_kv: 2,
        head_dim: 16,
        n_ff: 128,
        vocab: None,
        ctx: 512,
        rope_base: 10_000.0,
        tied: arch != Arch::Llama,
        q4km: false,
    };
    let real = |arch, name, n_layer, n_embd, n_head, n_kv, head_dim, n_ff, ctx| Spec {
        arch,
        name,
        n_layer,
        n_embd,
        n_head,
        n_kv,
        head_dim,
        n_ff,
        vocab: Some(151_936),
        ctx,
        rope_base: 1_000_000.0,
        tied: true,
        q4km: true,
    };
    Ok(match preset {
        "tiny-qwen2" => tiny(Arch::Qwen2, "Tiny Qwen2 (random)"),
        "tiny-qwen3" => tiny(Arch::Qwen3, "Tiny Qwen3 (random)"),
        "tiny-llama" => tiny(Arch::Llama, "Tiny Llama (random)"),
        "tiny-gemma3" => tiny(Arch::Gemma3, "Tiny Gemma3 (random)"),
        "qwen3-0.6b" => real(
            Arch::Qwen3,
            "Qwen3 0.6B (random)",
            28,
            1024,
            16,
            8,
            128,
            3072,
            40_960,
        ),
        "qwen2.5-1.5b" => real(
            Arch::Qwen2,
            "Qwen2.5 1.5B Instruct (random)",
            28,
            1536,
            12,
            2,
            128,
            8960,
            32_768,
        ),
        "qwen2.5-0.5b" => real(
            Arch::Qwen2,
            "Qwen2.5 0.5B Instruct (random)",
            24,
            896,
            14,
            2,
            64,
            4864,
            32_768,
        ),
        other => {
            return Err(EngineError::InvalidRequest(format!(
                "unknown preset `{other}` (known: {})",
                PRESETS.join(", ")
            )))
        }
    })
}

/// llama.cpp's choice of layers that get more bits in the `_M` mixes.
fn use_more_bits(i: usize, n: usize) -> bool {
    i < n / 8 || i >= 7 * n / 8 || (i - n / 8) % 3 == 2
}

/// The storage type of a weight matrix with `cols` input columns.
fn pick(spec: &Spec, want_q6: bool, cols: usize) -> GgmlDType {
    if !spec.q4km {
        return GgmlDType::Q8_0;
    }
    match (want_q6, cols.is_multiple_of(256)) {
        (true, true) => GgmlDType::Q6K,
        (false, true) => GgmlDType::Q4K,
        (true, false) => GgmlDType::Q8_0,
        (false, false) => GgmlDType::Q5_0,
    }
}

struct Weights {
    rng: rand::rngs::StdRng,
    tensors: Vec<(String, QTensor)>,
}

impl Weights {
    fn random(&mut self, rows: usize, cols: usize, scale: f32) -> Result<Tensor> {
        let data: Vec<f32> = (0..rows * cols)
            .map(|_| (self.rng.random::<f32>() * 2.0 - 1.0) * scale)
            .collect();
        Ok(Tensor::from_vec(data, (rows, cols), &Device::Cpu)?)
    }
    fn matrix(&mut self, name: String, rows: usize, cols: usize, dtype: GgmlDType) -> Result<()> {
        let scale = (3.0 / cols as f32).sqrt();
        let t = self.random(rows, cols, scale)?;
        self.tensors.push((name, QTensor::quantize(&t, dtype)?));
        Ok(())
    }
    fn vector(&mut self, name: String, len: usize, value: Option<f32>) -> Result<()> {
        let t = match value {
            Some(v) => Tensor::full(v, len, &Device::Cpu)?,
            None => self.random(1, len, 0.1)?.squeeze(0)?,
        };
        self.tensors
            .push((name, QTensor::quantize(&t, GgmlDType::F32)?));
        Ok(())
    }
}

fn layer_tensors(w: &mut Weights, s: &Spec, i: usize) -> Result<()> {
    let n = |t: &str| format!("blk.{i}.{t}");
    let (q_dim, kv_dim) = (s.n_head * s.head_dim, s.n_kv * s.head_dim);
    let more = use_more_bits(i, s.n_layer);
    w.vector(n("attn_norm.weight"), s.n_embd, Some(1.0))?;
    w.matrix(
        n("attn_q.weight"),
        q_dim,
        s.n_embd,
        pick(s, false, s.n_embd),
    )?;
    w.matrix(
        n("attn_k.weight"),
        kv_dim,
        s.n_embd,
        pick(s, false, s.n_embd),
    )?;
    w.matrix(
        n("attn_v.weight"),
        kv_dim,
        s.n_embd,
        pick(s, more, s.n_embd),
    )?;
    w.matrix(
        n("attn_output.weight"),
        s.n_embd,
        q_dim,
        pick(s, false, q_dim),
    )?;
    if s.arch == Arch::Qwen2 {
        w.vector(n("attn_q.bias"), q_dim, None)?;
        w.vector(n("attn_k.bias"), kv_dim, None)?;
        w.vector(n("attn_v.bias"), kv_dim, None)?;
    }
    if matches!(s.arch, Arch::Qwen3 | Arch::Gemma3) {
        w.vector(n("attn_q_norm.weight"), s.head_dim, Some(1.0))?;
        w.vector(n("attn_k_norm.weight"), s.head_dim, Some(1.0))?;
    }
    if s.arch == Arch::Gemma3 {
        w.vector(n("post_attention_norm.weight"), s.n_embd, Some(1.0))?;
        w.vector(n("post_ffw_norm.weight"), s.n_embd, Some(1.0))?;
    }
    w.vector(n("ffn_norm.weight"), s.n_embd, Some(1.0))?;
    w.matrix(
        n("ffn_gate.weight"),
        s.n_ff,
        s.n_embd,
        pick(s, false, s.n_embd),
    )?;
    w.matrix(
        n("ffn_up.weight"),
        s.n_ff,
        s.n_embd,
        pick(s, false, s.n_embd),
    )?;
    w.matrix(
        n("ffn_down.weight"),
        s.n_embd,
        s.n_ff,
        pick(s, more, s.n_ff),
    )?;
    Ok(())
}

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

fn tokenizer_metadata(s: &Spec, md: &mut Vec<(String, Value)>) {
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

fn model_metadata(s: &Spec, vocab: usize) -> Vec<(String, Value)> {
    let a = s.arch.name();
    let mut md: Vec<(String, Value)> = vec![
        ("general.architecture".into(), Value::String(a.into())),
        ("general.name".into(), Value::String(s.name.into())),
        (
            "general.file_type".into(),
            Value::U32(if s.q4km { 15 } else { 7 }),
        ),
        ("general.quantization_version".into(), Value::U32(2)),
        (format!("{a}.context_length"), Value::U32(s.ctx)),
        (format!("{a}.embedding_length"), Value::U32(s.n_embd as u32)),
        (format!("{a}.block_count"), Value::U32(s.n_layer as u32)),
        (
            format!("{a}.feed_forward_length"),
            Value::U32(s.n_ff as u32),
        ),
        (
            format!("{a}.attention.head_count"),
            Value::U32(s.n_head as u32),
        ),
        (
            format!("{a}.attention.head_count_kv"),
            Value::U32(s.n_kv as u32),
        ),
        (
            format!("{a}.attention.layer_norm_rms_epsilon"),
            Value::F32(1e-6),
        ),
        (format!("{a}.rope.freq_base"), Value::F32(s.rope_base)),
        (format!("{a}.vocab_size"), Value::U32(vocab as u32)),
    ];
    if matches!(s.arch, Arch::Qwen3 | Arch::Gemma3) || s.head_dim * s.n_head != s.n_embd {
        md.push((
            format!("{a}.attention.key_length"),
            Value::U32(s.head_dim as u32),
        ));
        md.push((
            format!("{a}.attention.value_length"),
            Value::U32(s.head_dim as u32),
        ));
    }
    if s.arch == Arch::Llama {
        md.push((
            format!("{a}.rope.dimension_count"),
            Value::U32(s.head_dim as u32),
        ));
    }
    if s.arch == Arch::Gemma3 {
        md.push((format!("{a}.attention.sliding_window"), Value::U32(8)));
        md.push((format!("{a}.attention.sliding_window_type"), Value::U32(2)));
        md.push((format!("{a}.rope.local_freq_base"), Value::F32(10_000.0)));
    }
    md
}

/// Writes the GGUF file of `preset` to `out`, with weights drawn from `seed`.
pub fn write_preset(preset: &str, out: &Path, seed: u64) -> Result<()> {
    let s = spec(preset)?;
    let mut md: Vec<(String, Value)> = Vec::new();
    tokenizer_metadata(&s, &mut md);
    let n_tokens = md
        .iter()
        .find(|(k, _)| k == "tokenizer.ggml.tokens")
        .and_then(|(_, v)| v.to_vec().ok().map(Vec::len))
        .unwrap_or(0);
    let vocab = s.vocab.unwrap_or(n_tokens);
    let mut all = model_metadata(&s, vocab);
    all.extend(md);
    let mut w = Weights {
        rng: rand::rngs::StdRng::seed_from_u64(seed),
        tensors: Vec::new(),
    };
    w.matrix(
        "token_embd.weight".into(),
        vocab,
        s.n_embd,
        pick(&s, s.tied, s.n_embd),
    )?;
    for i in 0..s.n_layer {
        layer_tensors(&mut w, &s, i)?;
    }
    w.vector("output_norm.weight".into(), s.n_embd, Some(1.0))?;
    if !s.tied {
        w.matrix(
            "output.weight".into(),
            vocab,
            s.n_embd,
            pick(&s, true, s.n_embd),
        )?;
    }
    let md_refs: Vec<(&str, &Value)> = all.iter().map(|(k, v)| (k.as_str(), v)).collect();
    let t_refs: Vec<(&str, &QTensor)> = w.tensors.iter().map(|(k, v)| (k.as_str(), v)).collect();
    let io = |source| EngineError::Io {
        path: out.to_path_buf(),
        source,
    };
    let mut f = std::io::BufWriter::new(std::fs::File::create(out).map_err(io)?);
    gguf_file::write(&mut f, &md_refs, &t_refs)?;
    std::io::Write::flush(&mut f).map_err(io)?;
    Ok(())
}

/// Counts the storage types in a written file, e.g. `{"Q4K": 140, "Q6K": 57, ...}`.
pub fn quant_mix(path: &Path) -> Result<HashMap<String, usize>> {
    let io = |source| EngineError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut f = std::fs::File::open(path).map_err(io)?;
    let ct = gguf_file::Content::read(&mut f)?;
    let mut mix = HashMap::new();
    for info in ct.tensor_infos.values() {
        *mix.entry(format!("{:?}", info.ggml_dtype)).or_insert(0) += 1;
    }
    Ok(mix)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn more_bits_layers_match_llama_cpp() {
        let picked: Vec<usize> = (0..28).filter(|&i| use_more_bits(i, 28)).collect();
        assert_eq!(picked, [0, 1, 2, 5, 8, 11, 14, 17, 20, 23, 24, 25, 26, 27]);
    }

    #[test]
    fn byte_map_is_a_bijection() {
        let chars: std::collections::HashSet<char> = (0..=255u8).map(byte_to_char).collect();
        assert_eq!(chars.len(), 256);
        assert_eq!(byte_to_char(b' '), '\u{120}');
        assert_eq!(byte_to_char(b'a'), 'a');
    }
}
