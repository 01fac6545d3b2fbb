//! The encoder's forward pass: a BERT-style transformer (post-layer-norm, GELU) over a batch of
//! texts, mean-pooled into one vector per text.
//!
//! The tokens of every text in a batch are stacked into one activation matrix, so each weight
//! matrix is read once per batch and multiplied by [`crate::engine::kernels`]' quantized
//! kernels (the file's weights are Q4_0, GGUF's layout); attention runs per text, over that
//! text's own tokens only.

use crate::engine::kernels::{self, blocks, QMatrix, QType};

use super::format::{DType, File, Shape};
use super::EmbedError;

/// One layer's weights: matrices as Q4_0 bytes `(out, in)`, vectors as f32.
struct Layer {
    q: (Vec<u8>, Vec<f32>),
    k: (Vec<u8>, Vec<f32>),
    v: (Vec<u8>, Vec<f32>),
    out: (Vec<u8>, Vec<f32>),
    attn_norm: (Vec<f32>, Vec<f32>),
    up: (Vec<u8>, Vec<f32>),
    down: (Vec<u8>, Vec<f32>),
    ffn_norm: (Vec<f32>, Vec<f32>),
}

/// The encoder's weights.
pub struct Encoder {
    pub shape: Shape,
    /// Token embeddings, Q4_0 rows of `hidden` values.
    words: Vec<u8>,
    positions: Vec<f32>,
    token_type: Vec<f32>,
    embed_norm: (Vec<f32>, Vec<f32>),
    layers: Vec<Layer>,
}

impl Encoder {
    /// Reads the weights out of a parsed file, checking each tensor's type and size.
    pub fn new(file: &File) -> Result<Encoder, EmbedError> {
        let s = file.shape;
        let (h, ff) = (s.hidden, s.ff);
        let q4 = |name: &str, n: usize| file.tensor(name, DType::Q4_0, n).map(<[u8]>::to_vec);
        let f = |name: &str, n: usize| file.floats(name, n);
        let linear =
            |p: &str, rows: usize, cols: usize| -> Result<(Vec<u8>, Vec<f32>), EmbedError> {
                Ok((
                    q4(&format!("{p}.w"), rows * cols)?,
                    f(&format!("{p}.b"), rows)?,
                ))
            };
        let norm = |p: &str| -> Result<(Vec<f32>, Vec<f32>), EmbedError> {
            Ok((f(&format!("{p}.w"), h)?, f(&format!("{p}.b"), h)?))
        };
        let layers = (0..s.layers)
            .map(|l| {
                Ok(Layer {
                    q: linear(&format!("l{l}.q"), h, h)?,
                    k: linear(&format!("l{l}.k"), h, h)?,
                    v: linear(&format!("l{l}.v"), h, h)?,
                    out: linear(&format!("l{l}.ao"), h, h)?,
                    attn_norm: norm(&format!("l{l}.aln"))?,
                    up: linear(&format!("l{l}.fi"), ff, h)?,
                    down: linear(&format!("l{l}.fo"), h, ff)?,
                    ffn_norm: norm(&format!("l{l}.oln"))?,
                })
            })
            .collect::<Result<Vec<Layer>, EmbedError>>()?;
        let token_type = f(
            "emb.type",
            file.tensors.get("emb.type").map_or(h, |e| e.elements),
        )?;
        if token_type.len() < h || !token_type.len().is_multiple_of(h) {
            return Err(EmbedError::BadFile(
                "tensor emb.type is not whole rows".into(),
            ));
        }
        Ok(Encoder {
            shape: s,
            words: q4("emb.word", s.vocab * h)?,
            positions: f("emb.pos", s.positions * h)?,
            token_type: token_type[..h].to_vec(),
            embed_norm: norm("emb.ln")?,
            layers,
        })
    }

    /// Mean-pooled final hidden states of each text (`texts`: token ids, each starting with
    /// `<s>` and at most `positions` long; ids below the vocabulary size).
    pub fn forward(&self, texts: &[Vec<u32>]) -> Vec<Vec<f32>> {
        let h = self.shape.hidden;
        let spans: Vec<(usize, usize)> = texts
            .iter()
            .scan(0, |at, t| {
                let s = (*at, *at + t.len());
                *at += t.len();
                Some(s)
            })
            .collect();
        let total: usize = texts.iter().map(Vec::len).sum();
        let row_bytes = QType::Q4_0.row_bytes(h);
        let mut x = Vec::with_capacity(total * h);
        for t in texts {
            for (pos, &id) in t.iter().enumerate() {
                let id = id as usize;
                let row = &self.words[id * row_bytes..(id + 1) * row_bytes];
                let word = blocks::dequantize_row(QType::Q4_0, row, h);
                let p = &self.positions[pos * h..(pos + 1) * h];
                x.extend((0..h).map(|i| word[i] + p[i] + self.token_type[i]));
            }
        }
        let eps = self.shape.eps;
        layer_norm(&mut x, None, &self.embed_norm, h, eps);
        for layer in &self.layers {
            let q = linear(&layer.q, &x, total, h);
            let k = linear(&layer.k, &x, total, h);
            let v = linear(&layer.v, &x, total, h);
            let ctx = attention(&q, &k, &v, &spans, h, self.shape.heads);
            let o = linear(&layer.out, &ctx, total, h);
            layer_norm(&mut x, Some(&o), &layer.attn_norm, h, eps);
            let mut mid = linear(&layer.up, &x, total, h);
            mid.iter_mut().for_each(|m| *m = gelu(*m));
            let down = linear(&layer.down, &mid, total, self.shape.ff);
            layer_norm(&mut x, Some(&down), &layer.ffn_norm, h, eps);
        }
        spans
            .iter()
            .map(|&(a, b)| {
                let mut mean = vec![0.0f32; h];
                for row in x[a * h..b * h].chunks_exact(h) {
                    mean.iter_mut().zip(row).for_each(|(m, v)| *m += v);
                }
                let n = (b - a).max(1) as f32;
                mean.iter_mut().for_each(|m| *m /= n);
                mean
            })
            .collect()
    }
}

/// `x · Wᵀ + b` for `tokens` rows of `cols` values.
fn linear(w: &(Vec<u8>, Vec<f32>), x: &[f32], tokens: usize, cols: usize) -> Vec<f32> {
    let rows = w.1.len();
    let m = QMatrix::new(QType::Q4_0, rows, cols, &w.0).expect("shape checked at load");
    let mut out = vec![0.0f32; tokens * rows];
    kernels::matmul(&m, x, tokens, &mut out);
    for row in out.chunks_exact_mut(rows) {
        row.iter_mut().zip(&w.1).for_each(|(o, b)| *o += b);
    }
    out
}

/// `x ← LayerNorm(x + y)` row by row.
fn layer_norm(x: &mut [f32], y: Option<&[f32]>, (w, b): &(Vec<f32>, Vec<f32>), h: usize, eps: f32) {
    for (t, row) in x.chunks_exact_mut(h).enumerate() {
        if let Some(y) = y {
            row.iter_mut().zip(&y[t * h..]).for_each(|(a, b)| *a += b);
        }
        let mean = row.iter().sum::<f32>() / h as f32;
        let var = row.iter().map(|v| (v - mean) * (v - mean)).sum::<f32>() / h as f32;
        let inv = 1.0 / (var + eps).sqrt();
        for ((v, w), b) in row.iter_mut().zip(w).zip(b) {
            *v = (*v - mean) * inv * w + b;
        }
    }
}

/// Scaled dot-product attention of each text's tokens over that text's tokens.
fn attention(
    q: &[f32],
    k: &[f32],
    v: &[f32],
    spans: &[(usize, usize)],
    h: usize,
    heads: usize,
) -> Vec<f32> {
    let hd = h / heads;
    let scale = 1.0 / (hd as f32).sqrt();
    let mut ctx = vec![0.0f32; q.len()];
    let mut probs = Vec::new();
    for &(a, b) in spans {
        for t in a..b {
            for head in 0..heads {
                let off = head * hd;
                let qh = &q[t * h + off..t * h + off + hd];
                probs.clear();
                probs.extend((a..b).map(|s| {
                    let kh = &k[s * h + off..s * h + off + hd];
                    qh.iter().zip(kh).map(|(x, y)| x * y).sum::<f32>() * scale
                }));
                let max = probs.iter().copied().fold(f32::NEG_INFINITY, f32::max);
                let mut sum = 0.0;
                probs.iter_mut().for_each(|p| {
                    *p = (*p - max).exp();
                    sum += *p;
                });
                let out = &mut ctx[t * h + off..t * h + off + hd];
                for (s, p) in (a..b).zip(&probs) {
                    let vh = &v[s * h + off..s * h + off + hd];
                    let p = p / sum;
                    out.iter_mut().zip(vh).for_each(|(o, x)| *o += p * x);
                }
            }
        }
    }
    ctx
}

/// GELU (the exact form, with the error function).
fn gelu(x: f32) -> f32 {
    0.5 * x * (1.0 + erf(x * std::f32::consts::FRAC_1_SQRT_2))
}

/// The error function (Abramowitz and Stegun 7.1.26, |error| < 1.5e-7).
fn erf(x: f32) -> f32 {
    let t = 1.0 / (1.0 + 0.327_591_1 * x.abs());
    let y = 1.0
        - (((((1.061_405_4 * t - 1.453_152_1) * t) + 1.421_413_7) * t - 0.284_496_74) * t
            + 0.254_829_6)
            * t
            * (-x * x).exp();
    y.copysign(x)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn erf_matches_known_values() {
        for (x, want) in [
            (0.0, 0.0),
            (0.5, 0.520_499_9),
            (1.0, 0.842_700_8),
            (-2.0, -0.995_322_3),
        ] {
            assert!((erf(x) - want).abs() < 1e-6, "erf({x}) = {}", erf(x));
        }
    }

    #[test]
    fn layer_norm_centres_and_scales_rows() {
        let mut x = vec![1.0, 2.0, 3.0, 4.0];
        let w = (vec![1.0, 1.0], vec![0.0, 0.5]);
        layer_norm(&mut x, None, &w, 2, 1e-12);
        assert!(
            (x[0] + 1.0).abs() < 1e-5 && (x[1] - 1.5).abs() < 1e-5,
            "{x:?}"
        );
    }

    #[test]
    fn attention_stays_within_each_text() {
        // Two one-token texts: each token can only attend to itself, so ctx = v.
        let (q, k) = (vec![1.0, 0.0, 0.0, 1.0], vec![1.0, 0.0, 0.0, 1.0]);
        let v = vec![3.0, 4.0, 5.0, 6.0];
        let ctx = attention(&q, &k, &v, &[(0, 1), (1, 2)], 2, 1);
        assert_eq!(ctx, v);
    }
}
