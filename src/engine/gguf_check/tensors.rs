//! The tensor table, and whether its shapes agree with the architecture.
//!
//! Reading: each tensor info (name, dimensions, ggml type, offset) is bounded as it is read; the
//! shape must be non-empty, free of zeros, a whole number of quantization blocks per row, and small
//! enough that its element count and byte size fit in 64 bits. Placing: every tensor must start on
//! the alignment, lie inside the file and overlap no other. Consistency: the embedding rows, the
//! tokenizer and `{arch}.vocab_size` must agree, block indices must be below the block count, and
//! every tensor candle's constructor loads must be present with the shape the hyper-parameters
//! imply.

use std::collections::{HashMap, HashSet};
use std::io::{Read, Seek};

use candle_core::quantized::GgmlDType;

use super::arch::arch_key;
use super::metadata::Metadata;
use super::reader::Input;
use super::{at_most, GgufError, Result, TensorSummary, MAX_TENSOR_DIMS, MAX_VOCAB_SIZE};

/// ggml type codes candle can read, with (block size in elements, block size in bytes).
fn dtype_info(code: u32) -> Option<(GgmlDType, u64, u64)> {
    let t = match code {
        0 => (GgmlDType::F32, 1, 4),
        1 => (GgmlDType::F16, 1, 2),
        2 => (GgmlDType::Q4_0, 32, 18),
        3 => (GgmlDType::Q4_1, 32, 20),
        6 => (GgmlDType::Q5_0, 32, 22),
        7 => (GgmlDType::Q5_1, 32, 24),
        8 => (GgmlDType::Q8_0, 32, 34),
        9 => (GgmlDType::Q8_1, 32, 36),
        10 => (GgmlDType::Q2K, 256, 84),
        11 => (GgmlDType::Q3K, 256, 110),
        12 => (GgmlDType::Q4K, 256, 144),
        13 => (GgmlDType::Q5K, 256, 176),
        14 => (GgmlDType::Q6K, 256, 210),
        15 => (GgmlDType::Q8K, 256, 292),
        30 => (GgmlDType::BF16, 1, 2),
        _ => return None,
    };
    Some(t)
}

/// A tensor info as read, before its offset is made absolute.
pub(super) struct RawTensor {
    name: String,
    /// Candle order (outermost first).
    dims: Vec<u64>,
    dtype: GgmlDType,
    rel_offset: u64,
    size: u64,
}

/// Reads `count` tensor infos; names must be unique.
pub(super) fn read_tensor_infos<R: Read + Seek>(
    input: &mut Input<R>,
    count: u64,
    alignment: u64,
) -> Result<Vec<RawTensor>> {
    let mut tensors = Vec::with_capacity(count as usize);
    let mut names = HashSet::new();
    for i in 0..count {
        let tensor = read_tensor_info(input, i, alignment)?;
        if !names.insert(tensor.name.clone()) {
            return Err(GgufError::DuplicateTensor(tensor.name));
        }
        tensors.push(tensor);
    }
    Ok(tensors)
}

/// Reads and checks tensor info number `i`.
fn read_tensor_info<R: Read + Seek>(
    input: &mut Input<R>,
    i: u64,
    alignment: u64,
) -> Result<RawTensor> {
    let name = input.name(&|| format!("name of tensor {i}"))?;
    let n_dims = input.u32(|| format!("dimension count of tensor {name}"))?;
    at_most(
        || format!("dimension count of tensor {name}"),
        n_dims as u64,
        MAX_TENSOR_DIMS as u64,
    )?;
    let mut dims = Vec::with_capacity(n_dims as usize);
    for d in 0..n_dims {
        dims.push(input.u64(|| format!("dimension {d} of tensor {name}"))?);
    }
    let code = input.u32(|| format!("type of tensor {name}"))?;
    let rel_offset = input.u64(|| format!("offset of tensor {name}"))?;
    let (dtype, size) = storage(&name, &dims, code)?;
    if rel_offset % alignment != 0 {
        return Err(GgufError::MisalignedTensor {
            tensor: name,
            offset: rel_offset,
            alignment,
        });
    }
    dims.reverse();
    Ok(RawTensor {
        name,
        dims,
        dtype,
        rel_offset,
        size,
    })
}

/// Checks a shape (in file order, innermost first) and returns its storage type and byte size.
fn storage(name: &str, dims: &[u64], code: u32) -> Result<(GgmlDType, u64)> {
    let overflow = || GgufError::ShapeOverflow {
        tensor: name.into(),
        dims: dims.to_vec(),
    };
    if dims.is_empty() {
        return Err(bad_shape(name, dims, "it has no dimensions"));
    }
    if let Some(d) = dims.iter().position(|&d| d == 0) {
        return Err(bad_shape(name, dims, &format!("dimension {d} is zero")));
    }
    let elems = dims
        .iter()
        .try_fold(1u64, |acc, &d| acc.checked_mul(d))
        .filter(|&e| e <= usize::MAX as u64)
        .ok_or_else(overflow)?;
    let (dtype, block, block_bytes) = dtype_info(code).ok_or_else(|| GgufError::UnknownDType {
        tensor: name.into(),
        code,
    })?;
    if !dims[0].is_multiple_of(block) {
        let reason = format!(
            "rows of {} elements are not a whole number of {dtype:?} blocks of {block}",
            dims[0]
        );
        return Err(bad_shape(name, dims, &reason));
    }
    let size = (elems / block)
        .checked_mul(block_bytes)
        .ok_or_else(overflow)?;
    Ok((dtype, size))
}

fn bad_shape(tensor: &str, dims: &[u64], reason: &str) -> GgufError {
    GgufError::BadShape {
        tensor: tensor.into(),
        dims: dims.to_vec(),
        reason: reason.into(),
    }
}

/// Where the tensor data begins: the end of the tensor table rounded up to the alignment.
pub(super) fn data_offset(table_end: u64, alignment: u64, file_len: u64) -> Result<u64> {
    table_end
        .div_ceil(alignment)
        .checked_mul(alignment)
        .ok_or_else(|| GgufError::TooMany {
            what: "tensor data offset".into(),
            count: table_end,
            limit: file_len,
        })
}

/// Computes absolute offsets and checks every tensor lies inside the file and none overlap.
pub(super) fn place_tensors(
    raw: Vec<RawTensor>,
    data_offset: u64,
    file_len: u64,
) -> Result<Vec<TensorSummary>> {
    let placed = raw
        .into_iter()
        .map(|t| place(t, data_offset, file_len))
        .collect::<Result<Vec<_>>>()?;
    check_overlap(&placed)?;
    Ok(placed)
}

/// The tensor at its absolute offset, if its data lies inside the file.
fn place(t: RawTensor, data_offset: u64, file_len: u64) -> Result<TensorSummary> {
    let start = data_offset.checked_add(t.rel_offset);
    let end = start.and_then(|s| s.checked_add(t.size));
    match (start, end) {
        (Some(start), Some(end)) if end <= file_len => Ok(TensorSummary {
            name: t.name,
            dims: t.dims,
            dtype: t.dtype,
            offset: start,
            size: t.size,
        }),
        _ => Err(GgufError::TensorOutOfBounds {
            tensor: t.name,
            start: start.unwrap_or(u64::MAX),
            end: end.unwrap_or(u64::MAX),
            file_len,
        }),
    }
}

/// No two tensors may share bytes.
fn check_overlap(tensors: &[TensorSummary]) -> Result<()> {
    let mut order: Vec<usize> = (0..tensors.len()).collect();
    order.sort_by_key(|&i| tensors[i].offset);
    for pair in order.windows(2) {
        let (a, b) = (&tensors[pair[0]], &tensors[pair[1]]);
        if a.offset + a.size > b.offset {
            return Err(GgufError::TensorOverlap {
                first: a.name.clone(),
                second: b.name.clone(),
            });
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Consistency with the hyper-parameters

/// The tensors by name.
pub(super) type ByName<'a> = HashMap<&'a str, &'a TensorSummary>;

pub(super) fn by_name(tensors: &[TensorSummary]) -> ByName<'_> {
    tensors.iter().map(|t| (t.name.as_str(), t)).collect()
}

fn inconsistent(tensor: &str, reason: String) -> GgufError {
    GgufError::Inconsistent {
        tensor: tensor.into(),
        reason,
    }
}

/// The vocabulary size: the rows of `token_embd.weight`, which must be `[vocab, embd]`.
pub(super) fn vocab_rows(by_name: &ByName, arch: &str, embd: u64) -> Result<u64> {
    let embd_t = by_name
        .get("token_embd.weight")
        .ok_or_else(|| GgufError::MissingTensor("token_embd.weight".into()))?;
    let vocab = match embd_t.dims.as_slice() {
        [rows, cols] if *cols == embd => *rows,
        dims => {
            let reason = format!(
                "shape {dims:?} should be [vocab, {embd}] ({} = {embd})",
                arch_key(arch, "embedding_length")
            );
            return Err(inconsistent("token_embd.weight", reason));
        }
    };
    at_most(
        || "vocabulary size (rows of token_embd.weight)".into(),
        vocab,
        MAX_VOCAB_SIZE,
    )?;
    Ok(vocab)
}

/// The tokenizer's token count and `{arch}.vocab_size`, when present, equal the embedding rows.
pub(super) fn check_vocab_agrees(
    metadata: &Metadata,
    arch: &str,
    vocab: u64,
    vocab_key: Option<u64>,
) -> Result<()> {
    if let Some(tokens) = metadata.token_count {
        if tokens != vocab {
            let reason = format!("{vocab} rows but tokenizer.ggml.tokens has {tokens} tokens");
            return Err(inconsistent("token_embd.weight", reason));
        }
    }
    if let Some(v) = vocab_key {
        if v != vocab {
            let reason = format!("{vocab} rows but {} = {v}", arch_key(arch, "vocab_size"));
            return Err(inconsistent("token_embd.weight", reason));
        }
    }
    Ok(())
}

/// Every `blk.N.…` tensor has a block index below the block count.
pub(super) fn check_block_indices(
    tensors: &[TensorSummary],
    arch: &str,
    blocks: u64,
) -> Result<()> {
    for t in tensors {
        let Some(rest) = t.name.strip_prefix("blk.") else {
            continue;
        };
        let index = rest.split('.').next().unwrap_or("");
        match index.parse::<u64>() {
            Ok(i) if i < blocks => {}
            Ok(i) => {
                let reason = format!(
                    "block index {i} is not below {} = {blocks}",
                    arch_key(arch, "block_count")
                );
                return Err(inconsistent(&t.name, reason));
            }
            Err(_) => {
                let reason = format!("\"{index}\" is not a block index");
                return Err(inconsistent(&t.name, reason));
            }
        }
    }
    Ok(())
}

/// The hyper-parameters tensor shapes are checked against.
pub(super) struct Dims {
    pub(super) heads: u64,
    pub(super) kv_heads: u64,
    pub(super) embd: u64,
    pub(super) blocks: u64,
    pub(super) head_dim: u64,
    pub(super) vocab: u64,
}

/// Checks that every tensor candle's constructor for `arch` loads is present with the shape the
/// hyper-parameters imply (shapes in candle's order: `[out, in]` for matrices).
pub(super) fn check_shapes(
    metadata: &Metadata,
    arch: &str,
    by_name: &ByName,
    d: &Dims,
) -> Result<()> {
    let expected = Expected::new(metadata, arch, by_name, d)?;
    let embd = d.embd;
    expected.tensor("output_norm.weight", &[embd], &expected.why_embd)?;
    if by_name.contains_key("output.weight") {
        let why = format!("vocabulary {}, {}", d.vocab, expected.why_embd);
        expected.tensor("output.weight", &[d.vocab, embd], &why)?;
    }
    for i in 0..d.blocks {
        expected.block(i)?;
    }
    Ok(())
}

/// The shapes the tensors of one block should have, and the explanations that go with them.
struct Expected<'a> {
    by_name: &'a ByName<'a>,
    arch: &'a str,
    embd: u64,
    head_dim: u64,
    /// Rows of the query, key, value and output projections.
    q_dim: u64,
    k_dim: u64,
    v_dim: u64,
    o_dim: u64,
    /// `{arch}.feed_forward_length`, if present.
    ffn: Option<u64>,
    /// `{arch}.expert_count` (0 when absent); mixtures of experts have no plain FFN tensors.
    experts: u64,
    why_embd: String,
    why_attn: String,
}

impl<'a> Expected<'a> {
    fn new(metadata: &Metadata, arch: &'a str, by_name: &'a ByName<'a>, d: &Dims) -> Result<Self> {
        let key = |suffix: &str| arch_key(arch, suffix);
        let value_dim = metadata
            .uint(&key("attention.value_length"))?
            .unwrap_or(d.head_dim);
        let ffn = metadata.uint(&key("feed_forward_length"))?;
        let experts = expert_count(metadata, arch)?;
        let why_embd = format!("{} = {}", key("embedding_length"), d.embd);
        let why_attn = format!(
            "{} = {}, {} = {}, head dim {}, {why_embd}",
            key("attention.head_count"),
            d.heads,
            key("attention.head_count_kv"),
            d.kv_heads,
            d.head_dim
        );
        Ok(Expected {
            by_name,
            arch,
            embd: d.embd,
            head_dim: d.head_dim,
            q_dim: d.heads.saturating_mul(d.head_dim),
            k_dim: d.kv_heads.saturating_mul(d.head_dim),
            v_dim: d.kv_heads.saturating_mul(value_dim),
            o_dim: d.heads.saturating_mul(value_dim),
            ffn,
            experts,
            why_embd,
            why_attn,
        })
    }

    /// The tensor `name` exists with shape `dims`; `why` says where the shape comes from.
    fn tensor(&self, name: &str, dims: &[u64], why: &str) -> Result<()> {
        let t = self
            .by_name
            .get(name)
            .ok_or_else(|| GgufError::MissingTensor(name.into()))?;
        if t.dims != dims {
            let reason = format!("shape {:?} should be {dims:?} ({why})", t.dims);
            return Err(inconsistent(name, reason));
        }
        Ok(())
    }

    /// Every tensor of block `i`.
    fn block(&self, i: u64) -> Result<()> {
        let name = |t: &str| format!("blk.{i}.{t}");
        let (embd, attn) = (self.embd, &self.why_attn);
        self.tensor(&name("attn_q.weight"), &[self.q_dim, embd], attn)?;
        self.tensor(&name("attn_k.weight"), &[self.k_dim, embd], attn)?;
        self.tensor(&name("attn_v.weight"), &[self.v_dim, embd], attn)?;
        self.tensor(&name("attn_output.weight"), &[embd, self.o_dim], attn)?;
        self.tensor(&name("attn_norm.weight"), &[embd], &self.why_embd)?;
        self.tensor(&name("ffn_norm.weight"), &[embd], &self.why_embd)?;
        if self.experts <= 1 {
            self.feed_forward(&name)?;
        }
        self.arch_specific(&name)
    }

    /// The gate, up and down projections of a plain (not mixture-of-experts) block.
    fn feed_forward(&self, name: &dyn Fn(&str) -> String) -> Result<()> {
        let Some(f) = self.ffn else {
            for t in ["ffn_gate.weight", "ffn_up.weight", "ffn_down.weight"] {
                if !self.by_name.contains_key(name(t).as_str()) {
                    return Err(GgufError::MissingTensor(name(t)));
                }
            }
            return Ok(());
        };
        let embd = self.embd;
        let why = format!(
            "{} = {f}, {}",
            arch_key(self.arch, "feed_forward_length"),
            self.why_embd
        );
        self.tensor(&name("ffn_gate.weight"), &[f, embd], &why)?;
        self.tensor(&name("ffn_up.weight"), &[f, embd], &why)?;
        self.tensor(&name("ffn_down.weight"), &[embd, f], &why)
    }

    /// Tensors only some architectures have: QKV biases, per-head norms, extra block norms.
    fn arch_specific(&self, name: &dyn Fn(&str) -> String) -> Result<()> {
        match self.arch {
            "qwen2" => {
                let attn = &self.why_attn;
                self.tensor(&name("attn_q.bias"), &[self.q_dim], attn)?;
                self.tensor(&name("attn_k.bias"), &[self.k_dim], attn)?;
                self.tensor(&name("attn_v.bias"), &[self.v_dim], attn)?;
            }
            "qwen3" | "gemma3" => {
                let why = format!("head dim {}", self.head_dim);
                self.tensor(&name("attn_q_norm.weight"), &[self.head_dim], &why)?;
                self.tensor(&name("attn_k_norm.weight"), &[self.head_dim], &why)?;
            }
            _ => {}
        }
        if self.arch == "gemma3" {
            let embd = &[self.embd];
            self.tensor(&name("post_attention_norm.weight"), embd, &self.why_embd)?;
            self.tensor(&name("post_ffw_norm.weight"), embd, &self.why_embd)?;
        }
        Ok(())
    }
}

/// `{arch}.expert_count` (0 when absent), checked against `{arch}.expert_used_count`.
fn expert_count(metadata: &Metadata, arch: &str) -> Result<u64> {
    let key = |suffix: &str| arch_key(arch, suffix);
    let experts = metadata.ranged(&key("expert_count"), 0, 256)?.unwrap_or(0);
    if let Some(used) = metadata.ranged(&key("expert_used_count"), 0, 256)? {
        if experts > 0 && used > experts {
            return Err(GgufError::BadMetadata {
                key: key("expert_used_count"),
                reason: format!("{used} is more than {} = {experts}", key("expert_count")),
            });
        }
    }
    Ok(experts)
}
