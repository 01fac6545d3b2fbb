//! The `factcheck` binary: parses arguments and dispatches to the library.

use std::path::PathBuf;

use anyhow::Result;
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "factcheck", version, about = "Offline fact-check assistant with verified citations")]
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
}

fn main() -> Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Serve { .. } | Command::Search { .. } | Command::Eval { .. } => {
            anyhow::bail!("not implemented yet")
        }
    }
}
