//! The model tools: `factcheck generate` (one chat completion streamed to stdout, the timing
//! figures on stderr), `factcheck bench` (speed and memory of a GGUF model, [`crate::devtools::bench`]) and
//! `factcheck dev random-model` (a GGUF file with random weights, [`crate::devtools::random`]).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

use super::CommandError;
use crate::devtools::{bench, random, teacher_forced};
use crate::engine::generate::{generate, ChatMessage, Event, GenerateRequest, SamplingParams};
use crate::engine::{EngineError, LoadedModel};

/// Options of `generate`.
#[derive(clap::Args, Debug)]
pub struct GenerateArgs {
    /// The GGUF model file.
    #[arg(long, env = "FACTCHECK_MODEL")]
    pub model: PathBuf,
    /// Most tokens to generate.
    #[arg(long, env = "FACTCHECK_MAX_TOKENS", default_value_t = 256)]
    pub max_tokens: usize,
    /// Sampling temperature (0: greedy).
    #[arg(long, env = "FACTCHECK_TEMPERATURE", default_value_t = 0.0)]
    pub temperature: f64,
    /// Nucleus sampling threshold.
    #[arg(long, env = "FACTCHECK_TOP_P")]
    pub top_p: Option<f64>,
    /// Keep only the k most likely tokens.
    #[arg(long, env = "FACTCHECK_SAMPLE_TOP_K")]
    pub top_k: Option<usize>,
    /// Sampler seed.
    #[arg(long, env = "FACTCHECK_SEED", default_value_t = 42)]
    pub seed: u64,
    /// Repeat penalty (1: off).
    #[arg(long, env = "FACTCHECK_REPEAT_PENALTY", default_value_t = 1.0)]
    pub repeat_penalty: f32,
    /// System message.
    #[arg(long, env = "FACTCHECK_SYSTEM")]
    pub system: Option<String>,
    /// The user message.
    pub prompt: String,
}

/// `factcheck generate`.
pub fn run_generate(a: GenerateArgs) -> Result<(), CommandError> {
    let mut messages = Vec::new();
    if let Some(system) = &a.system {
        messages.push(ChatMessage::new("system", system));
    }
    messages.push(ChatMessage::new("user", &a.prompt));
    let sampling = SamplingParams {
        temperature: a.temperature,
        top_p: a.top_p,
        top_k: a.top_k,
        seed: a.seed,
        repeat_penalty: a.repeat_penalty,
        ..SamplingParams::default()
    };
    generate_to_stdout(&a.model, messages, a.max_tokens, sampling)?;
    Ok(())
}

/// Generates a reply to `messages` with the model at `path`, streaming it to stdout.
pub fn generate_to_stdout(
    path: &Path,
    messages: Vec<ChatMessage>,
    max_tokens: usize,
    sampling: SamplingParams,
) -> Result<(), EngineError> {
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

/// Options of `bench`.
#[derive(clap::Args, Debug)]
pub struct BenchArgs {
    /// The GGUF model file.
    #[arg(long, env = "FACTCHECK_MODEL")]
    pub model: PathBuf,
    /// Tokens generated for the decode figure.
    #[arg(long, env = "FACTCHECK_BENCH_DECODE_TOKENS", default_value_t = 64)]
    pub decode_tokens: usize,
    /// Print JSON instead of text.
    #[arg(long, env = "FACTCHECK_JSON")]
    pub json: bool,
}

/// `factcheck bench`.
pub fn run_bench(args: BenchArgs) -> Result<(), CommandError> {
    let opts = bench::BenchOptions {
        decode_tokens: args.decode_tokens,
        ..Default::default()
    };
    let report = bench::run(&args.model, &opts)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        println!("{report}");
    }
    Ok(())
}

/// `factcheck dev`: developer tools.
#[derive(clap::Subcommand, Debug)]
pub enum DevCommand {
    /// Write a GGUF file with random weights and the shapes of a real model.
    RandomModel {
        /// Preset: tiny-qwen2, tiny-qwen3, tiny-llama, tiny-gemma3, qwen3-0.6b, qwen2.5-1.5b, qwen2.5-0.5b.
        #[arg(long, env = "FACTCHECK_PRESET")]
        preset: String,
        /// Output file.
        #[arg(long, env = "FACTCHECK_OUT")]
        out: PathBuf,
        /// Seed of the random weights.
        #[arg(long, env = "FACTCHECK_SEED", default_value_t = 1)]
        seed: u64,
    },
    /// Run a token sequence through a model (teacher forcing) and print, as JSON lines, the top
    /// two predictions, their gap and the true next token's log-probability at every position.
    TeacherForced {
        /// GGUF model file.
        #[arg(long)]
        model: PathBuf,
        /// JSON file whose `ids` array holds the tokens (llama.cpp's `topk` references do).
        #[arg(long)]
        ids: PathBuf,
        /// Tokens per forward pass; 1 takes the one-token decoding path.
        #[arg(long, default_value_t = 512)]
        chunk: usize,
    },
}

/// `factcheck dev`.
pub fn run_dev(command: DevCommand) -> Result<(), CommandError> {
    match command {
        DevCommand::RandomModel { preset, out, seed } => {
            random::write_preset(&preset, &out, seed)?;
            let mut mix: Vec<_> = random::quant_mix(&out)?.into_iter().collect();
            mix.sort();
            eprintln!("wrote {} (tensor types: {mix:?})", out.display());
            Ok(())
        }
        DevCommand::TeacherForced { model, ids, chunk } => {
            let text =
                std::fs::read_to_string(&ids).map_err(|e| CommandError::Read(ids.clone(), e))?;
            let doc: serde_json::Value = serde_json::from_str(&text)?;
            let ids: Vec<u32> = doc["ids"]
                .as_array()
                .and_then(|a| a.iter().map(|v| v.as_u64().map(|t| t as u32)).collect())
                .ok_or_else(|| CommandError::NoIds(ids.clone()))?;
            let mut lm = LoadedModel::load(&model)?;
            let mut out = std::io::stdout().lock();
            for p in teacher_forced::predictions(&mut lm, &ids, chunk)? {
                writeln!(out, "{}", serde_json::to_string(&p)?)?;
            }
            Ok(())
        }
    }
}
