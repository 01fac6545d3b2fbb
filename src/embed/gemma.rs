//! EmbeddingGemma-300M, the second sentence encoder: it loads the model's sentence-transformers
//! folder (`model.safetensors`, `tokenizer.json`, `config.json`, `1_Pooling/`, `2_Dense/`,
//! `3_Dense/`) and turns a batch of texts into L2-normalised 768-value vectors, with candle's
//! tensor operations in f32 on the CPU. It owns the prompts the model was trained with
//! ([`query_text`], [`document_text`]), the tokenizer call and truncation, the batching of texts
//! by length with padding masked out, and the forward pass: Gemma 3's transformer with
//! bidirectional attention, mean pooling, two dense projections (768 → 3072 → 768), L2
//! normalisation — what sentence-transformers computes for the same folder.
//!
//! The token embedding table (262,144 × 768 f32, 800 MB) is read row by row from the memory-mapped
//! file rather than copied; the transformer's and the projections' matrices (about 106 million
//! values) are copied out at load, as f32 or, with [`Precision::Q8_0`], quantized to 8 bits.

use std::path::{Path, PathBuf};

use candle_core::quantized::{GgmlDType, QMatMul, QTensor};
use candle_core::safetensors::MmapedSafetensors;
use candle_core::{DType, Device, Module, Tensor, D};
use serde::Deserialize;

use super::EmbedError;

/// The folder name the fetch script (`scripts/fetch-gemma-embedder.sh`) unpacks the model
/// as, looked for beside the GGUF models.
pub const FOLDER: &str = "embeddinggemma-300m";

/// The transformer's weights within the folder.
pub const WEIGHTS: &str = "model.safetensors";

/// Tokens read per text, `<bos>` and `<eos>` included; longer texts are cut (their end dropped,
/// `<eos>` kept). At 512 the sliding-window layers' window (512: a token sees those less than 512
/// positions away) covers every text whole, so every layer attends over the whole text and no
/// window mask is needed.
pub const MAX_TOKENS: usize = 512;

/// Padded tokens per forward batch (texts × the longest text's tokens).
const BATCH_TOKENS: usize = 2048;

/// The query prompt (sentence-transformers' `query` / `Retrieval-query` prompt).
const QUERY_PROMPT: &str = "task: search result | query: ";

/// A question as the model reads it.
pub fn query_text(question: &str) -> String {
    format!("{QUERY_PROMPT}{question}")
}

/// A passage as the model reads it: `title: {title or "none"} | text: {text}` (the model card's
/// document prompt).
pub fn document_text(title: Option<&str>, text: &str) -> String {
    let title = title.map(str::trim).filter(|t| !t.is_empty());
    format!("title: {} | text: {text}", title.unwrap_or("none"))
}

/// How the linear layers' weights are held.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Precision {
    /// As the file holds them (f32).
    #[default]
    F32,
    /// Quantized at load to GGML's Q8_0 (blocks of 32 values, one f16 scale each).
    Q8_0,
}

/// The fields of `config.json` the forward pass reads.
#[derive(Debug, Clone, Deserialize)]
struct Config {
    model_type: String,
    hidden_size: usize,
    intermediate_size: usize,
    num_hidden_layers: usize,
    num_attention_heads: usize,
    num_key_value_heads: usize,
    head_dim: usize,
    rms_norm_eps: f64,
    rope_theta: f64,
    rope_local_base_freq: f64,
    query_pre_attn_scalar: f64,
    vocab_size: usize,
    layer_types: Vec<String>,
    hidden_activation: String,
    #[serde(default)]
    use_bidirectional_attention: bool,
    #[serde(default)]
    attention_bias: bool,
    #[serde(default)]
    rope_scaling: Option<serde_json::Value>,
    #[serde(default)]
    attn_logit_softcapping: Option<f64>,
}

/// `1_Pooling/config.json`, the parts that say which pooling.
#[derive(Debug, Deserialize)]
struct PoolingConfig {
    #[serde(default)]
    pooling_mode_mean_tokens: bool,
    #[serde(default)]
    pooling_mode_cls_token: bool,
    #[serde(default)]
    pooling_mode_max_tokens: bool,
    #[serde(default)]
    pooling_mode_lasttoken: bool,
}

/// `2_Dense/config.json` and `3_Dense/config.json`.
#[derive(Debug, Deserialize)]
struct DenseConfig {
    in_features: usize,
    out_features: usize,
    #[serde(default)]
    bias: bool,
    #[serde(default)]
    activation_function: String,
}

/// A weight matrix `(out, in)` and its optional bias.
struct Linear {
    weight: QMatMul,
    bias: Option<Tensor>,
}

impl Linear {
    /// `x · Wᵀ (+ b)` for `x` of shape `(rows, in)`.
    fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        let y = self.weight.forward(x)?;
        match &self.bias {
            Some(b) => y.broadcast_add(b),
            None => Ok(y),
        }
    }
}

/// One transformer layer.
struct Layer {
    q: Linear,
    k: Linear,
    v: Linear,
    o: Linear,
    gate: Linear,
    up: Linear,
    down: Linear,
    /// RMSNorm scales, already `1 + weight` (Gemma stores the offset from one).
    input_norm: Tensor,
    post_attention_norm: Tensor,
    pre_feedforward_norm: Tensor,
    post_feedforward_norm: Tensor,
    q_norm: Tensor,
    k_norm: Tensor,
    /// Full-attention layers use the global RoPE base, sliding ones the local base.
    global: bool,
}

/// Rotary embedding tables `(MAX_TOKENS, head_dim / 2)` for one base.
struct Rope {
    cos: Tensor,
    sin: Tensor,
}

impl Rope {
    fn new(base: f64, head_dim: usize, device: &Device) -> candle_core::Result<Rope> {
        let half = head_dim / 2;
        let mut cos = Vec::with_capacity(MAX_TOKENS * half);
        let mut sin = Vec::with_capacity(MAX_TOKENS * half);
        for pos in 0..MAX_TOKENS {
            for i in 0..half {
                let inv_freq = 1.0 / base.powf((2 * i) as f64 / head_dim as f64);
                let angle = pos as f64 * inv_freq;
                cos.push(angle.cos() as f32);
                sin.push(angle.sin() as f32);
            }
        }
        Ok(Rope {
            cos: Tensor::from_vec(cos, (MAX_TOKENS, half), device)?,
            sin: Tensor::from_vec(sin, (MAX_TOKENS, half), device)?,
        })
    }

    /// Rotates `x` `(batch, heads, tokens, head_dim)` by position (halves, not interleaved).
    fn apply(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        let t = x.dim(2)?;
        let cos = self.cos.narrow(0, 0, t)?;
        let sin = self.sin.narrow(0, 0, t)?;
        candle_nn::rotary_emb::rope(&x.contiguous()?, &cos, &sin)
    }
}

/// A loaded EmbeddingGemma model.
pub struct Gemma {
    config: Config,
    tokenizer: tokenizers::Tokenizer,
    /// `model.safetensors`, kept mapped for the token embedding table.
    weights: MmapedSafetensors,
    weights_path: PathBuf,
    layers: Vec<Layer>,
    final_norm: Tensor,
    /// The two dense projections after pooling, in order.
    dense: [Linear; 2],
    local_rope: Rope,
    global_rope: Rope,
    bos: u32,
    eos: u32,
    /// Stands in for the tokenizer's tokens past the embedding table (the file's
    /// `<image_soft_token>`, id 262144, has no row).
    unk: u32,
    precision: Precision,
    device: Device,
}

impl std::fmt::Debug for Gemma {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Gemma")
            .field("layers", &self.layers.len())
            .field("precision", &self.precision)
            .finish()
    }
}

/// The token embedding table's name in `model.safetensors`.
const EMBEDDINGS: &str = "embed_tokens.weight";

/// Reads and parses a JSON file of the model folder.
fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T, EmbedError> {
    let text = std::fs::read_to_string(path).map_err(|source| EmbedError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    serde_json::from_str(&text).map_err(|e| EmbedError::BadFile(format!("{}: {e}", path.display())))
}

/// Maps a safetensors file, with the error naming it.
fn map(path: &Path) -> Result<MmapedSafetensors, EmbedError> {
    if !path.is_file() {
        return Err(EmbedError::Io {
            path: path.to_path_buf(),
            source: std::io::Error::new(std::io::ErrorKind::NotFound, "no such file"),
        });
    }
    // SAFETY: the mapping is read-only and lives as long as the `Gemma` that holds it; like every
    // memory-mapped model loader, this assumes the file is not truncated or rewritten while the
    // model is loaded.
    unsafe { MmapedSafetensors::new(path) }
        .map_err(|e| EmbedError::BadFile(format!("{}: {e}", path.display())))
}

/// Loads tensor `name` of `file` as f32, checking its shape.
fn tensor(
    file: &MmapedSafetensors,
    path: &Path,
    name: &str,
    shape: &[usize],
    device: &Device,
) -> Result<Tensor, EmbedError> {
    let bad = |why: String| EmbedError::Tensor {
        file: path.to_path_buf(),
        name: name.to_string(),
        why,
    };
    let view = file.get(name).map_err(|_| bad("absent".into()))?;
    if view.shape() != shape {
        return Err(bad(format!("shape {:?}, expected {shape:?}", view.shape())));
    }
    if DType::try_from(view.dtype()).ok() != Some(DType::F32) {
        return Err(bad(format!("type {:?}, expected F32", view.dtype())));
    }
    file.load(name, device).map_err(|e| bad(e.to_string()))
}

impl Gemma {
    /// Loads the sentence-transformers folder `dir`. Every file and tensor is checked; an error
    /// names the one that is missing or wrong.
    pub fn load(dir: &Path, precision: Precision) -> Result<Gemma, EmbedError> {
        let device = Device::Cpu;
        let config: Config = read_json(&dir.join("config.json"))?;
        check_config(&config, &dir.join("config.json"))?;
        let pooling: PoolingConfig = read_json(&dir.join("1_Pooling/config.json"))?;
        if !pooling.pooling_mode_mean_tokens
            || pooling.pooling_mode_cls_token
            || pooling.pooling_mode_max_tokens
            || pooling.pooling_mode_lasttoken
        {
            return Err(EmbedError::BadFile(format!(
                "{}: only mean pooling is supported",
                dir.join("1_Pooling/config.json").display()
            )));
        }

        let tokenizer_path = dir.join("tokenizer.json");
        if !tokenizer_path.is_file() {
            return Err(EmbedError::Io {
                path: tokenizer_path,
                source: std::io::Error::new(std::io::ErrorKind::NotFound, "no such file"),
            });
        }
        let tokenizer = tokenizers::Tokenizer::from_file(&tokenizer_path).map_err(|e| {
            EmbedError::Tokenizer {
                path: tokenizer_path.clone(),
                why: e.to_string(),
            }
        })?;
        let special = |token: &str| {
            tokenizer
                .token_to_id(token)
                .ok_or_else(|| EmbedError::Tokenizer {
                    path: tokenizer_path.clone(),
                    why: format!("no {token} token"),
                })
        };
        let (bos, eos, unk) = (special("<bos>")?, special("<eos>")?, special("<unk>")?);

        let weights_path = dir.join(WEIGHTS);
        let weights = map(&weights_path)?;
        let (h, ff, hd) = (
            config.hidden_size,
            config.intermediate_size,
            config.head_dim,
        );
        let (heads, kv) = (config.num_attention_heads, config.num_key_value_heads);
        // Checked here so that the forward pass may read rows without looking again.
        let embeddings = weights.get(EMBEDDINGS).map_err(|_| EmbedError::Tensor {
            file: weights_path.clone(),
            name: EMBEDDINGS.into(),
            why: "absent".into(),
        })?;
        if embeddings.shape() != [config.vocab_size, h]
            || DType::try_from(embeddings.dtype()).ok() != Some(DType::F32)
        {
            return Err(EmbedError::Tensor {
                file: weights_path.clone(),
                name: EMBEDDINGS.into(),
                why: format!(
                    "{:?} {:?}, expected F32 [{}, {h}]",
                    embeddings.dtype(),
                    embeddings.shape(),
                    config.vocab_size
                ),
            });
        }
        let get =
            |name: &str, shape: &[usize]| tensor(&weights, &weights_path, name, shape, &device);
        let linear = |name: &str, out: usize, inp: usize| -> Result<Linear, EmbedError> {
            let w = get(&format!("{name}.weight"), &[out, inp])?;
            Ok(Linear {
                weight: matmul(w, precision, &weights_path, name)?,
                bias: None,
            })
        };
        let norm = |name: &str, n: usize| -> Result<Tensor, EmbedError> {
            let w = get(&format!("{name}.weight"), &[n])?;
            (w + 1.0).map_err(EmbedError::from)
        };
        let layers = (0..config.num_hidden_layers)
            .map(|l| {
                let p = format!("layers.{l}");
                Ok(Layer {
                    q: linear(&format!("{p}.self_attn.q_proj"), heads * hd, h)?,
                    k: linear(&format!("{p}.self_attn.k_proj"), kv * hd, h)?,
                    v: linear(&format!("{p}.self_attn.v_proj"), kv * hd, h)?,
                    o: linear(&format!("{p}.self_attn.o_proj"), h, heads * hd)?,
                    gate: linear(&format!("{p}.mlp.gate_proj"), ff, h)?,
                    up: linear(&format!("{p}.mlp.up_proj"), ff, h)?,
                    down: linear(&format!("{p}.mlp.down_proj"), h, ff)?,
                    input_norm: norm(&format!("{p}.input_layernorm"), h)?,
                    post_attention_norm: norm(&format!("{p}.post_attention_layernorm"), h)?,
                    pre_feedforward_norm: norm(&format!("{p}.pre_feedforward_layernorm"), h)?,
                    post_feedforward_norm: norm(&format!("{p}.post_feedforward_layernorm"), h)?,
                    q_norm: norm(&format!("{p}.self_attn.q_norm"), hd)?,
                    k_norm: norm(&format!("{p}.self_attn.k_norm"), hd)?,
                    global: config.layer_types[l] == "full_attention",
                })
            })
            .collect::<Result<Vec<Layer>, EmbedError>>()?;
        let final_norm = norm("norm", h)?;

        let first = dense(dir, "2_Dense", h, precision, &device)?;
        let second = dense(dir, "3_Dense", first.1, precision, &device)?;
        if second.1 != h {
            return Err(EmbedError::BadFile(format!(
                "{}: {} outputs, expected {h}",
                dir.join("3_Dense/config.json").display(),
                second.1
            )));
        }
        Ok(Gemma {
            local_rope: Rope::new(config.rope_local_base_freq, hd, &device)?,
            global_rope: Rope::new(config.rope_theta, hd, &device)?,
            config,
            tokenizer,
            weights,
            weights_path,
            layers,
            final_norm,
            dense: [first.0, second.0],
            bos,
            eos,
            unk,
            precision,
            device,
        })
    }

    /// Values per vector.
    pub fn dim(&self) -> usize {
        self.config.hidden_size
    }

    /// How the linear weights are held.
    pub fn precision(&self) -> Precision {
        self.precision
    }

    /// The token ids the model reads for `text` (prompt included): `<bos>`, the text's tokens,
    /// `<eos>`, at most [`MAX_TOKENS`] in all. A token without an embedding row reads as `<unk>`.
    pub fn tokens(&self, text: &str) -> Result<Vec<u32>, EmbedError> {
        let encoding = self
            .tokenizer
            .encode(text, false)
            .map_err(|e| EmbedError::Tokenizer {
                path: PathBuf::from("tokenizer.json"),
                why: e.to_string(),
            })?;
        let body = encoding.get_ids();
        let body = &body[..body.len().min(MAX_TOKENS - 2)];
        let mut ids = Vec::with_capacity(body.len() + 2);
        ids.push(self.bos);
        let rows = self.config.vocab_size;
        ids.extend(
            body.iter()
                .map(|&id| if (id as usize) < rows { id } else { self.unk }),
        );
        ids.push(self.eos);
        Ok(ids)
    }

    /// One L2-normalised vector per text (prompt included, see [`query_text`] and
    /// [`document_text`]), in order. Texts are run in batches of similar length.
    pub fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, EmbedError> {
        let tokens = texts
            .iter()
            .map(|t| self.tokens(t))
            .collect::<Result<Vec<_>, _>>()?;
        let mut order: Vec<usize> = (0..tokens.len()).collect();
        order.sort_by_key(|&i| tokens[i].len());
        let mut out = vec![Vec::new(); tokens.len()];
        let mut start = 0;
        while start < order.len() {
            // Sorted by length: the batch's last text is its longest.
            let mut end = start + 1;
            while end < order.len() && (end + 1 - start) * tokens[order[end]].len() <= BATCH_TOKENS
            {
                end += 1;
            }
            let batch: Vec<&[u32]> = order[start..end].iter().map(|&i| &tokens[i][..]).collect();
            for (&i, v) in order[start..end].iter().zip(self.forward(&batch)?) {
                out[i] = v;
            }
            start = end;
        }
        Ok(out)
    }

    /// The normalised vectors of a batch of token sequences (each at most [`MAX_TOKENS`]).
    fn forward(&self, batch: &[&[u32]]) -> Result<Vec<Vec<f32>>, EmbedError> {
        let c = &self.config;
        let (h, hd) = (c.hidden_size, c.head_dim);
        let (heads, kv) = (c.num_attention_heads, c.num_key_value_heads);
        let b = batch.len();
        let t = batch.iter().map(|s| s.len()).max().unwrap_or(0);

        // Embeddings, scaled by √hidden; padding rows are zero (masked out below).
        let table = self
            .weights
            .get(EMBEDDINGS)
            .map_err(|e| EmbedError::BadFile(format!("{}: {e}", self.weights_path.display())))?;
        let data = table.data();
        let row_bytes = h * 4;
        let scale = (h as f32).sqrt();
        let mut x = vec![0.0f32; b * t * h];
        let mut mask = vec![0.0f32; b * t];
        let mut bias = vec![f32::NEG_INFINITY; b * t];
        for (s, ids) in batch.iter().enumerate() {
            for (p, &id) in ids.iter().enumerate() {
                let id = id as usize;
                let row = data
                    .get(id * row_bytes..(id + 1) * row_bytes)
                    .ok_or_else(|| EmbedError::BadFile(format!("token id {id} out of range")))?;
                let at = (s * t + p) * h;
                for (o, v) in x[at..at + h].iter_mut().zip(row.chunks_exact(4)) {
                    *o = f32::from_le_bytes([v[0], v[1], v[2], v[3]]) * scale;
                }
                mask[s * t + p] = 1.0;
                bias[s * t + p] = 0.0;
            }
        }
        let dev = &self.device;
        let mut x = Tensor::from_vec(x, (b * t, h), dev)?;
        // Added to every query's scores: -∞ at padding keys (bidirectional: no causal part).
        let bias = Tensor::from_vec(bias, (b, 1, 1, t), dev)?;
        let eps = c.rms_norm_eps as f32;
        let norm = |x: &Tensor, w: &Tensor| candle_nn::ops::rms_norm(x, w, eps);
        let scale = 1.0 / c.query_pre_attn_scalar.sqrt();
        let group = heads / kv;

        for layer in &self.layers {
            let rope = if layer.global {
                &self.global_rope
            } else {
                &self.local_rope
            };
            let residual = x.clone();
            let y = norm(&x, &layer.input_norm)?;
            let split = |y: Tensor, n: usize, w: &Tensor| -> candle_core::Result<Tensor> {
                let y = y.reshape((b, t, n, hd))?.transpose(1, 2)?.contiguous()?;
                norm(&y, w)
            };
            let q = rope.apply(&split(layer.q.forward(&y)?, heads, &layer.q_norm)?)?;
            let k = rope.apply(&split(layer.k.forward(&y)?, kv, &layer.k_norm)?)?;
            let v = layer
                .v
                .forward(&y)?
                .reshape((b, t, kv, hd))?
                .transpose(1, 2)?
                .contiguous()?;
            // The query heads sharing a key/value head are stacked along the token axis, so that
            // one matrix product serves them all: (b, kv, group·t, hd).
            let q = q.reshape((b, kv, group * t, hd))?;
            let scores = (q.matmul(&k.t()?)? * scale)?.broadcast_add(&bias)?;
            let probs = candle_nn::ops::softmax_last_dim(&scores)?;
            let ctx = probs
                .matmul(&v)?
                .reshape((b, heads, t, hd))?
                .transpose(1, 2)?
                .reshape((b * t, heads * hd))?;
            let attn = norm(&layer.o.forward(&ctx)?, &layer.post_attention_norm)?;
            x = (residual + attn)?;

            let y = norm(&x, &layer.pre_feedforward_norm)?;
            let mid = (layer.gate.forward(&y)?.gelu()? * layer.up.forward(&y)?)?;
            let ffn = norm(&layer.down.forward(&mid)?, &layer.post_feedforward_norm)?;
            x = (x + ffn)?;
        }
        let x = norm(&x, &self.final_norm)?.reshape((b, t, h))?;

        // Mean over each text's own tokens (prompt, <bos> and <eos> included).
        let mask = Tensor::from_vec(mask, (b, t, 1), dev)?;
        let counts: Vec<f32> = batch.iter().map(|s| s.len().max(1) as f32).collect();
        let counts = Tensor::from_vec(counts, (b, 1), dev)?;
        let pooled = x.broadcast_mul(&mask)?.sum(1)?.broadcast_div(&counts)?;
        let projected = self.dense[1].forward(&self.dense[0].forward(&pooled)?)?;
        let norms = projected.sqr()?.sum_keepdim(D::Minus1)?.sqrt()?;
        let unit = projected.broadcast_div(&norms.clamp(1e-12, f32::INFINITY)?)?;
        Ok(unit.to_dtype(DType::F32)?.to_vec2()?)
    }
}

/// Refuses a configuration the forward pass does not implement.
fn check_config(c: &Config, path: &Path) -> Result<(), EmbedError> {
    let bad = |why: String| Err(EmbedError::BadFile(format!("{}: {why}", path.display())));
    if c.model_type != "gemma3_text" {
        return bad(format!(
            "model_type {:?}, expected gemma3_text",
            c.model_type
        ));
    }
    if c.hidden_activation != "gelu_pytorch_tanh" {
        return bad(format!("hidden_activation {:?}", c.hidden_activation));
    }
    if !c.use_bidirectional_attention {
        return bad("not a bidirectional (embedding) model".into());
    }
    if c.attention_bias || c.attn_logit_softcapping.is_some() {
        return bad("attention bias or logit soft-capping is not supported".into());
    }
    if c.rope_scaling.as_ref().is_some_and(|v| !v.is_null()) {
        return bad("rope_scaling is not supported".into());
    }
    if c.layer_types.len() != c.num_hidden_layers {
        return bad(format!(
            "{} layer_types for {} layers",
            c.layer_types.len(),
            c.num_hidden_layers
        ));
    }
    if c.num_key_value_heads == 0
        || !c.num_attention_heads.is_multiple_of(c.num_key_value_heads)
        || !c.head_dim.is_multiple_of(2)
    {
        return bad("attention heads do not divide".into());
    }
    Ok(())
}

/// Wraps weight `w` `(out, in)` for multiplication, quantized if asked.
fn matmul(w: Tensor, precision: Precision, path: &Path, name: &str) -> Result<QMatMul, EmbedError> {
    match precision {
        Precision::F32 => Ok(QMatMul::Tensor(w)),
        Precision::Q8_0 => {
            let q = QTensor::quantize(&w, GgmlDType::Q8_0).map_err(|e| EmbedError::Tensor {
                file: path.to_path_buf(),
                name: name.to_string(),
                why: format!("cannot quantize: {e}"),
            })?;
            Ok(QMatMul::QTensor(std::sync::Arc::new(q)))
        }
    }
}

/// Loads the dense projection in `dir/sub` whose input is `inputs` wide: the layer and its
/// output width.
fn dense(
    dir: &Path,
    sub: &str,
    inputs: usize,
    precision: Precision,
    device: &Device,
) -> Result<(Linear, usize), EmbedError> {
    let config_path = dir.join(sub).join("config.json");
    let config: DenseConfig = read_json(&config_path)?;
    if config.in_features != inputs {
        return Err(EmbedError::BadFile(format!(
            "{}: {} inputs, expected {inputs}",
            config_path.display(),
            config.in_features
        )));
    }
    if !matches!(
        config.activation_function.as_str(),
        "" | "torch.nn.modules.linear.Identity"
    ) {
        return Err(EmbedError::BadFile(format!(
            "{}: activation {:?} is not supported",
            config_path.display(),
            config.activation_function
        )));
    }
    let path = dir.join(sub).join("model.safetensors");
    let file = map(&path)?;
    let w = tensor(
        &file,
        &path,
        "linear.weight",
        &[config.out_features, inputs],
        device,
    )?;
    let bias = if config.bias {
        Some(tensor(
            &file,
            &path,
            "linear.bias",
            &[config.out_features],
            device,
        )?)
    } else {
        None
    };
    let weight = matmul(w, precision, &path, "linear.weight")?;
    Ok((Linear { weight, bias }, config.out_features))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prompts_follow_the_model_card() {
        assert_eq!(query_text("질문"), "task: search result | query: 질문");
        assert_eq!(document_text(None, "본문"), "title: none | text: 본문");
        assert_eq!(
            document_text(Some("  "), "본문"),
            "title: none | text: 본문"
        );
        assert_eq!(
            document_text(Some("제목"), "본문"),
            "title: 제목 | text: 본문"
        );
    }

    #[test]
    fn a_missing_folder_is_an_error_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let err = Gemma::load(dir.path(), Precision::F32).unwrap_err();
        assert!(err.to_string().contains("config.json"), "{err}");
    }

    /// A model folder with EmbeddingGemma's layout and tiny random weights (hidden 8, one layer,
    /// two query heads over one key/value head of 4, vocabulary of 6 words), less `drop`.
    fn tiny_model(drop: &str) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        let write = |rel: &str, text: &str| {
            let path = dir.path().join(rel);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        };
        write(
            "config.json",
            r#"{"model_type": "gemma3_text", "hidden_size": 8, "intermediate_size": 12,
                "num_hidden_layers": 1, "num_attention_heads": 2, "num_key_value_heads": 1,
                "head_dim": 4, "rms_norm_eps": 1e-6, "rope_theta": 1000000.0,
                "rope_local_base_freq": 10000.0, "query_pre_attn_scalar": 4, "vocab_size": 6,
                "layer_types": ["full_attention"], "hidden_activation": "gelu_pytorch_tanh",
                "use_bidirectional_attention": true}"#,
        );
        write(
            "1_Pooling/config.json",
            r#"{"pooling_mode_mean_tokens": true}"#,
        );
        for (sub, i, o) in [("2_Dense", 8, 16), ("3_Dense", 16, 8)] {
            write(
                &format!("{sub}/config.json"),
                &format!(r#"{{"in_features": {i}, "out_features": {o}, "bias": false}}"#),
            );
            let w = Tensor::randn(0f32, 0.3, (o, i), &Device::Cpu).unwrap();
            candle_core::safetensors::save(
                &std::collections::HashMap::from([("linear.weight", w)]),
                dir.path().join(sub).join("model.safetensors"),
            )
            .unwrap();
        }
        write(
            "tokenizer.json",
            r#"{"version": "1.0", "added_tokens": [], "normalizer": null,
                "pre_tokenizer": {"type": "WhitespaceSplit"}, "post_processor": null,
                "decoder": null, "model": {"type": "WordLevel", "unk_token": "<unk>",
                "vocab": {"<pad>": 0, "<eos>": 1, "<bos>": 2, "<unk>": 3, "a": 4, "b": 5}}}"#,
        );
        let mut tensors = std::collections::HashMap::new();
        let mut add = |name: String, shape: &[usize]| {
            if name != drop {
                let t = Tensor::randn(0f32, 0.3, shape, &Device::Cpu).unwrap();
                tensors.insert(name, t);
            }
        };
        add(EMBEDDINGS.into(), &[6, 8]);
        add("norm.weight".into(), &[8]);
        for (name, shape) in [
            ("self_attn.q_proj", &[8, 8][..]),
            ("self_attn.k_proj", &[4, 8]),
            ("self_attn.v_proj", &[4, 8]),
            ("self_attn.o_proj", &[8, 8]),
            ("mlp.gate_proj", &[12, 8]),
            ("mlp.up_proj", &[12, 8]),
            ("mlp.down_proj", &[8, 12]),
            ("input_layernorm", &[8]),
            ("post_attention_layernorm", &[8]),
            ("pre_feedforward_layernorm", &[8]),
            ("post_feedforward_layernorm", &[8]),
            ("self_attn.q_norm", &[4]),
            ("self_attn.k_norm", &[4]),
        ] {
            add(format!("layers.0.{name}.weight"), shape);
        }
        candle_core::safetensors::save(&tensors, dir.path().join("model.safetensors")).unwrap();
        dir
    }

    #[test]
    fn a_tiny_model_gives_unit_vectors_whatever_the_batch() {
        let dir = tiny_model("");
        let model = Gemma::load(dir.path(), Precision::F32).unwrap();
        assert_eq!(model.tokens("a b zz").unwrap(), vec![2, 4, 5, 3, 1]);
        let texts = ["a", "a b a b b a", "b a"];
        let together = model.embed(&texts).unwrap();
        for (text, v) in texts.iter().zip(&together) {
            assert!((super::super::dot(v, v) - 1.0).abs() < 1e-5, "{text}");
            let alone = &model.embed(&[text]).unwrap()[0];
            let diff = v
                .iter()
                .zip(alone)
                .map(|(a, b)| (a - b).abs())
                .fold(0.0, f32::max);
            assert!(diff < 1e-5, "{text}: padding changed the vector by {diff}");
        }
        assert!(model.embed(&[]).unwrap().is_empty());
    }

    #[test]
    fn a_missing_tensor_is_an_error_naming_it() {
        for name in ["layers.0.mlp.up_proj.weight", EMBEDDINGS, "norm.weight"] {
            let dir = tiny_model(name);
            let err = Gemma::load(dir.path(), Precision::F32).unwrap_err();
            assert!(err.to_string().contains(name), "{err}");
        }
        let dir = tiny_model("");
        std::fs::remove_file(dir.path().join("3_Dense/model.safetensors")).unwrap();
        let err = Gemma::load(dir.path(), Precision::F32).unwrap_err();
        assert!(err.to_string().contains("3_Dense"), "{err}");
    }

    #[test]
    fn rope_tables_start_unrotated() {
        let rope = Rope::new(10_000.0, 4, &Device::Cpu).unwrap();
        let cos = rope.cos.to_vec2::<f32>().unwrap();
        let sin = rope.sin.to_vec2::<f32>().unwrap();
        assert_eq!(
            (cos[0].clone(), sin[0].clone()),
            (vec![1.0, 1.0], vec![0.0, 0.0])
        );
        // Position 1, pair 1: angle 1 / 10000^(2/4) = 0.01.
        assert!((sin[1][1] - 0.01f32.sin()).abs() < 1e-7);
    }
}
