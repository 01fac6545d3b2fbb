//! GGUF files with random weights and the exact shapes, quantization mix, tokenizer metadata
//! and chat template of real models, so loading, generation and benchmarks can be exercised
//! without downloading weights. `tiny-*` presets (2 layers, width 64, a ~270-token byte-level
//! vocabulary) build in milliseconds for tests; the others mirror real models for benchmarks.
//!
//! The quantization mix follows llama.cpp's Q4_K_M rules: Q4_K everywhere, Q6_K for the output
//! (or tied embedding) and for `attn_v`/`ffn_down` on the layers `use_more_bits` picks; rows
//! whose width is not a multiple of 256 fall back to Q5_0 (for Q4_K) and Q8_0 (for Q6_K).
//!
//! This file holds the presets' shapes, the weights and the model metadata, and writes the file;
//! [`tokenizer`] gives the vocabularies and chat templates that go into its `tokenizer.*`
//! metadata.

pub mod tokenizer;

use std::collections::HashMap;
use std::path::Path;

use candle_core::quantized::gguf_file::{self, Value};
use candle_core::quantized::{GgmlDType, QTensor};
use candle_core::{Device, Tensor};
use rand::{Rng, SeedableRng};

use crate::engine::model::Arch;
use crate::engine::{EngineError, Result};
use tokenizer::tokenizer_metadata;

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
}
