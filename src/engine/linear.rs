//! Quantized weight matrices, optionally split by output rows into parts that run in
//! parallel on the rayon pool.
//!
//! Why: candle's own CPU pool (`CANDLE_NUM_THREADS` > 1) makes the calling thread spin until
//! every worker has finished each operation. On a small machine shared with other busy
//! processes a descheduled worker then stalls the model completely (measured on 2 cores under
//! load: 2 tok/s instead of 30). With the split, candle runs single-threaded and each product
//! is a `rayon::join` of two halves: if no other thread picks up the second half, the caller
//! simply runs it itself, so contention slows the model down gracefully instead of stalling it.
//! Enabled by [`super::set_threads`]; the default (one part) leaves candle's pool in charge.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use candle_core::quantized::ggml_file::qtensor_from_ggml;
use candle_core::quantized::{QMatMul, QTensor};
use candle_core::{Device, Module, Tensor, D};
use rayon::prelude::*;

use super::EngineError;

/// Parts each matrix is split into at load time (1: no split).
static SPLIT: AtomicUsize = AtomicUsize::new(1);

/// Sets how many parts matrices loaded from now on are split into.
pub(crate) fn set_split(parts: usize) {
    SPLIT.store(parts.max(1), Ordering::Relaxed);
}

fn split_parts() -> usize {
    SPLIT.load(Ordering::Relaxed)
}

/// A weight matrix `(out, in)`, whole or in row blocks.
#[derive(Debug, Clone)]
pub struct Linear {
    parts: Vec<QMatMul>,
}

impl Linear {
    /// Wraps `q`, split into the configured number of parts when that is worth it.
    pub fn new(q: Arc<QTensor>) -> Result<Self, EngineError> {
        Self::with_parts(q, split_parts())
    }

    /// Wraps `q` split into `parts` row blocks (fewer when the matrix is small).
    pub fn with_parts(q: Arc<QTensor>, parts: usize) -> Result<Self, EngineError> {
        let (rows, cols) = q.shape().dims2()?;
        let dtype = q.dtype();
        let float = matches!(
            dtype,
            candle_core::quantized::GgmlDType::F32 | candle_core::quantized::GgmlDType::F16
        );
        if parts <= 1 || rows < 64 * parts || float || !cols.is_multiple_of(dtype.block_size()) {
            return Ok(Self {
                parts: vec![QMatMul::from_arc(q)?],
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
        Ok(Self { parts: out })
    }

    /// Number of row blocks.
    pub fn parts(&self) -> usize {
        self.parts.len()
    }
}

impl Module for Linear {
    fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        match self.parts.as_slice() {
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
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::quantized::GgmlDType;

    #[test]
    fn split_matches_whole() {
        let w = Tensor::randn(0f32, 1.0, (300, 256), &Device::Cpu).unwrap();
        let q = Arc::new(QTensor::quantize(&w, GgmlDType::Q4K).unwrap());
        let x = Tensor::randn(0f32, 1.0, (1, 3, 256), &Device::Cpu).unwrap();
        let whole = Linear::with_parts(Arc::clone(&q), 1).unwrap();
        let split = Linear::with_parts(q, 3).unwrap();
        assert_eq!(split.parts(), 3);
        let a = whole
            .forward(&x)
            .unwrap()
            .flatten_all()
            .unwrap()
            .to_vec1::<f32>()
            .unwrap();
        let b = split
            .forward(&x)
            .unwrap()
            .flatten_all()
            .unwrap()
            .to_vec1::<f32>()
            .unwrap();
        assert_eq!(a.len(), 900);
        for (x, y) in a.iter().zip(&b) {
            assert!((x - y).abs() < 1e-3, "{x} vs {y}");
        }
    }
}
