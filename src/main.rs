//! The `factcheck` binary: parses arguments and dispatches to the library.

use std::path::PathBuf;

use anyhow::Result;
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "factcheck",
    version,
    about = "Offline fact-check assistant with verified citations"
)]
struct Cli {
    /// Compute threads for the model. Unset or 0: candle's own pool, one thread per core
    /// (fastest on an otherwise idle machine). N: candle single-threaded and weight matrices
    /// split across N rayon threads, which degrades gracefully when other processes compete
    /// for the cores (see BENCHMARKS.md); 1 is the steadiest on a busy 2-core machine.
    #[arg(long, global = true, env = "FACTCHECK_THREADS")]
    threads: Option<usize>,
    /// Folder holding the corpus (*.txt files).
    #[arg(long, global = true, env = "FACTCHECK_SEEDS", default_value = "seeds")]
    seeds: PathBuf,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Start the HTTP server (API and chat page).
    Serve {
        /// Address to bind.
        #[arg(long, env = "FACTCHECK_ADDR", default_value = "127.0.0.1:8080")]
        addr: String,
    },
    /// Search the corpus and print the best passages.
    Search {
        /// The query text.
        query: String,
        /// Number of passages to return.
        #[arg(long, env = "FACTCHECK_TOP_K", default_value_t = 5)]
        top_k: usize,
        /// Print JSON instead of text.
        #[arg(long, env = "FACTCHECK_JSON")]
        json: bool,
    },
    /// Score retrieval against an evaluation file (JSONL).
    Eval {
        /// The evaluation set.
        #[arg(long, env = "FACTCHECK_EVAL_SET")]
        set: PathBuf,
    },
    /// Generate a chat completion with a local GGUF model, streamed to stdout.
    Generate(GenerateArgs),
    /// Measure a GGUF model's prefill/decode speed, time to first token and peak memory.
    Bench {
        /// The GGUF model file.
        #[arg(long, env = "FACTCHECK_MODEL")]
        model: PathBuf,
        /// Tokens generated for the decode figure.
        #[arg(long, env = "FACTCHECK_BENCH_DECODE_TOKENS", default_value_t = 64)]
        decode_tokens: usize,
        /// Print JSON instead of text.
        #[arg(long, env = "FACTCHECK_JSON")]
        json: bool,
    },
    /// Developer tools.
    Dev {
        #[command(subcommand)]
        command: DevCommand,
    },
}

#[derive(clap::Args)]
struct GenerateArgs {
    /// The GGUF model file.
    #[arg(long, env = "FACTCHECK_MODEL")]
    model: PathBuf,
    /// Most tokens to generate.
    #[arg(long, env = "FACTCHECK_MAX_TOKENS", default_value_t = 256)]
    max_tokens: usize,
    /// Sampling temperature (0: greedy).
    #[arg(long, env = "FACTCHECK_TEMPERATURE", default_value_t = 0.0)]
    temperature: f64,
    /// Nucleus sampling threshold.
    #[arg(long, env = "FACTCHECK_TOP_P")]
    top_p: Option<f64>,
    /// Keep only the k most likely tokens.
    #[arg(long, env = "FACTCHECK_TOP_K")]
    top_k: Option<usize>,
    /// Sampler seed.
    #[arg(long, env = "FACTCHECK_SEED", default_value_t = 42)]
    seed: u64,
    /// Repeat penalty (1: off).
    #[arg(long, env = "FACTCHECK_REPEAT_PENALTY", default_value_t = 1.0)]
    repeat_penalty: f32,
    /// System message.
    #[arg(long, env = "FACTCHECK_SYSTEM")]
    system: Option<String>,
    /// The user message.
    prompt: String,
}

#[derive(Subcommand)]
enum DevCommand {
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
}

fn run_generate(a: GenerateArgs) -> Result<()> {
    use factcheck::engine::{cli, ChatMessage, SamplingParams};
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
    cli::generate_to_stdout(&a.model, messages, a.max_tokens, sampling)?;
    Ok(())
}

fn main() -> Result<()> {
    let cli = Cli::parse();
    if let Some(n) = cli.threads.filter(|&n| n > 0) {
        factcheck::engine::set_threads(n);
    }
    match cli.command {
        Command::Serve { .. } | Command::Search { .. } | Command::Eval { .. } => {
            anyhow::bail!("not implemented yet")
        }
        Command::Generate(args) => run_generate(args),
        Command::Bench {
            model,
            decode_tokens,
            json,
        } => {
            let opts = factcheck::engine::bench::BenchOptions {
                decode_tokens,
                ..Default::default()
            };
            let report = factcheck::engine::bench::run(&model, &opts)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                println!("{report}");
            }
            Ok(())
        }
        Command::Dev {
            command: DevCommand::RandomModel { preset, out, seed },
        } => {
            factcheck::engine::random::write_preset(&preset, &out, seed)?;
            let mut mix: Vec<_> = factcheck::engine::random::quant_mix(&out)?
                .into_iter()
                .collect();
            mix.sort();
            eprintln!("wrote {} (tensor types: {mix:?})", out.display());
            Ok(())
        }
    }
}
