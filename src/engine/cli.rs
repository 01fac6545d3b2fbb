//! What the `generate` subcommand does: load a model, stream one chat completion to stdout,
//! print the timing figures to stderr.

use std::io::Write;
use std::path::Path;
use std::sync::atomic::AtomicBool;

use super::generate::{generate, ChatMessage, Event, GenerateRequest, SamplingParams};
use super::loaded::LoadedModel;
use super::{EngineError, Result};

/// Generates a reply to `messages` with the model at `path`, streaming it to stdout.
pub fn generate_to_stdout(
    path: &Path,
    messages: Vec<ChatMessage>,
    max_tokens: usize,
    sampling: SamplingParams,
) -> Result<()> {
    let t = std::time::Instant::now();
    let mut lm = LoadedModel::load(path)?;
    eprintln!(
        "loaded {} ({}, context {}) in {:.2} s",
        lm.info.name,
        lm.info.architecture,
        lm.info.context_length,
        t.elapsed().as_secs_f64()
    );
    let mut req = GenerateRequest::new(messages);
    req.max_tokens = max_tokens;
    req.sampling = sampling;
    let mut out = std::io::stdout().lock();
    let mut failed: Option<std::io::Error> = None;
    let mut sink = |ev: Event| match ev {
        Event::Delta(text) => match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
            Ok(()) => true,
            Err(e) => {
                failed = Some(e);
                false
            }
        },
        Event::Done {
            finish_reason,
            timings,
        } => {
            let _ = writeln!(out);
            eprintln!(
                "finish: {finish_reason:?}; prompt {} tokens, prefill {:.0} ms ({:.1} tok/s), TTFT {:.0} ms, \
                 {} tokens at {:.1} tok/s",
                timings.prompt_tokens,
                timings.prefill_ms,
                timings.prefill_tokens_per_s,
                timings.ttft_ms,
                timings.completion_tokens,
                timings.decode_tokens_per_s
            );
            true
        }
        _ => true,
    };
    generate(&mut lm, req, &AtomicBool::new(false), &mut sink)?;
    match failed {
        Some(source) => Err(EngineError::Io {
            path: "<stdout>".into(),
            source,
        }),
        None => Ok(()),
    }
}
