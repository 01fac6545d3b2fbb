//! The `factcheck` binary: parses arguments and dispatches to the library.

use std::path::PathBuf;

use anyhow::Result;
use clap::{Args, Parser, Subcommand};

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
    /// Download a GGUF model from the Hugging Face hub into the models folder.
    Pull(PullArgs),
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
    let cli = Cli::parse();
    match cli.command {
        Command::Serve { .. } | Command::Search { .. } | Command::Eval { .. } => {
            anyhow::bail!("not implemented yet")
        }
        Command::Pull(args) => pull(args),
    }
}

fn pull(args: PullArgs) -> Result<()> {
    let PullArgs {
        target,
        models_dir,
        revision,
        sha256,
        list,
        endpoint,
        token,
    } = args;
    use factcheck::engine::pull::{self, PullOptions, Verification};
    if list {
        for p in pull::PRESETS {
            let default = if p.name == pull::DEFAULT_PRESET {
                " (default)"
            } else {
                ""
            };
            println!(
                "{:<14} {}{default}\n{:<14} {} / {}",
                p.name, p.description, "", p.repo, p.file
            );
        }
        return Ok(());
    }
    let mut request = pull::resolve(&target, &revision)?;
    if sha256.is_some() {
        request.sha256 = sha256.map(|s| s.to_ascii_lowercase());
    }
    let options = PullOptions {
        endpoint,
        token,
        ..PullOptions::new(models_dir)
    };
    let outcome = pull::pull(&request, &options)?;
    if outcome.already_present {
        println!("{} is already present and valid", outcome.path.display());
    } else {
        match &outcome.verification {
            Some(Verification::Verified { sha256, source }) => {
                println!("sha256 {sha256} verified ({source})")
            }
            Some(Verification::Unverified { sha256, reason }) => {
                println!("sha256 {sha256} could NOT be verified: {reason}")
            }
            None => {}
        }
        println!("saved {} ({} bytes)", outcome.path.display(), outcome.bytes);
    }
    let s = &outcome.summary;
    println!(
        "model: {} with {} layers, {} tensors, context {}",
        s.architecture,
        s.block_count.unwrap_or(0),
        s.tensor_count,
        s.context_length
            .map_or("unknown".to_string(), |c| c.to_string())
    );
    Ok(())
}
