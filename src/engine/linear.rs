//! Weight matrices `(out, in)` and their products with activations. Quantized types our
//! kernels know (Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q4_K, Q5_K, Q6_K) go through
//! [`super::kernels`], straight from the tensor's GGUF bytes (shared, never copied: the tied
//! output projection reads the embedding table itself). Anything else (F32, F16, the rarer
//! quant types) stays on candle's `QMatMul`, optionally split by output rows into parts that
//! run in parallel on the rayon pool.
//!
//! Why rayon and not candle's pool: candle's own CPU pool (`CANDLE_NUM_THREADS` > 1) makes the
//! calling thread spin until every worker has finished each operation. On a small machine
//! shared with other busy processes a descheduled worker then stalls the model completely
//! (measured on 2 cores under load: 2 tok/s instead of 30). Our kernels split every product
//! into several tasks per thread on the rayon pool, so a descheduled thread delays only its
//! own small task while the others take the rest; the candle fallback is split into
//! [`super::set_threads`] parts joined with `rayon::join` for the same reason.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use candle_core::quantized::ggml_file::qtensor_from_ggml;
use candle_core::quantized::{GgmlDType, QMatMul, QTensor};
use candle_core::{DType, Device, Module, Storage, Tensor, D};
use rayon::prelude::*;

use super::kernels::{self, QMatrix, QType};
use super::EngineError;

/// Parts each candle-backed matrix is split into at load time (1: no split).
static SPLIT: AtomicUsize = AtomicUsize::new(1);

/// Sets how many parts candle-backed matrices loaded from now on are split into.
pub(crate) fn set_split(parts: usize) {
    SPLIT.store(parts.max(1), Ordering::Relaxed);
}

fn split_parts() -> usize {
    SPLIT.load(Ordering::Relaxed)
}

/// A weight matrix `(out, in)`.
#[derive(Debug, Clone)]
pub struct Linear {
    inner: Inner,
}

#[derive(Debug, Clone)]
enum Inner {
    /// Multiplied by our kernels, reading the tensor's bytes in place.
    Kernel {
        w: Arc<QTensor>,
        ty: QType,
        rows: usize,
        cols: usize,
    },
    /// Candle's product, whole or in row blocks.
    Candle(Vec<QMatMul>),
}

impl Linear {
    /// Wraps `q`: our kernels when they handle its type, else candle (split into the configured
    /// number of parts when that is worth it).
    pub fn new(q: Arc<QTensor>) -> Result<Self, EngineError> {
        Self::with_parts(q, split_parts())
    }

    /// As [`Linear::new`], splitting a candle-backed matrix into `parts` row blocks (fewer when
    /// the matrix is small).
    pub fn with_parts(q: Arc<QTensor>, parts: usize) -> Result<Self, EngineError> {
        let (rows, cols) = q.shape().dims2()?;
        let dtype = q.dtype();
        if let Some(ty) = QType::from_ggml(dtype).filter(|t| cols % t.block_values() == 0) {
            if q.storage_size_in_bytes() != rows * ty.row_bytes(cols) {
                return Err(EngineError::BadModel(
                    "weight matrix has an unexpected size".into(),
                ));
            }
            return Ok(Self {
                inner: Inner::Kernel {
                    w: q,
                    ty,
                    rows,
                    cols,
                },
            });
        }
        Self::candle(q, parts)
    }

    /// Always candle's `QMatMul` (the comparison baseline in tests and benchmarks).
    pub fn candle(q: Arc<QTensor>, parts: usize) -> Result<Self, EngineError> {
        let (rows, cols) = q.shape().dims2()?;
        let dtype = q.dtype();
        let float = matches!(dtype, GgmlDType::F32 | GgmlDType::F16 | GgmlDType::BF16);
        if parts <= 1 || rows < 64 * parts || float || !cols.is_multiple_of(dtype.block_size()) {
            return Ok(Self {
                inner: Inner::Candle(vec![QMatMul::from_arc(q)?]),
            });
        }
        let row_bytes = cols / dtype.block_size() * dtype.type_size();
        let data = q.data()?;
        if data.len() != rows * row_bytes {
            return Err(EngineError::BadModel(
                "weight matrix has an unexpected size".into(),
            ));
        }
        let per = rows.div_ceil(parts);
        let mut out = Vec::with_capacity(parts);
        let mut start = 0;
        while start < rows {
            let n = per.min(rows - start);
            let bytes = &data[start * row_bytes..(start + n) * row_bytes];
            let part = qtensor_from_ggml(dtype, bytes, vec![n, cols], &Device::Cpu)?;
            out.push(QMatMul::from_qtensor(part)?);
            start += n;
        }
        Ok(Self {
            inner: Inner::Candle(out),
        })
    }

    /// Number of row blocks (1 for our kernels, which split per product instead).
    pub fn parts(&self) -> usize {
        match &self.inner {
            Inner::Kernel { .. } => 1,
            Inner::Candle(p) => p.len(),
        }
    }

    /// Whether the product runs on our kernels.
    pub fn uses_kernels(&self) -> bool {
        matches!(self.inner, Inner::Kernel { .. })
    }
}

fn kernel_forward(
    w: &QTensor,
    ty: QType,
    rows: usize,
    cols: usize,
    x: &Tensor,
) -> candle_core::Result<Tensor> {
    let dims = x.dims();
    if dims.last() != Some(&cols) {
        candle_core::bail!("linear: input {:?} does not end in {cols}", x.shape());
    }
    let x = x.to_dtype(DType::F32)?.contiguous()?;
    let tokens = x.elem_count() / cols;
    let data = w.data()?;
    let m = QMatrix::new(ty, rows, cols, &data).map_err(candle_core::Error::msg)?;
    let mut out = vec![0f32; tokens * rows];
    {
        let (storage, layout) = x.storage_and_layout();
        let Storage::Cpu(cpu) = &*storage else {
            candle_core::bail!("linear: the quantized kernels run on the CPU only");
        };
        let xs = &cpu.as_slice::<f32>()?[layout.start_offset()..][..tokens * cols];
        kernels::matmul(&m, xs, tokens, &mut out);
    }
    let mut shape = dims.to_vec();
    *shape.last_mut().expect("non-empty dims") = rows;
    Tensor::from_vec(out, shape, x.device())
}

impl Module for Linear {
    fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        match &self.inner {
            Inner::Kernel { w, ty, rows, cols } => kernel_forward(w, *ty, *rows, *cols, x),
            Inner::Candle(parts) => match parts.as_slice() {
                [one] => one.forward(x),
                [a, b] => {
                    let (ya, yb) = rayon::join(|| a.forward(x), || b.forward(x));
                    Tensor::cat(&[ya?, yb?], D::Minus1)
                }
                many => {
                    let ys = many
                        .par_iter()
                        .map(|p| p.forward(x))
                        .collect::<candle_core::Result<Vec<_>>>()?;
                    Tensor::cat(&ys, D::Minus1)
                }
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(t: &Tensor) -> Vec<f32> {
        t.flatten_all().unwrap().to_vec1::<f32>().unwrap()
    }

    #[test]
    fn split_matches_whole() {
        let w = Tensor::randn(0f32, 1.0, (300, 256), &Device::Cpu).unwrap();
        let q = Arc::new(QTensor::quantize(&w, GgmlDType::Q4K).unwrap());
        let x = Tensor::randn(0f32, 1.0, (1, 3, 256), &Device::Cpu).unwrap();
        let whole = Linear::candle(Arc::clone(&q), 1).unwrap();
        let split = Linear::candle(q, 3).unwrap();
        assert_eq!(split.parts(), 3);
        let (a, b) = (
            values(&whole.forward(&x).unwrap()),
            values(&split.forward(&x).unwrap()),
        );
        assert_eq!(a.len(), 900);
        for (x, y) in a.iter().zip(&b) {
            assert!((x - y).abs() < 1e-3, "{x} vs {y}");
        }
    }

    #[test]
    fn kernels_agree_with_candle() {
        // Candle quantizes activations the same way for Q8_0/Q4_K (ggml's formats), so the two
        // products differ only by float summation order and candle's own rounding choices.
        for dtype in [
            GgmlDType::Q8_0,
            GgmlDType::Q4K,
            GgmlDType::Q6K,
            GgmlDType::Q5_0,
            GgmlDType::Q4_1,
        ] {
            let w = Tensor::randn(0f32, 1.0, (40, 512), &Device::Cpu).unwrap();
            let q = Arc::new(QTensor::quantize(&w, dtype).unwrap());
            let ours = Linear::new(Arc::clone(&q)).unwrap();
            assert!(ours.uses_kernels());
            let theirs = Linear::candle(q, 1).unwrap();
            for tokens in [1, 9] {
                let x = Tensor::randn(0f32, 1.0, (1, tokens, 512), &Device::Cpu).unwrap();
                let a = values(&ours.forward(&x).unwrap());
                let b = values(&theirs.forward(&x).unwrap());
                let norm = b.iter().map(|v| v * v).sum::<f32>().sqrt() / (b.len() as f32).sqrt();
                for (x, y) in a.iter().zip(&b) {
                    assert!(
                        (x - y).abs() < 0.02 * norm,
                        "{dtype:?} tokens {tokens}: {x} vs {y}"
                    );
                }
            }
        }
    }
}
