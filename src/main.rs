//! The `factcheck` binary: parses the command line and dispatches to [`factcheck::commands`],
//! where each subcommand's wiring and output live. Errors are printed once, with their causes.

use anyhow::Result;
use clap::{Parser, Subcommand};
use factcheck::answer::Request;
use factcheck::commands::answer::AnswerArgs;
use factcheck::commands::batch::BatchArgs;
use factcheck::commands::eval::EvalArgs;
use factcheck::commands::model::{BenchArgs, DevCommand, GenerateArgs};
use factcheck::commands::pull::PullArgs;
use factcheck::commands::search::SearchArgs;
use factcheck::commands::serve::ServeArgs;
use factcheck::commands::{self, CorpusArgs};

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
    #[command(flatten)]
    corpus: CorpusArgs,
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
    /// Check a claim against the corpus: verdict, signals (figures and terms), citations.
    Check {
        /// The claim.
        claim: String,
        #[command(flatten)]
        opts: AnswerArgs,
    },
    /// Search the corpus and print the best passages.
    Search(SearchArgs),
    /// Score retrieval against an evaluation file (JSONL, the shared/eval format).
    Eval(EvalArgs),
    /// Answer many questions and claims from a JSONL or CSV file (resumable, in input order).
    Batch(BatchArgs),
    /// Download a GGUF model from the Hugging Face hub into the models folder.
    Pull(PullArgs),
    /// Generate a chat completion with a local GGUF model, streamed to stdout.
    Generate(GenerateArgs),
    /// Measure a GGUF model's prefill/decode speed, time to first token and peak memory.
    Bench(BenchArgs),
    /// Developer tools.
    Dev {
        #[command(subcommand)]
        command: DevCommand,
    },
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
    let corpus = &cli.corpus;
    match cli.command {
        Command::Serve(args) => commands::serve::run(corpus, args)?,
        Command::Ask { question, opts } => {
            commands::answer::run(corpus, Request::question(question), opts)?
        }
        Command::Check { claim, opts } => {
            commands::answer::run(corpus, Request::claim(claim), opts)?
        }
        Command::Search(args) => commands::search::run(corpus, args)?,
        Command::Eval(args) => commands::eval::run(corpus, args)?,
        Command::Batch(args) => commands::batch::run(corpus, args)?,
        Command::Pull(args) => commands::pull::run(args)?,
        Command::Generate(args) => commands::model::run_generate(args)?,
        Command::Bench(args) => commands::model::run_bench(args)?,
        Command::Dev { command } => commands::model::run_dev(command)?,
    }
    Ok(())
}
