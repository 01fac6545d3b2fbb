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
    Serve(ServeArgs),
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
}

#[derive(Args)]
struct ServeArgs {
    /// Address to bind (loopback by default).
    #[arg(long, env = "FACTCHECK_ADDR", default_value = "127.0.0.1:8080")]
    addr: String,
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
        Command::Serve(args) => serve(&cli.seeds, args),
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

fn serve(seeds: &Path, args: ServeArgs) -> Result<()> {
    let retriever = load(seeds)?;
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
        let state = server::AppState::with_options(retriever, options);
        server::serve(listener, state, cli::shutdown_signal()).await?;
        Ok(())
    })
}
