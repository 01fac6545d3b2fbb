//! The generation loop: prefill (through the prefix cache), then one token at a time with
//! greedy or sampled decoding, constrained decoding (text a constraint forces is run as one
//! batch, like a prompt), stops on EOS tokens, stop strings and
//! `max_tokens`, and a context guard checked before any work. Text is streamed as deltas that
//! never split a UTF-8 character and never show a stop string (text that may be the start of
//! one is held back until it is known not to be). The caller cancels by returning `false` from
//! the event sink or by setting the cancel flag; either stops within one step.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use candle_core::Tensor;
use candle_transformers::generation::{LogitsProcessor, Sampling};

use super::constraint::{apply_mask, TokenConstraint};
use super::loaded::LoadedModel;
pub use super::template::ChatMessage;
use super::{EngineError, Result};

/// How the next token is chosen.
#[derive(Debug, Clone, PartialEq)]
pub struct SamplingParams {
    /// 0 (or less) means greedy.
    pub temperature: f64,
    /// Nucleus sampling threshold in (0, 1].
    pub top_p: Option<f64>,
    /// Keep only the k most likely tokens.
    pub top_k: Option<usize>,
    /// Seed of the sampler: same seed, same text.
    pub seed: u64,
    /// Penalty > 1 discourages repeating recent tokens; 1 disables it.
    pub repeat_penalty: f32,
    /// How many recent tokens the penalty looks at.
    pub repeat_last_n: usize,
}

impl Default for SamplingParams {
    fn default() -> Self {
        Self {
            temperature: 0.0,
            top_p: None,
            top_k: None,
            seed: 42,
            repeat_penalty: 1.0,
            repeat_last_n: 64,
        }
    }
}

impl SamplingParams {
    /// Checks the ranges and names the field at fault.
    pub fn validate(&self) -> Result<()> {
        let bad = |m: String| Err(EngineError::InvalidRequest(m));
        if !self.temperature.is_finite() || self.temperature > 100.0 {
            return bad(format!(
                "temperature must be between 0 and 100, got {}",
                self.temperature
            ));
        }
        if let Some(p) = self.top_p {
            if !(p > 0.0 && p <= 1.0) {
                return bad(format!("top_p must be in (0, 1], got {p}"));
            }
        }
        if self.top_k == Some(0) {
            return bad("top_k must be at least 1".into());
        }
        if !self.repeat_penalty.is_finite() || self.repeat_penalty <= 0.0 {
            return bad(format!(
                "repeat_penalty must be positive, got {}",
                self.repeat_penalty
            ));
        }
        Ok(())
    }

    fn processor(&self) -> LogitsProcessor {
        let t = self.temperature;
        let sampling = if t <= 0.0 {
            Sampling::ArgMax
        } else {
            match (self.top_k, self.top_p) {
                (None, None) => Sampling::All { temperature: t },
                (Some(k), None) => Sampling::TopK { k, temperature: t },
                (None, Some(p)) => Sampling::TopP { p, temperature: t },
                (Some(k), Some(p)) => Sampling::TopKThenTopP {
                    k,
                    p,
                    temperature: t,
                },
            }
        };
        LogitsProcessor::from_sampling(self.seed, sampling)
    }
}

/// One generation job.
pub struct GenerateRequest {
    /// The chat so far; the answer continues it.
    pub messages: Vec<ChatMessage>,
    /// Most tokens to generate.
    pub max_tokens: usize,
    /// Sampling settings.
    pub sampling: SamplingParams,
    /// Generation stops before any of these strings; they are not part of the output.
    pub stop: Vec<String>,
    /// Optional rule on which tokens may come next.
    pub constraint: Option<Box<dyn TokenConstraint + Send>>,
    /// Use (and fill) the prompt-prefix cache.
    pub use_prefix_cache: bool,
}

impl GenerateRequest {
    /// A request with default settings (greedy, 256 tokens, prefix cache on).
    pub fn new(messages: Vec<ChatMessage>) -> Self {
        Self {
            messages,
            max_tokens: 256,
            sampling: SamplingParams::default(),
            stop: Vec::new(),
            constraint: None,
            use_prefix_cache: true,
        }
    }
}

/// Why generation ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FinishReason {
    /// An end-of-turn token or a stop string.
    Stop,
    /// `max_tokens` reached.
    Length,
    /// The caller went away or asked to stop.
    Cancelled,
}

/// Timing figures of one job.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct Timings {
    /// Tokens in the prompt.
    pub prompt_tokens: usize,
    /// Prompt tokens restored from the prefix cache instead of computed.
    pub cached_prompt_tokens: usize,
    /// Time to prefill the prompt.
    pub prefill_ms: f64,
    /// Time from job start to the first generated token.
    pub ttft_ms: f64,
    /// Tokens generated.
    pub completion_tokens: usize,
    /// Time spent generating after the first token.
    pub decode_ms: f64,
    /// Prompt tokens computed per second.
    pub prefill_tokens_per_s: f64,
    /// Generated tokens per second after the first.
    pub decode_tokens_per_s: f64,
}

/// What a job reports, in order: `Started`, any number of `Delta`s, then `Done` or `Error`.
#[derive(Debug)]
pub enum Event {
    /// The prompt is tokenized and fits.
    Started {
        /// Tokens in the prompt.
        prompt_tokens: usize,
    },
    /// New text (whole UTF-8 characters).
    Delta(String),
    /// Finished.
    Done {
        /// Why.
        finish_reason: FinishReason,
        /// How long it took.
        timings: Timings,
    },
    /// Failed; nothing follows.
    Error(EngineError),
    /// The result of a scoring job, one per item; nothing follows.
    Scores(Vec<super::score::ContinuationScore>),
}

/// Turns token bytes into text deltas that never split a character and never reveal a stop
/// string.
#[derive(Debug, Default)]
pub struct TextStream {
    bytes: Vec<u8>,
    /// All decoded text so far (what constraints see).
    text: String,
    /// Length of `text` already emitted.
    sent: usize,
    stops: Vec<String>,
}

impl TextStream {
    /// A stream that stops before any of `stops`.
    pub fn new(stops: &[String]) -> Self {
        Self {
            stops: stops.iter().filter(|s| !s.is_empty()).cloned().collect(),
            ..Self::default()
        }
    }

    /// The decoded text so far.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// Bytes of a character begun but not finished (not yet in [`TextStream::text`]).
    pub fn pending(&self) -> &[u8] {
        &self.bytes
    }

    /// Adds a token's bytes. Returns the text now safe to emit and whether a stop string was
    /// reached (the text is then cut before it).
    pub fn push(&mut self, piece: &[u8]) -> (String, bool) {
        self.bytes.extend_from_slice(piece);
        loop {
            match std::str::from_utf8(&self.bytes) {
                Ok(s) => {
                    self.text.push_str(s);
                    self.bytes.clear();
                    break;
                }
                Err(e) => {
                    let ok = e.valid_up_to();
                    self.text
                        .push_str(std::str::from_utf8(&self.bytes[..ok]).unwrap_or_default());
                    match e.error_len() {
                        // An incomplete character at the end: wait for more bytes.
                        None => {
                            self.bytes.drain(..ok);
                            break;
                        }
                        Some(n) => {
                            self.text.push('\u{FFFD}');
                            self.bytes.drain(..ok + n);
                        }
                    }
                }
            }
        }
        let search_from = self
            .sent
            .saturating_sub(self.stops.iter().map(String::len).max().unwrap_or(0));
        let search_from = floor_char(&self.text, search_from);
        let hit = self
            .stops
            .iter()
            .filter_map(|s| self.text[search_from..].find(s.as_str()))
            .min();
        if let Some(at) = hit {
            self.text.truncate(search_from + at);
            return (self.take(self.text.len()), true);
        }
        let hold = self.held_back();
        (self.take(self.text.len() - hold), false)
    }

    /// Bytes at the end of the text that could start a stop string.
    fn held_back(&self) -> usize {
        let mut hold = 0;
        for s in &self.stops {
            for (i, _) in s.char_indices().skip(1) {
                if self.text.ends_with(&s[..i]) {
                    hold = hold.max(i);
                }
            }
        }
        hold.min(self.text.len() - self.sent)
    }

    fn take(&mut self, upto: usize) -> String {
        let upto = floor_char(&self.text, upto.max(self.sent));
        let out = self.text[self.sent..upto].to_string();
        self.sent = upto;
        out
    }

    /// Emits whatever was held back (at the end of generation without a stop).
    pub fn flush(&mut self) -> String {
        self.take(self.text.len())
    }
}

fn floor_char(s: &str, mut i: usize) -> usize {
    i = i.min(s.len());
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn ms(since: Instant) -> f64 {
    since.elapsed().as_secs_f64() * 1000.0
}

/// Runs one job on `lm`, sending events to `sink` (which returns false when the receiver is
/// gone). Errors are returned, not sent: the caller reports them.
pub fn generate(
    lm: &mut LoadedModel,
    mut req: GenerateRequest,
    cancel: &AtomicBool,
    sink: &mut dyn FnMut(Event) -> bool,
) -> Result<()> {
    req.sampling.validate()?;
    if req.max_tokens == 0 {
        return Err(EngineError::InvalidRequest(
            "max_tokens must be at least 1".into(),
        ));
    }
    let start = Instant::now();
    let prompt = lm.prompt(&req.messages)?;
    let limit = lm.info.context_length;
    let needed = prompt.tokens.len() + req.max_tokens;
    if needed > limit {
        return Err(EngineError::ContextOverflow { needed, limit });
    }
    if prompt.tokens.is_empty() {
        return Err(EngineError::InvalidRequest("the prompt is empty".into()));
    }
    let mut timings = Timings {
        prompt_tokens: prompt.tokens.len(),
        ..Timings::default()
    };
    if !sink(Event::Started {
        prompt_tokens: prompt.tokens.len(),
    }) {
        return Ok(());
    }
    let Some((mut logits, cached)) = lm.prefill(&prompt, req.use_prefix_cache, cancel)? else {
        sink(Event::Done {
            finish_reason: FinishReason::Cancelled,
            timings,
        });
        return Ok(());
    };
    timings.cached_prompt_tokens = cached;
    timings.prefill_ms = ms(start);
    let computed = (prompt.tokens.len() - cached) as f64;
    timings.prefill_tokens_per_s = computed / (timings.prefill_ms / 1000.0).max(1e-9);
    let mut processor = req.sampling.processor();
    let mut stream = TextStream::new(&req.stop);
    let mut recent: Vec<u32> = Vec::new();
    let mut first_token_at = None;
    let mut finish = FinishReason::Length;
    let mut produced = 0;
    'steps: while produced < req.max_tokens {
        if cancel.load(Ordering::Relaxed) {
            finish = FinishReason::Cancelled;
            break;
        }
        let forced = forced_tokens(lm, &mut req, &stream);
        let tokens = if forced.is_empty() {
            vec![next_token(
                lm,
                &logits,
                &mut req,
                &recent,
                &stream,
                &mut processor,
            )?]
        } else {
            let room = req.max_tokens - produced;
            forced[..forced.len().min(room)].to_vec()
        };
        if produced == 0 {
            timings.ttft_ms = ms(start);
            first_token_at = Some(Instant::now());
        }
        produced += tokens.len();
        timings.completion_tokens += tokens.len();
        if forced.is_empty() && lm.vocab.is_eos(tokens[0]) {
            finish = FinishReason::Stop;
            break;
        }
        for &token in &tokens {
            recent.push(token);
            let (delta, stopped) = stream.push(lm.codec.piece(token));
            if !delta.is_empty() && !sink(Event::Delta(delta)) {
                finish = FinishReason::Cancelled;
                break 'steps;
            }
            if stopped {
                finish = FinishReason::Stop;
                break 'steps;
            }
        }
        if produced < req.max_tokens {
            logits = lm.model.forward(&tokens)?;
        }
    }
    if finish == FinishReason::Length {
        let rest = stream.flush();
        if !rest.is_empty() && !sink(Event::Delta(rest)) {
            finish = FinishReason::Cancelled;
        }
    }
    if let Some(t) = first_token_at {
        timings.decode_ms = ms(t);
        let n = timings.completion_tokens.saturating_sub(1) as f64;
        timings.decode_tokens_per_s = if timings.decode_ms > 0.0 {
            n / (timings.decode_ms / 1000.0)
        } else {
            0.0
        };
    }
    tracing::debug!(
        prompt = timings.prompt_tokens,
        cached = timings.cached_prompt_tokens,
        prefill_ms = timings.prefill_ms.round(),
        ttft_ms = timings.ttft_ms.round(),
        completion = timings.completion_tokens,
        decode_ms = timings.decode_ms.round(),
        "generation done"
    );
    sink(Event::Done {
        finish_reason: finish,
        timings,
    });
    Ok(())
}

/// The tokens of the text the constraint says must come next (see
/// [`TokenConstraint::forced`]), when it tokenizes back to exactly that text; empty otherwise
/// (the model then goes on one token at a time under the mask).
fn forced_tokens(lm: &LoadedModel, req: &mut GenerateRequest, text: &TextStream) -> Vec<u32> {
    let Some(c) = req.constraint.as_mut() else {
        return Vec::new();
    };
    if !text.pending().is_empty() {
        return Vec::new();
    }
    let Some(forced) = c.forced(text.text()) else {
        return Vec::new();
    };
    let Ok(ids) = lm.codec.encode_with(&forced, false, false) else {
        return Vec::new();
    };
    let bytes: Vec<u8> = ids
        .iter()
        .flat_map(|&id| lm.codec.piece(id).iter().copied())
        .collect();
    if bytes != forced.as_bytes() {
        return Vec::new();
    }
    ids
}

fn next_token(
    lm: &LoadedModel,
    logits: &Tensor,
    req: &mut GenerateRequest,
    recent: &[u32],
    text: &TextStream,
    processor: &mut LogitsProcessor,
) -> Result<u32> {
    let mut logits = logits.to_dtype(candle_core::DType::F32)?;
    if req.sampling.repeat_penalty != 1.0 && !recent.is_empty() {
        let from = recent.len().saturating_sub(req.sampling.repeat_last_n);
        logits = candle_transformers::utils::apply_repeat_penalty(
            &logits,
            req.sampling.repeat_penalty,
            &recent[from..],
        )?;
    }
    if let Some(c) = req.constraint.as_mut() {
        let mut v = logits.to_vec1::<f32>()?;
        if let Some(mask) = c.allowed_after(text.text(), text.pending(), &lm.vocab) {
            if !apply_mask(&mut v, &mask) {
                tracing::warn!("token constraint allowed no token; ignoring it for this step");
            }
        }
        c.adjust(text.text(), text.pending(), &lm.vocab, &mut v);
        logits = Tensor::from_vec(v, logits.shape(), logits.device())?;
    }
    Ok(processor.sample(&logits)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stream_holds_partial_chars() {
        let mut s = TextStream::new(&[]);
        let b = "한".as_bytes();
        assert_eq!(s.push(&b[..1]).0, "");
        assert_eq!(s.push(&b[1..2]).0, "");
        assert_eq!(s.push(&b[2..]).0, "한");
    }

    #[test]
    fn stream_cuts_stop_strings() {
        let mut s = TextStream::new(&["</answer>".to_string()]);
        assert_eq!(s.push(b"yes </an").0, "yes ");
        let (d, stop) = s.push(b"swer> more");
        assert_eq!((d.as_str(), stop), ("", true));
        let mut s = TextStream::new(&["STOP".to_string()]);
        assert_eq!(s.push(b"ST").0, "");
        assert_eq!(s.push(b"AY").0, "STAY");
    }
}
