//! Per-architecture rules for the hyper-parameters.
//!
//! [`check_model`] names the architecture, requires the metadata keys its candle constructor
//! reads, range-checks every hyper-parameter (so none can make candle allocate without limit),
//! checks that they agree with one another (head counts, head dimension, RoPE), and then hands the
//! tensor table to [`super::tensors`] to check the shapes against them.

use super::metadata::{Meta, Metadata};
use super::tensors::{self, Dims};
use super::{
    GgufError, Result, TensorSummary, MAX_BLOCK_COUNT, MAX_CONTEXT_LENGTH, MAX_EMBEDDING_LENGTH,
    MAX_FEED_FORWARD_LENGTH, MAX_HEAD_COUNT, MAX_HEAD_DIM, MAX_VOCAB_SIZE, SUPPORTED_ARCHITECTURES,
};

/// `{arch}.{suffix}`: the full name of one of an architecture's metadata keys.
pub(super) fn arch_key(arch: &str, suffix: &str) -> String {
    format!("{arch}.{suffix}")
}

/// What the checks learnt about the model, for the summary.
pub(super) struct Model {
    pub(super) architecture: String,
    pub(super) context_length: Option<u64>,
    pub(super) block_count: u64,
    pub(super) head_count: u64,
    pub(super) head_count_kv: u64,
    pub(super) embedding_length: u64,
    pub(super) vocab_size: u64,
    pub(super) tokenizer_model: Option<String>,
    pub(super) has_chat_template: bool,
}

/// Checks the metadata of a supported architecture and the tensors against it.
pub(super) fn check_model(metadata: &Metadata, tensors: &[TensorSummary]) -> Result<Model> {
    let arch = architecture(metadata)?;
    for suffix in required_keys(&arch) {
        if !metadata.contains(&arch_key(&arch, suffix)) {
            return Err(GgufError::MissingKey(arch_key(&arch, suffix)));
        }
    }
    let params = read_params(metadata, &arch)?;
    let head_dim = head_dim(metadata, &arch, &params)?;

    // Tensors against hyper-parameters.
    let by_name = tensors::by_name(tensors);
    let vocab = tensors::vocab_rows(&by_name, &arch, params.embd)?;
    metadata.check_tokenizer(vocab)?;
    tensors::check_vocab_agrees(metadata, &arch, vocab, params.vocab_key)?;
    tensors::check_block_indices(tensors, &arch, params.blocks)?;
    let dims = Dims {
        heads: params.heads,
        kv_heads: params.kv_heads,
        embd: params.embd,
        blocks: params.blocks,
        head_dim,
        vocab,
    };
    tensors::check_shapes(metadata, &arch, &by_name, &dims)?;

    Ok(Model {
        context_length: params.context_length,
        block_count: params.blocks,
        head_count: params.heads,
        head_count_kv: params.kv_heads,
        embedding_length: params.embd,
        vocab_size: vocab,
        tokenizer_model: metadata
            .kept_string("tokenizer.ggml.model")
            .map(str::to_owned),
        has_chat_template: matches!(metadata.get("tokenizer.chat_template"), Some(Meta::Str(_))),
        architecture: arch,
    })
}

/// `general.architecture`, which must name a supported architecture.
fn architecture(metadata: &Metadata) -> Result<String> {
    let arch = match metadata.get("general.architecture") {
        None => return Err(GgufError::MissingKey("general.architecture".into())),
        Some(Meta::Str(Some(s))) => s.clone(),
        Some(Meta::Str(None)) => {
            return Err(GgufError::UnsupportedArchitecture(
                "(a string longer than 1 KiB)".into(),
            ))
        }
        Some(_) => {
            return Err(GgufError::BadMetadata {
                key: "general.architecture".into(),
                reason: "expected a string".into(),
            })
        }
    };
    if !SUPPORTED_ARCHITECTURES.contains(&arch.as_str()) {
        return Err(GgufError::UnsupportedArchitecture(arch));
    }
    Ok(arch)
}

/// Metadata keys (after `{arch}.`) each architecture's candle constructor requires.
fn required_keys(arch: &str) -> Vec<&'static str> {
    let mut keys = vec![
        "attention.head_count",
        "attention.head_count_kv",
        "block_count",
        "embedding_length",
        "attention.layer_norm_rms_epsilon",
    ];
    keys.extend_from_slice(match arch {
        "qwen2" => &["context_length"][..],
        "qwen3" => &["context_length", "attention.key_length", "rope.freq_base"][..],
        "llama" => &["rope.dimension_count"][..],
        "gemma3" => &[
            "attention.key_length",
            "attention.value_length",
            "attention.sliding_window",
        ][..],
        _ => &[][..],
    });
    keys
}

/// The hyper-parameters the later checks use, each within its range.
struct Params {
    context_length: Option<u64>,
    blocks: u64,
    heads: u64,
    kv_heads: u64,
    embd: u64,
    key_length: Option<u64>,
    /// `{arch}.vocab_size`, which few files carry.
    vocab_key: Option<u64>,
}

/// Range-checks every hyper-parameter the constructors read (present or not).
fn read_params(metadata: &Metadata, arch: &str) -> Result<Params> {
    let key = |suffix: &str| arch_key(arch, suffix);
    let ranged = |suffix: &str, max: u64| metadata.ranged(&key(suffix), 1, max);
    let context_length = ranged("context_length", MAX_CONTEXT_LENGTH)?;
    let block_count = ranged("block_count", MAX_BLOCK_COUNT)?;
    let head_count = ranged("attention.head_count", MAX_HEAD_COUNT)?;
    let head_count_kv = ranged("attention.head_count_kv", MAX_HEAD_COUNT)?;
    let embedding_length = ranged("embedding_length", MAX_EMBEDDING_LENGTH)?;
    ranged("feed_forward_length", MAX_FEED_FORWARD_LENGTH)?;
    let key_length = ranged("attention.key_length", MAX_HEAD_DIM)?;
    ranged("attention.value_length", MAX_HEAD_DIM)?;
    ranged("rope.dimension_count", MAX_HEAD_DIM)?;
    ranged("attention.sliding_window", MAX_CONTEXT_LENGTH)?;
    let vocab_key = ranged("vocab_size", MAX_VOCAB_SIZE)?;
    metadata.positive_float(&key("attention.layer_norm_rms_epsilon"))?;
    metadata.positive_float(&key("rope.freq_base"))?;

    // required_keys made these present for every supported architecture.
    let (heads, kv_heads, embd, blocks) =
        match (head_count, head_count_kv, embedding_length, block_count) {
            (Some(h), Some(kv), Some(e), Some(b)) => (h, kv, e, b),
            _ => return Err(GgufError::MissingKey(key("attention.head_count"))),
        };
    Ok(Params {
        context_length,
        blocks,
        heads,
        kv_heads,
        embd,
        key_length,
        vocab_key,
    })
}

/// Checks the head counts divide evenly and returns the (even) per-head dimension, which the
/// RoPE dimension count must not exceed.
fn head_dim(metadata: &Metadata, arch: &str, p: &Params) -> Result<u64> {
    let key = |suffix: &str| arch_key(arch, suffix);
    let (heads, kv_heads, embd) = (p.heads, p.kv_heads, p.embd);
    let bad = |key: String, reason: String| Err(GgufError::BadMetadata { key, reason });
    if heads % kv_heads != 0 {
        let reason = format!(
            "{kv_heads} does not divide {} = {heads}",
            key("attention.head_count")
        );
        return bad(key("attention.head_count_kv"), reason);
    }
    let head_dim = match p.key_length {
        Some(k) => k,
        None if embd % heads != 0 => {
            let reason = format!(
                "{embd} is not divisible by {} = {heads}",
                key("attention.head_count")
            );
            return bad(key("embedding_length"), reason);
        }
        None => embd / heads,
    };
    // Rotary embeddings rotate pairs of dimensions: candle fails on an odd head dim.
    if head_dim % 2 != 0 {
        let source = if p.key_length.is_some() {
            key("attention.key_length")
        } else {
            format!(
                "{} / {}",
                key("embedding_length"),
                key("attention.head_count")
            )
        };
        let reason = format!("the head dimension {head_dim} must be even for rotary embeddings");
        return bad(source, reason);
    }
    if let Some(rope) = metadata.uint(&key("rope.dimension_count"))? {
        if rope % 2 != 0 || rope > head_dim {
            let reason = format!("{rope} must be even and at most the head dimension {head_dim}");
            return bad(key("rope.dimension_count"), reason);
        }
    }
    Ok(head_dim)
}
