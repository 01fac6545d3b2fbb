//! Model hyper-parameters: the architectures we run and what is read from the GGUF metadata
//! (`<arch>.embedding_length`, head counts, context length, RoPE bases, Gemma's sliding window),
//! with sanity checks that turn bad values into errors instead of panics.

use candle_core::quantized::gguf_file;

use super::EngineError;

/// The architectures the engine can run, from `general.architecture`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arch {
    /// Qwen2 / Qwen2.5: biases on Q/K/V.
    Qwen2,
    /// Qwen3: RMS norms on Q and K per head, no biases.
    Qwen3,
    /// Llama 3.x, Mistral-style: plain pre-norm decoder, interleaved RoPE.
    Llama,
    /// Gemma 3: extra post-norms, Q/K norms, GELU, scaled embeddings, sliding-window layers.
    Gemma3,
}

impl Arch {
    /// Parses `general.architecture`.
    pub fn parse(name: &str) -> Result<Self, EngineError> {
        match name {
            "qwen2" => Ok(Self::Qwen2),
            "qwen3" => Ok(Self::Qwen3),
            "llama" => Ok(Self::Llama),
            "gemma3" => Ok(Self::Gemma3),
            other => Err(EngineError::UnsupportedArchitecture(other.to_string())),
        }
    }

    /// The name used as the metadata key prefix.
    pub fn name(self) -> &'static str {
        match self {
            Self::Qwen2 => "qwen2",
            Self::Qwen3 => "qwen3",
            Self::Llama => "llama",
            Self::Gemma3 => "gemma3",
        }
    }
}

/// Hyper-parameters read from the GGUF metadata.
#[derive(Debug, Clone)]
pub struct ModelConfig {
    pub arch: Arch,
    pub n_layer: usize,
    pub n_embd: usize,
    pub n_head: usize,
    pub n_kv_head: usize,
    pub head_dim: usize,
    pub context_length: usize,
    pub rms_eps: f64,
    pub rope_base: f32,
    /// Gemma 3 local (sliding-window) layers use their own RoPE base.
    pub rope_base_local: f32,
    /// Gemma 3: window of the local layers, and every `pattern`-th layer is global.
    pub sliding_window: Option<(usize, usize)>,
}

/// Largest context we build RoPE tables for, whatever the file claims.
pub const MAX_CONTEXT: usize = 131_072;

fn md<'a>(ct: &'a gguf_file::Content, key: &str) -> Result<&'a gguf_file::Value, EngineError> {
    ct.metadata
        .get(key)
        .ok_or_else(|| EngineError::BadModel(format!("missing metadata key `{key}`")))
}

fn md_usize(ct: &gguf_file::Content, key: &str) -> Result<usize, EngineError> {
    let v = md(ct, key)?;
    let n = v
        .to_u32()
        .map(u64::from)
        .or_else(|_| v.to_u64())
        .map_err(|_| EngineError::BadModel(format!("metadata `{key}` is not an integer")))?;
    usize::try_from(n).map_err(|_| EngineError::BadModel(format!("metadata `{key}` too large")))
}

fn md_f32(ct: &gguf_file::Content, key: &str, default: f32) -> Result<f32, EngineError> {
    match ct.metadata.get(key) {
        None => Ok(default),
        Some(v) => v
            .to_f32()
            .map_err(|_| EngineError::BadModel(format!("metadata `{key}` is not a float"))),
    }
}

impl ModelConfig {
    /// Reads and sanity-checks the hyper-parameters of `arch` from the metadata.
    pub fn from_gguf(ct: &gguf_file::Content, arch: Arch) -> Result<Self, EngineError> {
        let p = arch.name();
        let n_embd = md_usize(ct, &format!("{p}.embedding_length"))?;
        let n_head = md_usize(ct, &format!("{p}.attention.head_count"))?;
        let n_kv_head = md_usize(ct, &format!("{p}.attention.head_count_kv"))?;
        if n_head == 0 || n_kv_head == 0 || n_head % n_kv_head != 0 {
            return Err(EngineError::BadModel(format!(
                "bad head counts: {n_head} query heads, {n_kv_head} key/value heads"
            )));
        }
        let head_dim = match ct.metadata.get(&format!("{p}.attention.key_length")) {
            Some(_) => md_usize(ct, &format!("{p}.attention.key_length"))?,
            None => n_embd / n_head,
        };
        if head_dim == 0 || head_dim % 2 != 0 {
            return Err(EngineError::BadModel(format!(
                "bad head dimension {head_dim}"
            )));
        }
        let context_length = md_usize(ct, &format!("{p}.context_length"))?.clamp(1, MAX_CONTEXT);
        let sliding_window = if arch == Arch::Gemma3 {
            let w = md_usize(ct, &format!("{p}.attention.sliding_window"))?;
            let pattern = match ct
                .metadata
                .get(&format!("{p}.attention.sliding_window_type"))
            {
                Some(_) => md_usize(ct, &format!("{p}.attention.sliding_window_type"))?,
                None => 6,
            };
            Some((w.max(1), pattern.max(1)))
        } else {
            None
        };
        let default_base = if arch == Arch::Gemma3 {
            1_000_000.0
        } else {
            10_000.0
        };
        Ok(Self {
            arch,
            n_layer: md_usize(ct, &format!("{p}.block_count"))?,
            n_embd,
            n_head,
            n_kv_head,
            head_dim,
            context_length,
            rms_eps: f64::from(md_f32(
                ct,
                &format!("{p}.attention.layer_norm_rms_epsilon"),
                1e-6,
            )?),
            rope_base: md_f32(ct, &format!("{p}.rope.freq_base"), default_base)?,
            rope_base_local: md_f32(ct, &format!("{p}.rope.local_freq_base"), 10_000.0)?,
            sliding_window,
        })
    }
}
