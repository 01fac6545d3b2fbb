//! The `factcheck` binary: parses arguments and dispatches to the library.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, Result};
use clap::{Args, Parser, Subcommand};
use factcheck::answer::{Answerer, Prompts};
use factcheck::corpus::Corpus;
use factcheck::engine::{EngineConfig, EngineHandle};
use factcheck::index::{corpus_glossary, Pipeline, Retriever, GLOSSARY_FILE};
use factcheck::{cli, server};

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
    /// Folder holding the prompt templates (answer.jinja, check.jinja).
    #[arg(
        long,
        global = true,
        env = "FACTCHECK_PROMPTS",
        default_value = "prompts"
    )]
    prompts: PathBuf,
    /// The retrieval pipeline: `default`, `plain` (Hangul-bigram BM25 alone) or `layer` (every
    /// part on), each optionally followed by `+part` / `-part` (`default-thesaurus`). Parts:
    /// particles, stopwords, word_weights, thesaurus, focus, coverage, priors, near_repeats.
    #[arg(long, global = true, env = "FACTCHECK_RETRIEVAL", default_value = "default", value_parser = Pipeline::parse)]
    retrieval: Pipeline,
    /// A glossary (query expansion lines, data/thesaurus.txt's format) read on top of the
    /// built-in one; default: the corpus folder's glossary.thesaurus if it has one; `none`: no
    /// glossary of the corpus.
    #[arg(long, global = true, env = "FACTCHECK_GLOSSARY")]
    glossary: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Start the HTTP server (API and chat page).
    Serve(ServeArgs),
    /// Answer a question from the corpus, with verified citations.
    Ask {
        /// The question.
        question: String,
        #[command(flatten)]
        opts: AnswerArgs,
    },
    /// Check a claim against the corpus: verdict, numeric signals, citations.
    Check {
        /// The claim.
        claim: String,
        #[command(flatten)]
        opts: AnswerArgs,
    },
    /// Search the corpus and print the best passages.
    Search {
        /// The query text.
        query: String,
        /// Number of passages to return (1..=50).
        #[arg(long, env = "FACTCHECK_TOP_K", default_value_t = factcheck::index::DEFAULT_TOP_K)]
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
        /// Also run ask/check over the set and score the answers and their citations.
        #[arg(long, env = "FACTCHECK_EVAL_ANSWERS")]
        answers: bool,
        /// A GGUF model for --answers (without one: evidence mode).
        #[arg(long, env = "FACTCHECK_MODEL")]
        model: Option<PathBuf>,
    },
    /// Answer many questions and claims from a JSONL or CSV file (resumable, in input order).
    Batch(BatchArgs),
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

#[derive(Args)]
struct ServeArgs {
    /// Address to bind (loopback by default).
    #[arg(long, env = "FACTCHECK_ADDR", default_value = "127.0.0.1:8080")]
    addr: String,
    /// A GGUF model, loaded in the background (retrieval and evidence mode serve at once).
    #[arg(long, env = "FACTCHECK_MODEL")]
    model: Option<PathBuf>,
    /// Require `Authorization: Bearer <key>` on every route but /health and the page.
    #[arg(long, env = "FACTCHECK_API_KEY", hide_env_values = true)]
    api_key: Option<String>,
    /// Extra host names accepted in the Host header (loopback names and the bound address
    /// always are). Comma-separated in the environment variable.
    #[arg(
        long = "allowed-host",
        env = "FACTCHECK_ALLOWED_HOSTS",
        value_delimiter = ','
    )]
    allowed_hosts: Vec<String>,
    /// Browser origins allowed to call the API (CORS); none by default.
    #[arg(
        long = "cors-origin",
        env = "FACTCHECK_CORS_ORIGINS",
        value_delimiter = ','
    )]
    cors_origins: Vec<String>,
    /// Seconds a response may take to start before the request fails with 504.
    #[arg(long, env = "FACTCHECK_REQUEST_TIMEOUT", default_value_t = 120)]
    request_timeout: u64,
    /// Write the bound address (e.g. `127.0.0.1:41234`) to this file once listening; useful
    /// with `--addr 127.0.0.1:0`.
    #[arg(long, env = "FACTCHECK_PORT_FILE")]
    port_file: Option<PathBuf>,
}

#[derive(Args)]
struct BatchArgs {
    /// JSONL (or CSV with a header) of {"id", "question"} / {"id", "claim"} rows; `-` = stdin.
    input: PathBuf,
    /// Output JSONL; re-running with the same file resumes; `-` = stdout.
    #[arg(short, long, env = "FACTCHECK_BATCH_OUTPUT")]
    output: PathBuf,
    /// Input format (default: csv for a .csv file, jsonl otherwise).
    #[arg(long, env = "FACTCHECK_BATCH_FORMAT", value_parser = ["jsonl", "csv"])]
    format: Option<String>,
    /// Gold file (the eval format, matched by id): prints the figures.
    #[arg(long, env = "FACTCHECK_BATCH_GOLD")]
    gold: Option<PathBuf>,
    /// Write the figures as JSON here.
    #[arg(long, env = "FACTCHECK_BATCH_REPORT")]
    report: Option<PathBuf>,
    /// Write a self-contained HTML report here.
    #[arg(long, env = "FACTCHECK_BATCH_HTML")]
    html: Option<PathBuf>,
    /// Rows in flight at once (model work still runs one at a time on its thread).
    #[arg(long, env = "FACTCHECK_BATCH_CONCURRENCY", default_value_t = 4)]
    concurrency: usize,
    /// A GGUF model (without one: evidence mode).
    #[arg(long, env = "FACTCHECK_MODEL")]
    model: Option<PathBuf>,
    /// Pause before each row, in milliseconds (demos, interruption tests).
    #[arg(long, env = "FACTCHECK_BATCH_DELAY_MS", default_value_t = 0)]
    delay_ms: u64,
}

#[derive(clap::Args)]
struct AnswerArgs {
    /// Passages to retrieve (1..=50).
    #[arg(long, env = "FACTCHECK_TOP_K", default_value_t = factcheck::index::DEFAULT_TOP_K)]
    top_k: usize,
    /// A GGUF model (without one: evidence mode).
    #[arg(long, env = "FACTCHECK_MODEL")]
    model: Option<PathBuf>,
    /// Print the API's JSON instead of text.
    #[arg(long, env = "FACTCHECK_JSON")]
    json: bool,
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
    if let Some(n) = cli.threads.filter(|&n| n > 0) {
        factcheck::engine::set_threads(n);
    }
    let retrieval = Retrieval {
        pipeline: cli.retrieval,
        glossary: cli.glossary.clone(),
    };
    match cli.command {
        Command::Serve(args) => serve(&cli.seeds, &cli.prompts, &retrieval, args),
        Command::Ask { question, opts } => {
            let a = answerer(&cli.seeds, &cli.prompts, &retrieval, opts.model, true)?;
            let request = factcheck::answer::Request::question(question);
            print!("{}", cli::answer_output(&a, &request, opts.top_k, opts.json)?);
            Ok(())
        }
        Command::Check { claim, opts } => {
            let a = answerer(&cli.seeds, &cli.prompts, &retrieval, opts.model, true)?;
            let request = factcheck::answer::Request::claim(claim);
            print!("{}", cli::answer_output(&a, &request, opts.top_k, opts.json)?);
            Ok(())
        }
        Command::Search { query, top_k, json } => {
            let r = load(&cli.seeds, &retrieval)?;
            print!("{}", cli::search_output(&r, &query, top_k, json)?);
            Ok(())
        }
        Command::Eval {
            set,
            verbose,
            json,
            answers,
            model,
        } => {
            if answers {
                let a = answerer(&cli.seeds, &cli.prompts, &retrieval, model, true)?;
                if !json {
                    print!("{}", cli::eval_output(a.retriever(), &set, verbose, false)?);
                    println!();
                }
                print!("{}", cli::answers_eval_output(&a, &set, verbose, json)?);
            } else {
                let r = load(&cli.seeds, &retrieval)?;
                print!("{}", cli::eval_output(&r, &set, verbose, json)?);
            }
            Ok(())
        }
        Command::Batch(args) => batch(&cli.seeds, &cli.prompts, &retrieval, args),
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
            let mut mix: Vec<_> = factcheck::engine::random::quant_mix(&out)?
                .into_iter()
                .collect();
            mix.sort();
            eprintln!("wrote {} (tensor types: {mix:?})", out.display());
            Ok(())
        }
    }
}

fn batch(seeds: &Path, prompt_dir: &Path, retrieval: &Retrieval, args: BatchArgs) -> Result<()> {
    use factcheck::batch::command::{self, BatchJob};
    use factcheck::batch::input::Format;
    use factcheck::batch::pipeline::PipelineProcessor;
    use factcheck::batch::{BatchOptions, Progress};
    let format = match args.format.as_deref() {
        Some("csv") => Format::Csv,
        Some(_) => Format::Jsonl,
        None => Format::from_path(&args.input),
    };
    let job = BatchJob {
        input: args.input,
        format,
        output: args.output,
        gold: args.gold,
        report: args.report,
        html: args.html,
        options: BatchOptions {
            concurrency: args.concurrency.max(1),
            delay: std::time::Duration::from_millis(args.delay_ms),
            progress: Progress::auto(),
        },
    };
    let answerer = Arc::new(answerer(
        seeds,
        prompt_dir,
        retrieval,
        args.model.clone(),
        true,
    )?);
    let processor = PipelineProcessor::new(answerer.clone(), args.model.as_deref())
        .context("cannot hash the model file")?;
    let corpus = answerer.retriever().corpus().clone();
    let rt = tokio::runtime::Runtime::new()?;
    let outcome = rt.block_on(command::execute(
        &job,
        &processor,
        &corpus,
        cli::shutdown_signal(),
    ))?;
    if let Some(scores) = &outcome.scores {
        eprint!("{}", factcheck::eval::text::batch_text(scores));
    }
    eprintln!("{}", command::summary_text(&outcome.summary));
    if outcome.summary.interrupted {
        std::process::exit(130);
    }
    if outcome.summary.errors > 0 {
        anyhow::bail!(
            "{} rows failed; see their `error` in the output",
            outcome.summary.errors
        );
    }
    Ok(())
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

/// How to retrieve: the ranking pipeline and the glossary choice (`--retrieval`, `--glossary`).
struct Retrieval {
    pipeline: Pipeline,
    glossary: Option<PathBuf>,
}

fn load(seeds: &Path, retrieval: &Retrieval) -> Result<Retriever> {
    let corpus = Corpus::load(seeds)?;
    if corpus.files.is_empty() {
        anyhow::bail!(
            "no usable *.txt files in the corpus folder {}",
            seeds.display()
        );
    }
    let glossary = match &retrieval.glossary {
        Some(path) if path.as_os_str() == "none" => None,
        Some(path) => Some(
            std::fs::read_to_string(path)
                .with_context(|| format!("cannot read the glossary {}", path.display()))?,
        ),
        None => corpus_glossary(seeds)
            .with_context(|| format!("cannot read {}", seeds.join(GLOSSARY_FILE).display()))?,
    };
    let retriever = Retriever::with_pipeline(corpus, retrieval.pipeline)?;
    Ok(match glossary {
        Some(text) => retriever.with_glossary(&text),
        None => retriever,
    })
}

/// Loads the prompt templates: from `dir`, or the built-in copies when the default folder is
/// absent (running outside the repository).
fn prompts(dir: &Path) -> Result<Prompts> {
    if dir == Path::new("prompts") && !dir.exists() {
        tracing::info!("no prompts/ folder here; using the built-in prompt templates");
        return Ok(Prompts::builtin());
    }
    Ok(Prompts::load(dir)?)
}

/// The answer pipeline over the corpus, with the model at `model` if given. With `wait`, loading
/// finishes first and a failure is an error.
fn answerer(
    seeds: &Path,
    prompt_dir: &Path,
    retrieval: &Retrieval,
    model: Option<PathBuf>,
    wait: bool,
) -> Result<Answerer> {
    let prompts = prompts(prompt_dir)?;
    let retriever = Arc::new(load(seeds, retrieval)?);
    let engine = match model {
        // The engine validates the file (gguf_check) before candle reads it; a bad file
        // becomes `failed (reason)`, which `wait` turns into an error naming the file.
        Some(path) => EngineHandle::start(path, EngineConfig::default())?,
        None => EngineHandle::none(),
    };
    if wait {
        engine.wait_loaded().map_err(anyhow::Error::msg)?;
    }
    Ok(Answerer::new(retriever, engine, prompts))
}

fn serve(seeds: &Path, prompt_dir: &Path, retrieval: &Retrieval, args: ServeArgs) -> Result<()> {
    let answerer = answerer(seeds, prompt_dir, retrieval, args.model, false)?;
    let rt = tokio::runtime::Runtime::new()?;
    rt.block_on(async {
        let listener = tokio::net::TcpListener::bind(&args.addr)
            .await
            .with_context(|| format!("cannot bind {}", args.addr))?;
        let bound = listener.local_addr()?;
        let options = server::ServerOptions {
            access: server::Access::new(
                args.api_key,
                Some(&bound.ip().to_string()),
                &args.allowed_hosts,
            ),
            cors_origins: args.cors_origins,
            request_timeout: std::time::Duration::from_secs(args.request_timeout.max(1)),
        };
        tracing::info!(addr = %bound, "serving");
        if let Some(path) = &args.port_file {
            server::write_addr_file(path, bound)
                .with_context(|| format!("cannot write {}", path.display()))?;
        }
        let state = server::AppState::with_answerer(Arc::new(answerer)).options(options);
        server::serve(listener, state, cli::shutdown_signal()).await?;
        Ok(())
    })
}
