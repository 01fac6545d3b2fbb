//! Teacher-forced scoring: how likely the model finds a given continuation of a chat, with no
//! generation. The second retrieval stage asks it how likely a question is after each candidate
//! passage (query likelihood); each item is one prompt and one continuation, and items that
//! share the fixed turns of their chat (system text, worked examples) compute those once,
//! through the prompt-prefix cache.
//!
//! Only the continuation's rows go through the output projection: the prompt is prefilled for
//! its last row alone, so a 150k-word vocabulary costs `continuation` rows, not `prompt` rows.

use std::sync::atomic::{AtomicBool, Ordering};

use candle_core::{DType, IndexOp, Tensor, D};

use super::generate::ChatMessage;
use super::loaded::LoadedModel;
use super::{EngineError, Result};

/// Most items in one scoring job.
pub const MAX_SCORE_ITEMS: usize = 64;

/// One prompt and the text whose likelihood after it is wanted.
#[derive(Debug, Clone)]
pub struct ScoreItem {
    /// The chat; the continuation is the reply that follows it.
    pub messages: Vec<ChatMessage>,
    /// The text scored as the start of the reply.
    pub continuation: String,
}

/// How likely one continuation is.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct ContinuationScore {
    /// Sum of the natural-log probabilities of the continuation's tokens.
    pub logprob: f32,
    /// Its tokens.
    pub tokens: usize,
}

impl ContinuationScore {
    /// Mean log-probability per token (0 for an empty continuation).
    pub fn mean(&self) -> f32 {
        if self.tokens == 0 {
            0.0
        } else {
            self.logprob / self.tokens as f32
        }
    }
}

/// A scoring job.
#[derive(Debug, Clone, Default)]
pub struct ScoreRequest {
    /// What to score, in order.
    pub items: Vec<ScoreItem>,
}

/// Scores every item of `req` in order; `None` when `cancel` was set.
pub fn score(
    lm: &mut LoadedModel,
    req: &ScoreRequest,
    cancel: &AtomicBool,
) -> Result<Option<Vec<ContinuationScore>>> {
    if req.items.len() > MAX_SCORE_ITEMS {
        return Err(EngineError::InvalidRequest(format!(
            "{} items to score; at most {MAX_SCORE_ITEMS} per job",
            req.items.len()
        )));
    }
    let mut out = Vec::with_capacity(req.items.len());
    for item in &req.items {
        if cancel.load(Ordering::Relaxed) {
            return Ok(None);
        }
        match score_one(lm, item, cancel)? {
            Some(s) => out.push(s),
            None => return Ok(None),
        }
    }
    Ok(Some(out))
}

fn score_one(
    lm: &mut LoadedModel,
    item: &ScoreItem,
    cancel: &AtomicBool,
) -> Result<Option<ContinuationScore>> {
    let prompt = lm.prompt(&item.messages)?;
    if prompt.tokens.is_empty() {
        return Err(EngineError::InvalidRequest("the prompt is empty".into()));
    }
    // No BOS, and control-token text in it stays ordinary characters.
    let cont = lm.codec.encode_with(&item.continuation, false, false)?;
    if cont.is_empty() {
        return Ok(Some(ContinuationScore {
            logprob: 0.0,
            tokens: 0,
        }));
    }
    let needed = prompt.tokens.len() + cont.len();
    let limit = lm.info.context_length;
    if needed > limit {
        return Err(EngineError::ContextOverflow { needed, limit });
    }
    let Some((last, _)) = lm.prefill(&prompt, true, cancel)? else {
        return Ok(None);
    };
    let mut logprob = token_logprob(&last, cont[0])?;
    if cont.len() > 1 {
        let rows = lm.model.forward_all(&cont[..cont.len() - 1])?;
        let rows = candle_nn::ops::log_softmax(&rows.to_dtype(DType::F32)?, D::Minus1)?;
        for (i, &t) in cont[1..].iter().enumerate() {
            logprob += rows.i((i, t as usize))?.to_scalar::<f32>()?;
        }
    }
    Ok(Some(ContinuationScore {
        logprob,
        tokens: cont.len(),
    }))
}

/// `log p(token)` under one row of logits.
fn token_logprob(logits: &Tensor, token: u32) -> Result<f32> {
    let lp = candle_nn::ops::log_softmax(&logits.to_dtype(DType::F32)?, D::Minus1)?;
    Ok(lp.i(token as usize)?.to_scalar::<f32>()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_mean_of_nothing_is_zero() {
        let s = ContinuationScore {
            logprob: 0.0,
            tokens: 0,
        };
        assert_eq!(s.mean(), 0.0);
        let s = ContinuationScore {
            logprob: -3.0,
            tokens: 2,
        };
        assert_eq!(s.mean(), -1.5);
    }
}
