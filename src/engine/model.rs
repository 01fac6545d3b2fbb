//! The transformer itself: one decoder built on candle ops that covers the four GGUF
//! architectures we serve (`qwen2`, `qwen3`, `llama`, `gemma3`), with an explicit KV cache that
//! can be snapshotted and restored.
//!
//! Why not `candle_transformers::models::quantized_*`? Those structs keep their KV caches in
//! private fields and differ in ways that matter to us: `quantized_qwen2::ModelWeights` is not
//! `Clone`, so its cache cannot be snapshotted at all; `quantized_qwen3` writes into a
//! preallocated buffer in place, so a clone shares storage and is not a snapshot; `quantized_gemma3`
//! ignores the sliding window during one-token decoding (so incremental and full computations
//! disagree past the window). Writing the decoder once on candle ops gives one code path with
//! a prefix cache, chunked prefill with correct masks at any offset, and grouped-query attention
//! without copying K/V per head. The weights are the same `QMatMul`s the library uses (see [`super::linear`]), so the
//! quantized kernels (and their speed) are unchanged.

use std::sync::Arc;

use candle_core::quantized::ggml_file::qtensor_from_ggml;
use candle_core::quantized::{gguf_file, QTensor};
use candle_core::{DType, Device, IndexOp, Module, Storage, Tensor};
use half::slice::HalfFloatSliceExt;

pub use super::config::{Arch, ModelConfig, MAX_CONTEXT};
use super::linear::Linear;
use super::EngineError;

/// A growable per-layer K/V buffer written in place; `len` rows are valid.
#[derive(Debug, Clone)]
struct LayerCache {
    k: Tensor,
    v: Tensor,
    len: usize,
}

/// The KV state of every layer after some tokens. A snapshot is a deep copy of the valid rows,
/// so later in-place writes to the live buffers never change it.
#[derive(Debug, Clone)]
pub struct KvSnapshot {
    layers: Vec<Option<(Tensor, Tensor)>>,
    len: usize,
}

impl KvSnapshot {
    /// Number of tokens whose state the snapshot holds.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when the snapshot holds no tokens.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

/// Token embeddings kept quantized (as in the file); only the looked-up rows are dequantized.
/// A dequantized table would cost `vocab × width × 4` bytes (600 MB for Qwen3-0.6B), and with
/// tied embeddings the quantized table is shared with the output projection.
struct QEmbedding {
    table: Arc<QTensor>,
    rows: usize,
    cols: usize,
    row_bytes: usize,
}

impl QEmbedding {
    fn new(table: Arc<QTensor>) -> Result<Self, EngineError> {
        let (rows, cols) = table.shape().dims2()?;
        let dtype = table.dtype();
        if cols % dtype.block_size() != 0 {
            return Err(EngineError::BadModel(format!(
                "token_embd width {cols} is not a multiple of the {dtype:?} block size"
            )));
        }
        let row_bytes = cols / dtype.block_size() * dtype.type_size();
        if table.storage_size_in_bytes() != rows * row_bytes {
            return Err(EngineError::BadModel(
                "token_embd has an unexpected size".into(),
            ));
        }
        Ok(Self {
            table,
            rows,
            cols,
            row_bytes,
        })
    }

    /// Rows `ids` as an f32 tensor `(ids.len(), cols)`; ids must be below `rows`.
    fn lookup(&self, ids: &[u32]) -> Result<Tensor, EngineError> {
        let data = self.table.data()?;
        let mut buf = Vec::with_capacity(ids.len() * self.row_bytes);
        for &id in ids {
            let at = id as usize * self.row_bytes;
            buf.extend_from_slice(&data[at..at + self.row_bytes]);
        }
        let rows = qtensor_from_ggml(
            self.table.dtype(),
            &buf,
            vec![ids.len(), self.cols],
            &Device::Cpu,
        )?;
        Ok(rows.dequantize(&Device::Cpu)?)
    }
}

struct Rope {
    cos: Tensor,
    sin: Tensor,
}

impl Rope {
    fn new(head_dim: usize, base: f32, ctx: usize, dev: &Device) -> candle_core::Result<Self> {
        let inv: Vec<f32> = (0..head_dim)
            .step_by(2)
            .map(|i| 1f32 / base.powf(i as f32 / head_dim as f32))
            .collect();
        let inv = Tensor::from_vec(inv, (1, head_dim / 2), dev)?;
        let pos = Tensor::arange(0u32, ctx as u32, dev)?
            .to_dtype(DType::F32)?
            .reshape((ctx, 1))?;
        let freqs = pos.matmul(&inv)?;
        Ok(Self {
            cos: freqs.cos()?,
            sin: freqs.sin()?,
        })
    }
}

struct Layer {
    wq: Linear,
    wk: Linear,
    wv: Linear,
    wo: Linear,
    bias: Option<(Tensor, Tensor, Tensor)>,
    q_norm: Option<Tensor>,
    k_norm: Option<Tensor>,
    attn_norm: Tensor,
    post_attn_norm: Option<Tensor>,
    ffn_norm: Tensor,
    post_ffn_norm: Option<Tensor>,
    gate: Linear,
    up: Linear,
    down: Linear,
    /// Index into `Model::ropes`.
    rope: usize,
    window: Option<usize>,
}

/// A loaded decoder with its KV cache.
pub struct Model {
    cfg: ModelConfig,
    embed: QEmbedding,
    layers: Vec<Layer>,
    norm: Tensor,
    output: Linear,
    ropes: Vec<Rope>,
    cache: Vec<Option<LayerCache>>,
    pos: usize,
    device: Device,
}

struct Loader<'a, R> {
    ct: &'a gguf_file::Content,
    reader: &'a mut R,
    device: &'a Device,
}

impl<R: std::io::Read + std::io::Seek> Loader<'_, R> {
    fn q(&mut self, name: &str) -> Result<QTensor, EngineError> {
        if !self.ct.tensor_infos.contains_key(name) {
            return Err(EngineError::BadModel(format!("missing tensor `{name}`")));
        }
        self.ct
            .tensor(self.reader, name, self.device)
            .map_err(|e| EngineError::BadModel(format!("tensor `{name}`: {e}")))
    }
    fn mm(&mut self, name: &str) -> Result<Linear, EngineError> {
        Linear::new(Arc::new(self.q(name)?))
    }
    fn f32(&mut self, name: &str) -> Result<Tensor, EngineError> {
        Ok(self.q(name)?.dequantize(self.device)?)
    }
    fn opt_f32(&mut self, name: &str) -> Result<Option<Tensor>, EngineError> {
        if self.ct.tensor_infos.contains_key(name) {
            Ok(Some(self.f32(name)?))
        } else {
            Ok(None)
        }
    }
}

impl Model {
    /// Builds the model from parsed GGUF content (metadata already validated).
    pub fn from_gguf<R: std::io::Read + std::io::Seek>(
        ct: &gguf_file::Content,
        reader: &mut R,
        cfg: ModelConfig,
    ) -> Result<Self, EngineError> {
        let device = Device::Cpu;
        let mut ld = Loader {
            ct,
            reader,
            device: &device,
        };
        let embed = QEmbedding::new(Arc::new(ld.q("token_embd.weight")?))?;
        let output = if ct.tensor_infos.contains_key("output.weight") {
            ld.mm("output.weight")?
        } else {
            // Tied embeddings: the output projection shares the quantized table.
            Linear::new(Arc::clone(&embed.table))?
        };
        let norm = ld.f32("output_norm.weight")?;
        let mut ropes = vec![Rope::new(
            cfg.head_dim,
            cfg.rope_base,
            cfg.context_length,
            &device,
        )?];
        if cfg.sliding_window.is_some() {
            ropes.push(Rope::new(
                cfg.head_dim,
                cfg.rope_base_local,
                cfg.context_length,
                &device,
            )?);
        }
        let mut layers = Vec::with_capacity(cfg.n_layer);
        for i in 0..cfg.n_layer {
            layers.push(Self::load_layer(&mut ld, &cfg, i)?);
        }
        let cache = vec![None; cfg.n_layer];
        Ok(Self {
            cfg,
            embed,
            layers,
            norm,
            output,
            ropes,
            cache,
            pos: 0,
            device,
        })
    }

    fn load_layer<R: std::io::Read + std::io::Seek>(
        ld: &mut Loader<'_, R>,
        cfg: &ModelConfig,
        i: usize,
    ) -> Result<Layer, EngineError> {
        let n = |s: &str| format!("blk.{i}.{s}");
        let bias = if cfg.arch == Arch::Qwen2 {
            Some((
                ld.f32(&n("attn_q.bias"))?,
                ld.f32(&n("attn_k.bias"))?,
                ld.f32(&n("attn_v.bias"))?,
            ))
        } else {
            None
        };
        let (window, rope) = match cfg.sliding_window {
            Some((w, pattern)) if !(i + 1).is_multiple_of(pattern) => (Some(w), 1),
            _ => (None, 0),
        };
        let gemma = cfg.arch == Arch::Gemma3;
        Ok(Layer {
            wq: ld.mm(&n("attn_q.weight"))?,
            wk: ld.mm(&n("attn_k.weight"))?,
            wv: ld.mm(&n("attn_v.weight"))?,
            wo: ld.mm(&n("attn_output.weight"))?,
            bias,
            q_norm: ld.opt_f32(&n("attn_q_norm.weight"))?,
            k_norm: ld.opt_f32(&n("attn_k_norm.weight"))?,
            attn_norm: ld.f32(&n("attn_norm.weight"))?,
            post_attn_norm: if gemma {
                Some(ld.f32(&n("post_attention_norm.weight"))?)
            } else {
                None
            },
            ffn_norm: ld.f32(&n("ffn_norm.weight"))?,
            post_ffn_norm: if gemma {
                Some(ld.f32(&n("post_ffw_norm.weight"))?)
            } else {
                None
            },
            gate: ld.mm(&n("ffn_gate.weight"))?,
            up: ld.mm(&n("ffn_up.weight"))?,
            down: ld.mm(&n("ffn_down.weight"))?,
            rope,
            window,
        })
    }

    /// The hyper-parameters.
    pub fn config(&self) -> &ModelConfig {
        &self.cfg
    }

    /// Number of tokens currently in the KV cache (the position of the next token).
    pub fn position(&self) -> usize {
        self.pos
    }

    /// Forgets every cached token.
    pub fn clear_cache(&mut self) {
        for c in self.cache.iter_mut().flatten() {
            c.len = 0;
        }
        self.pos = 0;
    }

    /// Deep-copies the cached state of the first `self.position()` tokens.
    pub fn snapshot(&self) -> Result<KvSnapshot, EngineError> {
        let mut layers = Vec::with_capacity(self.cache.len());
        for c in &self.cache {
            layers.push(match c {
                Some(c) if c.len > 0 => Some((
                    c.k.narrow(2, 0, c.len)?.copy()?,
                    c.v.narrow(2, 0, c.len)?.copy()?,
                )),
                _ => None,
            });
        }
        Ok(KvSnapshot {
            layers,
            len: self.pos,
        })
    }

    /// Puts the cache back to the state saved in `snap`.
    pub fn restore(&mut self, snap: &KvSnapshot) -> Result<(), EngineError> {
        self.clear_cache();
        for (slot, saved) in self.cache.iter_mut().zip(&snap.layers) {
            if let Some((k, v)) = saved {
                append(slot, k, v)?;
            }
        }
        self.pos = snap.len;
        Ok(())
    }

    /// Runs `tokens` at the current position and returns the logits of the last one
    /// (shape `[vocab]`). The tokens are added to the KV cache.
    pub fn forward(&mut self, tokens: &[u32]) -> Result<Tensor, EngineError> {
        self.check_tokens(tokens)?;
        let end = self.pos + tokens.len();
        let logits = self.forward_inner(tokens, false)?;
        self.pos = end;
        Ok(logits)
    }

    /// Refuses an empty batch, one that overflows the context, and ids outside the vocabulary.
    fn check_tokens(&self, tokens: &[u32]) -> Result<(), EngineError> {
        if tokens.is_empty() {
            return Err(EngineError::Internal(
                "forward called with no tokens".into(),
            ));
        }
        let end = self.pos + tokens.len();
        if end > self.cfg.context_length {
            return Err(EngineError::ContextOverflow {
                needed: end,
                limit: self.cfg.context_length,
            });
        }
        let vocab = self.embed.rows;
        if let Some(bad) = tokens.iter().find(|&&t| t as usize >= vocab) {
            return Err(EngineError::Internal(format!(
                "token id {bad} outside vocabulary {vocab}"
            )));
        }
        Ok(())
    }

    /// Like [`Model::forward`] but returns the logits of every token, shape `[tokens, vocab]`
    /// (row `i` predicts the token after `tokens[i]`): teacher-forced scoring and the
    /// agreement tests against llama.cpp use it.
    pub fn forward_all(&mut self, tokens: &[u32]) -> Result<Tensor, EngineError> {
        self.check_tokens(tokens)?;
        let logits = self.forward_inner(tokens, true)?;
        self.pos += tokens.len();
        Ok(logits)
    }

    /// Like [`Model::forward`] but in chunks of at most `chunk` tokens, so the attention
    /// matrices stay small on long prompts.
    pub fn forward_chunked(&mut self, tokens: &[u32], chunk: usize) -> Result<Tensor, EngineError> {
        let mut last = None;
        for part in tokens.chunks(chunk.max(1)) {
            last = Some(self.forward(part)?);
        }
        last.ok_or_else(|| EngineError::Internal("forward called with no tokens".into()))
    }

    fn forward_inner(&mut self, tokens: &[u32], all: bool) -> Result<Tensor, EngineError> {
        let l = tokens.len();
        let mut x = self.embed.lookup(tokens)?.unsqueeze(0)?;
        if self.cfg.arch == Arch::Gemma3 {
            x = (x * (self.cfg.n_embd as f64).sqrt())?;
        }
        let eps = self.cfg.rms_eps as f32;
        for i in 0..self.layers.len() {
            let layer = &self.layers[i];
            let h = candle_nn::ops::rms_norm(&x, &layer.attn_norm, eps)?;
            let mut h = self.attention(i, &h)?;
            let layer = &self.layers[i];
            if let Some(w) = &layer.post_attn_norm {
                h = candle_nn::ops::rms_norm(&h, w, eps)?;
            }
            x = (x + h)?;
            let h = candle_nn::ops::rms_norm(&x, &layer.ffn_norm, eps)?;
            let gate = layer.gate.forward(&h)?;
            let gate = if self.cfg.arch == Arch::Gemma3 {
                gelu_as_ggml(&gate)?
            } else {
                candle_nn::ops::silu(&gate)?
            };
            let mut h = layer.down.forward(&(gate * layer.up.forward(&h)?)?)?;
            if let Some(w) = &layer.post_ffn_norm {
                h = candle_nn::ops::rms_norm(&h, w, eps)?;
            }
            x = (x + h)?;
        }
        let rows = if all {
            x.squeeze(0)?
        } else {
            x.i((0, l - 1))?.unsqueeze(0)?
        };
        let rows = candle_nn::ops::rms_norm(&rows, &self.norm, eps)?;
        let logits = self.output.forward(&rows)?;
        Ok(if all { logits } else { logits.squeeze(0)? })
    }

    fn attention(&mut self, i: usize, x: &Tensor) -> Result<Tensor, EngineError> {
        let (_, l, _) = x.dims3()?;
        let (nh, nkv, hd) = (self.cfg.n_head, self.cfg.n_kv_head, self.cfg.head_dim);
        let eps = self.cfg.rms_eps as f32;
        let pos = self.pos;
        let layer = &self.layers[i];
        let (mut q, mut k, mut v) = (
            layer.wq.forward(x)?,
            layer.wk.forward(x)?,
            layer.wv.forward(x)?,
        );
        if let Some((bq, bk, bv)) = &layer.bias {
            q = q.broadcast_add(bq)?;
            k = k.broadcast_add(bk)?;
            v = v.broadcast_add(bv)?;
        }
        let heads = |t: Tensor, n: usize| -> candle_core::Result<Tensor> {
            t.reshape((1, l, n, hd))?.transpose(1, 2)?.contiguous()
        };
        let (mut q, mut k, v) = (heads(q, nh)?, heads(k, nkv)?, heads(v, nkv)?);
        if let Some(w) = &layer.q_norm {
            q = candle_nn::ops::rms_norm(&q, w, eps)?;
        }
        if let Some(w) = &layer.k_norm {
            k = candle_nn::ops::rms_norm(&k, w, eps)?;
        }
        let rope = &self.ropes[layer.rope];
        let cos = rope.cos.narrow(0, pos, l)?;
        let sin = rope.sin.narrow(0, pos, l)?;
        let rot = |t: &Tensor| match self.cfg.arch {
            Arch::Llama => candle_nn::rotary_emb::rope_i(t, &cos, &sin),
            _ => candle_nn::rotary_emb::rope(t, &cos, &sin),
        };
        // llama.cpp keeps K and V in an f16 cache and feeds Q to its attention as f16; rounding
        // them the same way keeps the scores where llama.cpp's are (measured on real files: it
        // matters at near-ties).
        let q = round_f16(&rot(&q)?)?;
        let window = layer.window;
        // The cache holds K and V as f16 (what the rounding above would give anyway).
        append(
            &mut self.cache[i],
            &rot(&k)?.to_dtype(DType::F16)?,
            &v.to_dtype(DType::F16)?,
        )?;
        let c = self.cache[i]
            .as_ref()
            .ok_or_else(|| EngineError::Internal("no cache".into()))?;
        let total = c.len;
        // Keys visible to any query of this chunk (sliding-window layers see fewer).
        let start = match window {
            Some(w) => (pos + 1).saturating_sub(w),
            None => 0,
        };
        if l == 1 {
            let y = decode_attention(&q, c, start, (nh, nkv, hd))?;
            return Ok(layer.wo.forward(&y)?);
        }
        let cols = total - start;
        let k = c.k.narrow(2, start, cols)?.to_dtype(DType::F32)?;
        let v = c.v.narrow(2, start, cols)?.to_dtype(DType::F32)?;
        let kt = k.t()?;
        let rep = nh / nkv;
        let mask = causal_mask(l, pos, start, total, window, &self.device)?;
        // Queries in blocks of rows, so the score matrix (`heads × rows × cols` f32, then its
        // masked and softmaxed copies) stays within `SCORE_BUDGET` however long the context:
        // 512 queries over 4k keys would otherwise take ~300 MB on a 12-head model.
        let block = (SCORE_BUDGET / (nh * cols * 4)).clamp(1, l);
        let mut parts = Vec::with_capacity(l.div_ceil(block));
        for r0 in (0..l).step_by(block) {
            let n = block.min(l - r0);
            // Grouped-query attention without copying K/V: the `rep` query heads that share a
            // key/value head are stacked along the row dimension.
            let qb = q.narrow(2, r0, n)?.reshape((1, nkv, rep * n, hd))?;
            let att = (qb.matmul(&kt)? * (1.0 / (hd as f64).sqrt()))?;
            let att = att
                .reshape((1, nkv, rep, n, cols))?
                .broadcast_add(&mask.narrow(0, r0, n)?)?
                .reshape((1, nkv, rep * n, cols))?;
            let att = candle_nn::ops::softmax_last_dim(&att)?;
            let y = att.matmul(&v)?; // (1, nkv, rep*n, hd)
            parts.push(y.reshape((1, nh, n, hd))?);
        }
        let y = if parts.len() == 1 {
            parts.pop().expect("one part")
        } else {
            Tensor::cat(&parts, 2)?
        };
        let y = y.transpose(1, 2)?.reshape((1, l, nh * hd))?;
        Ok(layer.wo.forward(&y)?)
    }
}

/// Bytes of attention scores one block of prefill queries may take (see [`Model::attention`]).
const SCORE_BUDGET: usize = 32 << 20;

/// Rounds every value to the nearest f16 (kept as f32).
fn round_f16(t: &Tensor) -> candle_core::Result<Tensor> {
    t.to_dtype(DType::F16)?.to_dtype(DType::F32)
}

/// GELU (tanh form) as ggml's CPU backend computes it: 0 at or below -10, the input itself at
/// or above 10, and in between a table of every f16 input's GELU rounded to f16, indexed by the
/// input rounded to f16. A lookup instead of `tanhf` per element (which was 13% of Gemma 3's
/// prefill), and llama.cpp's numbers to the bit.
fn gelu_as_ggml(x: &Tensor) -> candle_core::Result<Tensor> {
    let table = gelu_table();
    let shape = x.shape().clone();
    let v = x.flatten_all()?.to_vec1::<f32>()?;
    let y: Vec<f32> = v
        .iter()
        .map(|&x| {
            if x <= -10.0 {
                0.0
            } else if x >= 10.0 {
                x
            } else {
                table[half::f16::from_f32(x).to_bits() as usize].to_f32()
            }
        })
        .collect();
    Tensor::from_vec(y, shape, x.device())
}

/// GELU of every f16 value, rounded to f16 (indexed by the input's bits).
fn gelu_table() -> &'static [half::f16] {
    static TABLE: std::sync::OnceLock<Vec<half::f16>> = std::sync::OnceLock::new();
    TABLE.get_or_init(|| {
        (0..=u16::MAX)
            .map(|bits| {
                let x = half::f16::from_bits(bits).to_f32();
                let inner = 0.797_884_6_f32 * x * (1.0 + 0.044_715 * x * x);
                half::f16::from_f32(0.5 * x * (1.0 + inner.tanh()))
            })
            .collect()
    })
}

/// One query token attending over cache rows `start..len`, computed directly on the cache
/// buffers. Going through candle's matmul here costs far more than the arithmetic: the score
/// and value products are tiny GEMMs on strided views, and each one wakes the thread pools
/// (measured: 2 tok/s at 2,500 tokens of context instead of ~20).
fn decode_attention(
    q: &Tensor,
    c: &LayerCache,
    start: usize,
    (nh, nkv, hd): (usize, usize, usize),
) -> Result<Tensor, EngineError> {
    let q = q.flatten_all()?.to_vec1::<f32>()?;
    let cap = c.k.dim(2)?;
    let (k_store, k_layout) = c.k.storage_and_layout();
    let (v_store, v_layout) = c.v.storage_and_layout();
    let (Storage::Cpu(k_cpu), Storage::Cpu(v_cpu)) = (&*k_store, &*v_store) else {
        return Err(EngineError::Internal("KV cache is not on the CPU".into()));
    };
    let ks = &k_cpu.as_slice::<half::f16>()?[k_layout.start_offset()..];
    let vs = &v_cpu.as_slice::<half::f16>()?[v_layout.start_offset()..];
    let rep = nh / nkv;
    let scale = 1.0 / (hd as f32).sqrt();
    let len = c.len;
    let mut out = vec![0f32; nh * hd];
    // As llama.cpp's CPU flash attention does it: one pass over the keys with a running maximum
    // (online softmax), the weighted values summed into an f16 accumulator. The f16 sums are
    // less exact than f32 ones, but they are what llama.cpp computes, and matching it keeps
    // near-ties going the same way.
    // The accumulator is kept in f32 holding f16 values: each update is computed in f32 and
    // rounded to f16 a whole row at a time (the slice conversions use F16C where the CPU has it;
    // element by element they were most of a decoding step).
    // Query heads are independent, so they are shared among the kernels' threads (each head's
    // sums run in the same order either way). A task takes the heads `heads` of one key/value
    // group, so each f16 row is widened once for all of them; groups are split when there are
    // fewer than two per thread (SmolLM2: 3 groups of 3 heads; Gemma 3: one group of 4).
    let task = |g: usize, heads: std::ops::Range<usize>, out: &mut [f32]| {
        let base = g * cap * hd;
        let n = heads.len();
        let (mut krow, mut vrow) = (vec![0f32; hd], vec![0f32; hd]);
        let mut acc = vec![0f32; n * hd];
        let mut scratch = vec![half::f16::ZERO; hd];
        let (mut max, mut sum) = (vec![f32::NEG_INFINITY; n], vec![0f32; n]);
        for j in start..len {
            let row = base + j * hd;
            ks[row..row + hd].convert_to_f32_slice(&mut krow);
            vs[row..row + hd].convert_to_f32_slice(&mut vrow);
            for (i, h) in heads.clone().enumerate() {
                let s = dot(&q[h * hd..(h + 1) * hd], &krow) * scale;
                let acc = &mut acc[i * hd..(i + 1) * hd];
                let mut weight = 1.0;
                if s > max[i] {
                    let shrink = (max[i] - s).exp();
                    for a in acc.iter_mut() {
                        *a *= shrink;
                    }
                    round_to_f16(acc, &mut scratch);
                    sum[i] *= shrink;
                    max[i] = s;
                } else {
                    weight = (s - max[i]).exp();
                }
                for (a, &x) in acc.iter_mut().zip(&vrow) {
                    *a += x * weight;
                }
                round_to_f16(acc, &mut scratch);
                sum[i] += weight;
            }
        }
        for (i, o) in out.chunks_mut(hd).enumerate() {
            for (o, a) in o.iter_mut().zip(&acc[i * hd..(i + 1) * hd]) {
                *o = a / sum[i];
            }
        }
    };
    let threads = super::kernels::tasks::threads();
    // Below this much work (key rows × heads) waking the helpers costs more than it saves.
    const PARALLEL_FROM: usize = 2048;
    if threads > 1 && (len - start) * nh >= PARALLEL_FROM {
        // At least two tasks per thread, so that a thread finishing early finds another.
        let parts = (2 * threads).div_ceil(nkv).clamp(1, rep);
        let per = rep.div_ceil(parts);
        // (group, heads) of each task, and its slice of the output.
        let mut jobs = Vec::new();
        let mut rest: &mut [f32] = &mut out;
        for g in 0..nkv {
            for h0 in (g * rep..(g + 1) * rep).step_by(per) {
                let h1 = (h0 + per).min((g + 1) * rep);
                let (mine, tail) = rest.split_at_mut((h1 - h0) * hd);
                rest = tail;
                jobs.push(std::sync::Mutex::new((g, h0..h1, mine)));
            }
        }
        super::kernels::tasks::run_tasks(jobs.len(), &|t| {
            let mut job = jobs[t].lock().unwrap_or_else(|e| e.into_inner());
            let (g, heads, out) = &mut *job;
            task(*g, heads.clone(), out);
        });
    } else {
        for (g, out) in out.chunks_mut(rep * hd).enumerate() {
            task(g, g * rep..(g + 1) * rep, out);
        }
    }
    Ok(Tensor::from_vec(out, (1, 1, nh * hd), &Device::Cpu)?)
}

/// Rounds every value of `v` to the nearest f16 (kept as f32), through `scratch`.
fn round_to_f16(v: &mut [f32], scratch: &mut [half::f16]) {
    scratch.convert_from_f32_slice(v);
    scratch.convert_to_f32_slice(v);
}

fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut acc = [0f32; 8];
    let (ca, cb) = (a.chunks_exact(8), b.chunks_exact(8));
    let tail: f32 = ca
        .remainder()
        .iter()
        .zip(cb.remainder())
        .map(|(x, y)| x * y)
        .sum();
    for (x, y) in ca.zip(cb) {
        for i in 0..8 {
            acc[i] += x[i] * y[i];
        }
    }
    acc.iter().sum::<f32>() + tail
}

/// Additive mask `(l, total-start)`: query `r` sits at position `pos + r`, key `c` at `start + c`.
fn causal_mask(
    l: usize,
    pos: usize,
    start: usize,
    total: usize,
    window: Option<usize>,
    dev: &Device,
) -> candle_core::Result<Tensor> {
    let cols = total - start;
    let mut m = vec![0f32; l * cols];
    for r in 0..l {
        let qp = pos + r;
        for c in 0..cols {
            let kp = start + c;
            let hidden = kp > qp || window.is_some_and(|w| qp - kp >= w);
            if hidden {
                m[r * cols + c] = f32::NEG_INFINITY;
            }
        }
    }
    Tensor::from_vec(m, (l, cols), dev)
}

/// Appends `k`/`v` (shape `(1, heads, n, dim)`) to a layer cache, growing it by doubling.
fn append(slot: &mut Option<LayerCache>, k: &Tensor, v: &Tensor) -> candle_core::Result<()> {
    let n = k.dim(2)?;
    let len = slot.as_ref().map_or(0, |c| c.len);
    let cap = slot.as_ref().map_or(0, |c| c.k.dim(2).unwrap_or(0));
    if len + n > cap {
        let new_cap = (len + n).next_power_of_two().max(256);
        let (_, h, _, d) = k.dims4()?;
        let nk = Tensor::zeros((1, h, new_cap, d), k.dtype(), k.device())?;
        let nv = Tensor::zeros((1, h, new_cap, d), v.dtype(), v.device())?;
        if let Some(c) = slot.as_ref().filter(|c| c.len > 0) {
            nk.slice_set(&c.k.narrow(2, 0, c.len)?.contiguous()?, 2, 0)?;
            nv.slice_set(&c.v.narrow(2, 0, c.len)?.contiguous()?, 2, 0)?;
        }
        *slot = Some(LayerCache { k: nk, v: nv, len });
    }
    if let Some(c) = slot.as_mut() {
        c.k.slice_set(&k.contiguous()?, 2, len)?;
        c.v.slice_set(&v.contiguous()?, 2, len)?;
        c.len = len + n;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gelu_is_ggml_table_gelu() {
        let xs: Vec<f32> = (-1300..=1300).map(|i| i as f32 * 0.01).collect();
        let t = Tensor::from_vec(xs.clone(), xs.len(), &Device::Cpu).unwrap();
        let got = gelu_as_ggml(&t).unwrap().to_vec1::<f32>().unwrap();
        // candle's tanh-form GELU on f16-rounded input, rounded to f16: equal within an f16 step.
        let want = round_f16(&round_f16(&t).unwrap().gelu().unwrap())
            .unwrap()
            .to_vec1::<f32>()
            .unwrap();
        for ((x, g), w) in xs.iter().zip(&got).zip(&want) {
            if *x <= -10.0 {
                assert_eq!(*g, 0.0);
            } else if *x >= 10.0 {
                assert_eq!(g, x, "passed through unrounded");
            } else {
                assert!((g - w).abs() <= w.abs() * 1e-3 + 1e-6, "{x}: {g} vs {w}");
            }
        }
    }
}
