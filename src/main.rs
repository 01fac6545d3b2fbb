//! The `factcheck` binary: parses arguments and dispatches to the library.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use clap::{Args, Parser, Subcommand};
use factcheck::corpus::Corpus;
use factcheck::index::Retriever;
use factcheck::{cli, server};

#[derive(Parser)]
#[command(
    name = "factcheck",
    version,
    about = "Offline fact-check assistant with verified citations"
)]
struct Cli {
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
        /// Address to bind (loopback by default).
        #[arg(long, env = "FACTCHECK_ADDR", default_value = "127.0.0.1:8080")]
        addr: String,
    },
    /// Search the corpus and print the best passages.
    Search {
        /// The query text.
        query: String,
        /// Number of passages to return (1..=50).
        #[arg(long, env = "FACTCHECK_TOP_K", default_value_t = 5)]
        top_k: usize,
        /// Print JSON instead of text.
        #[arg(long, env = "FACTCHECK_JSON")]
        json: bool,
    },
    /// Score retrieval against an evaluation file (JSONL, the shared/eval format).
    Eval {
        /// The evaluation set.
        #[arg(long, env = "FACTCHECK_EVAL_SET")]
        set: PathBuf,
        /// Also list every item with its rank.
        #[arg(long, env = "FACTCHECK_VERBOSE")]
        verbose: bool,
        /// Print the report as JSON.
        #[arg(long, env = "FACTCHECK_JSON")]
        json: bool,
    },
    /// Download a GGUF model from the Hugging Face hub into the models folder.
    Pull(PullArgs),
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
    #[arg(long, env = "FACTCHECK_SAMPLE_TOP_K")]
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

#[derive(Args)]
struct PullArgs {
    /// A preset name (see --list; default qwen2.5-1.5b), or a repository and a file.
    #[arg(num_args = 0..=2, value_name = "PRESET | REPO FILE")]
    target: Vec<String>,
    /// Folder the model is saved in.
    #[arg(long, env = "FACTCHECK_MODELS_DIR", default_value = "models")]
    models_dir: PathBuf,
    /// Branch, tag or commit of the repository.
    #[arg(long, env = "FACTCHECK_REVISION", default_value = "main")]
    revision: String,
    /// Expected sha256 of the file (for REPO FILE downloads).
    #[arg(long, env = "FACTCHECK_SHA256")]
    sha256: Option<String>,
    /// Print the presets and exit.
    #[arg(long, env = "FACTCHECK_PULL_LIST")]
    list: bool,
    /// Hub address (a mirror can be used).
    #[arg(long, env = "HF_ENDPOINT", default_value = factcheck::engine::pull::DEFAULT_ENDPOINT)]
    endpoint: String,
    /// Access token for gated or private repositories.
    #[arg(long, env = "HF_TOKEN", hide_env_values = true)]
    token: Option<String>,
}

fn main() -> Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,tantivy=warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    match cli.command {
        Command::Serve { addr } => serve(&cli.seeds, &addr),
        Command::Search { query, top_k, json } => {
            let r = load(&cli.seeds)?;
            print!("{}", cli::search_output(&r, &query, top_k, json)?);
            Ok(())
        }
        Command::Eval { set, verbose, json } => {
            let r = load(&cli.seeds)?;
            print!("{}", cli::eval_output(&r, &set, verbose, json)?);
            Ok(())
        }
        Command::Pull(args) => pull(args),
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
            eprintln!("wrote {}", out.display());
            Ok(())
        }
    }
}

fn pull(args: PullArgs) -> Result<()> {
    use factcheck::engine::pull::{self, PullOptions};
    if args.list {
        print!("{}", cli::preset_list());
        return Ok(());
    }
    let mut request = pull::resolve(&args.target, &args.revision)?;
    if let Some(sha) = args.sha256 {
        request.sha256 = Some(sha.to_ascii_lowercase());
    }
    let options = PullOptions {
        endpoint: args.endpoint,
        token: args.token,
        ..PullOptions::new(args.models_dir)
    };
    print!("{}", cli::pull_report(&pull::pull(&request, &options)?));
    Ok(())
}

fn load(seeds: &Path) -> Result<Retriever> {
    let corpus = Corpus::load(seeds)?;
    if corpus.files.is_empty() {
        anyhow::bail!(
            "no usable *.txt files in the corpus folder {}",
            seeds.display()
        );
    }
    Ok(Retriever::new(corpus)?)
}

fn serve(seeds: &Path, addr: &str) -> Result<()> {
    let retriever = load(seeds)?;
    let rt = tokio::runtime::Runtime::new()?;
    rt.block_on(async {
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .with_context(|| format!("cannot bind {addr}"))?;
        tracing::info!(addr = %listener.local_addr()?, "serving");
        server::serve(
            listener,
            server::AppState::new(retriever),
            cli::shutdown_signal(),
        )
        .await?;
        Ok(())
    })
}
