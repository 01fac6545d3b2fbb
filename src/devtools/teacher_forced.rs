//! Teacher-forced predictions for comparing engines (`factcheck dev teacher-forced`): a token
//! sequence is run through a model in chunks of a chosen size, and for every position the
//! model's top two next tokens, their log-probability gap and the log-probability of the token
//! that really follows are written out. `scripts/compare-teacher-forced.py` compares such
//! files with each other and with llama.cpp's `topk` references; this is how the engine's
//! instruction-set paths were measured against each other (BENCHMARKS.md, "The engine against
//! itself").

use serde::Serialize;

use crate::engine::{EngineError, LoadedModel};

/// The model's prediction after `ids[..pos]`.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Prediction {
    /// Number of tokens seen.
    pub pos: usize,
    /// The most likely next token.
    pub top1: u32,
    /// The second most likely.
    pub top2: u32,
    /// `log p(top1) − log p(top2)`, nats.
    pub gap: f32,
    /// Log-probability of `ids[pos]`, where there is one.
    pub next_true_logprob: Option<f32>,
}

/// Runs `ids` from an empty cache in chunks of `chunk` tokens (1: the one-token decoding path)
/// and returns the prediction after every prefix `ids[..pos]`, `pos` in `1..=len`.
pub fn predictions(
    lm: &mut LoadedModel,
    ids: &[u32],
    chunk: usize,
) -> Result<Vec<Prediction>, EngineError> {
    lm.model.clear_cache();
    let mut out = Vec::with_capacity(ids.len());
    let mut start = 0;
    for part in ids.chunks(chunk.max(1)) {
        let rows = lm.model.forward_all(part)?.to_vec2::<f32>()?;
        for (i, row) in rows.iter().enumerate() {
            let pos = start + i + 1;
            out.push(predict(row, ids.get(pos).copied(), pos));
        }
        start += part.len();
    }
    lm.model.clear_cache();
    Ok(out)
}

/// The prediction that one row of logits makes.
fn predict(logits: &[f32], next: Option<u32>, pos: usize) -> Prediction {
    let max = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let log_z = max + logits.iter().map(|&v| (v - max).exp()).sum::<f32>().ln();
    let (mut top1, mut top2) = (0usize, usize::MAX);
    for (i, &v) in logits.iter().enumerate() {
        if v > logits[top1] {
            top2 = top1;
            top1 = i;
        } else if i != top1 && (top2 == usize::MAX || v > logits[top2]) {
            top2 = i;
        }
    }
    let second = logits.get(top2).copied().unwrap_or(f32::NEG_INFINITY);
    Prediction {
        pos,
        top1: top1 as u32,
        top2: top2.min(logits.len().saturating_sub(1)) as u32,
        gap: logits[top1] - second,
        next_true_logprob: next
            .and_then(|t| logits.get(t as usize))
            .map(|&v| v - log_z),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn top_two_gap_and_true_token() {
        let p = predict(&[0.0, 2.0, 1.0, -1.0], Some(2), 3);
        assert_eq!((p.top1, p.top2, p.pos), (1, 2, 3));
        assert!((p.gap - 1.0).abs() < 1e-6);
        let z = (0f32.exp() + 2f32.exp() + 1f32.exp() + (-1f32).exp()).ln();
        assert!((p.next_true_logprob.unwrap() - (1.0 - z)).abs() < 1e-5);
        // The first element as the runner-up, and no next token.
        let p = predict(&[3.0, 5.0], None, 1);
        assert_eq!((p.top1, p.top2, p.next_true_logprob), (1, 0, None));
    }
}
