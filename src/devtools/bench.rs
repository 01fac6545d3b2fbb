//! The throughput benchmark behind `factcheck bench`: prefill tokens/s at 512 and 1,024 prompt
//! tokens, decode tokens/s, time to first token with and without the prefix cache, and the
//! peak resident memory (`VmHWM`).

use std::path::Path;
use std::sync::atomic::AtomicBool;
use std::time::Instant;

use serde::Serialize;

use crate::engine::generate::{generate, ChatMessage, Event, GenerateRequest};
use crate::engine::loaded::{LoadedModel, PREFILL_CHUNK};
use crate::engine::Result;

/// Benchmark settings.
#[derive(Debug, Clone)]
pub struct BenchOptions {
    /// Tokens generated for the decode figure.
    pub decode_tokens: usize,
    /// Prompt lengths for the prefill figures.
    pub prefill_lengths: Vec<usize>,
}

impl Default for BenchOptions {
    fn default() -> Self {
        Self {
            decode_tokens: 64,
            prefill_lengths: vec![512, 1024],
        }
    }
}

/// The figures.
#[derive(Debug, Clone, Serialize)]
pub struct BenchReport {
    /// The model.
    pub model: String,
    /// Compute threads candle uses.
    pub threads: usize,
    /// Seconds to load the model.
    pub load_s: f64,
    /// (prompt tokens, prefill tokens/s).
    pub prefill: Vec<(usize, f64)>,
    /// Decode tokens/s after a 512-token prompt, over all generated tokens.
    pub decode_tokens_per_s: f64,
    /// Decode tokens/s from a one-token prompt (what llama-bench's `tg` figure measures).
    pub decode_empty_tokens_per_s: f64,
    /// Decode tokens/s of the fastest 16-token window (less sensitive to other processes).
    pub decode_best_window_tokens_per_s: f64,
    /// Prompt tokens in the TTFT runs, and how many of them are the cached prefix.
    pub ttft_prompt_tokens: (usize, usize),
    /// Time to first token without the prefix cache.
    pub ttft_cold_ms: f64,
    /// Time to first token when the prefix is cached.
    pub ttft_cached_ms: f64,
    /// Peak resident memory in MiB (`VmHWM`), if readable.
    pub peak_rss_mib: Option<f64>,
}

/// Peak resident set size of this process in MiB, from `/proc/self/status`.
pub fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

fn filler_tokens(lm: &LoadedModel, n: usize) -> Vec<u32> {
    // Ordinary (non-special) ids, spread over the vocabulary.
    let vocab = lm.codec.vocab_size().max(2) as u32;
    (0..vocab)
        .map(|i| (i.wrapping_mul(7919) + 13) % vocab)
        .filter(|&t| !lm.codec.is_special(t))
        .take(n)
        .collect()
}

fn ttft(
    lm: &mut LoadedModel,
    messages: &[ChatMessage],
    cache: bool,
) -> Result<(f64, usize, usize)> {
    let mut req = GenerateRequest::new(messages.to_vec());
    req.max_tokens = 1;
    req.use_prefix_cache = cache;
    let mut out = (0.0, 0, 0);
    let mut sink = |ev: Event| {
        if let Event::Done { timings, .. } = ev {
            out = (
                timings.ttft_ms,
                timings.prompt_tokens,
                timings.cached_prompt_tokens,
            );
        }
        true
    };
    generate(lm, req, &AtomicBool::new(false), &mut sink)?;
    Ok(out)
}

/// Greedy decoding after a `context`-token prompt: overall tokens/s and the best 16-token
/// window.
fn decode_speed(lm: &mut LoadedModel, context: usize, n: usize) -> Result<(f64, f64)> {
    let toks = filler_tokens(lm, context.clamp(1, lm.info.context_length / 2));
    lm.model.clear_cache();
    let mut logits = lm.model.forward_chunked(&toks, PREFILL_CHUNK)?;
    let start = Instant::now();
    let mut window = Instant::now();
    let mut best = 0f64;
    for i in 1..=n {
        let next = logits.argmax(0)?.to_scalar::<u32>()?;
        logits = lm.model.forward(&[next])?;
        if i % 16 == 0 {
            best = best.max(16.0 / window.elapsed().as_secs_f64());
            window = Instant::now();
        }
    }
    let overall = n as f64 / start.elapsed().as_secs_f64();
    Ok((overall, best.max(overall)))
}

/// Loads `path` and measures it.
pub fn run(path: &Path, opts: &BenchOptions) -> Result<BenchReport> {
    let t = Instant::now();
    let mut lm = LoadedModel::load(path)?;
    let load_s = t.elapsed().as_secs_f64();
    let mut prefill = Vec::new();
    for &n in &opts.prefill_lengths {
        let toks = filler_tokens(
            &lm,
            n.min(
                lm.info
                    .context_length
                    .saturating_sub(opts.decode_tokens + 1),
            ),
        );
        // Best of two runs: other processes on a small machine make single runs noisy.
        let mut best = 0f64;
        for _ in 0..2 {
            lm.model.clear_cache();
            let t = Instant::now();
            lm.model.forward_chunked(&toks, PREFILL_CHUNK)?;
            best = best.max(toks.len() as f64 / t.elapsed().as_secs_f64());
        }
        prefill.push((toks.len(), best));
    }
    let (decode_tokens_per_s, decode_best_window_tokens_per_s) =
        decode_speed(&mut lm, 512, opts.decode_tokens)?;
    let (decode_empty_tokens_per_s, _) = decode_speed(&mut lm, 1, opts.decode_tokens)?;
    let system = "당신은 한국어 뉴스 기사에 근거해서만 답하는 사실 확인 도우미입니다. 주어진 문단만 인용하고, \
                  각 문장 끝에 [P1] 같은 표시로 근거 문단을 밝히세요. 근거가 없으면 모른다고 답하세요. "
        .to_string();
    let messages = vec![
        ChatMessage::new("system", &system),
        ChatMessage::new("user", "소프트뱅크는 무엇을 발표했나요?"),
    ];
    let (cold, prompt_tokens, _) = ttft(&mut lm, &messages, false)?;
    let cold = cold.min(ttft(&mut lm, &messages, false)?.0);
    ttft(&mut lm, &messages, true)?;
    let (cached, _, cached_tokens) = ttft(&mut lm, &messages, true)?;
    let cached = cached.min(ttft(&mut lm, &messages, true)?.0);
    Ok(BenchReport {
        model: lm.info.name.clone(),
        threads: candle_core::utils::get_num_threads(),
        load_s,
        prefill,
        decode_tokens_per_s,
        decode_empty_tokens_per_s,
        decode_best_window_tokens_per_s,
        ttft_prompt_tokens: (prompt_tokens, cached_tokens),
        ttft_cold_ms: cold,
        ttft_cached_ms: cached,
        peak_rss_mib: peak_rss_mib(),
    })
}

impl std::fmt::Display for BenchReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "model: {} ({} threads, loaded in {:.1} s)",
            self.model, self.threads, self.load_s
        )?;
        for (n, tps) in &self.prefill {
            writeln!(f, "prefill {n:>5} tokens: {tps:8.1} tok/s")?;
        }
        writeln!(
            f,
            "decode:               {:8.1} tok/s after 512 prompt tokens, {:.1} tok/s from an empty context",
            self.decode_tokens_per_s, self.decode_empty_tokens_per_s
        )?;
        let (p, c) = self.ttft_prompt_tokens;
        writeln!(
            f,
            "TTFT ({p} prompt tokens, best of 2): {:.0} ms without prefix cache, {:.0} ms with ({c} cached)",
            self.ttft_cold_ms, self.ttft_cached_ms
        )?;
        match self.peak_rss_mib {
            Some(m) => write!(f, "peak RSS: {m:.0} MiB"),
            None => write!(f, "peak RSS: unknown"),
        }
    }
}
