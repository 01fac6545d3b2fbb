//! `factcheck serve`: binds the address, starts the model loading in the background and serves
//! the API and the chat page until Ctrl-C or SIGTERM.

use std::path::PathBuf;
use std::sync::Arc;

use super::{model_name, CommandError, CorpusArgs};
use crate::retrieval::likelihood::QueryLikelihood;
use crate::retrieval::rerank::Reranker;
use crate::server;

/// Options of `serve`.
#[derive(clap::Args, Debug)]
pub struct ServeArgs {
    /// Address to bind (loopback by default).
    #[arg(long, env = "FACTCHECK_ADDR", default_value = "127.0.0.1:8080")]
    pub addr: String,
    /// A GGUF model, loaded in the background (retrieval and evidence mode serve at once).
    #[arg(long, env = "FACTCHECK_MODEL")]
    pub model: Option<PathBuf>,
    /// Require `Authorization: Bearer <key>` on every route but /health and the page.
    #[arg(long, env = "FACTCHECK_API_KEY", hide_env_values = true)]
    pub api_key: Option<String>,
    /// Extra host names accepted in the Host header (loopback names and the bound address
    /// always are). Comma-separated in the environment variable.
    #[arg(
        long = "allowed-host",
        env = "FACTCHECK_ALLOWED_HOSTS",
        value_delimiter = ','
    )]
    pub allowed_hosts: Vec<String>,
    /// Browser origins allowed to call the API (CORS); none by default.
    #[arg(
        long = "cors-origin",
        env = "FACTCHECK_CORS_ORIGINS",
        value_delimiter = ','
    )]
    pub cors_origins: Vec<String>,
    /// Seconds a response may take to start before the request fails with 504.
    #[arg(long, env = "FACTCHECK_REQUEST_TIMEOUT", default_value_t = 120)]
    pub request_timeout: u64,
    /// Write the bound address (e.g. `127.0.0.1:41234`) to this file once listening; useful
    /// with `--addr 127.0.0.1:0`.
    #[arg(long, env = "FACTCHECK_PORT_FILE")]
    pub port_file: Option<PathBuf>,
}

/// `factcheck serve`.
pub fn run(corpus: &CorpusArgs, args: ServeArgs) -> Result<(), CommandError> {
    let reranker = args.model.as_deref().map(model_name);
    let has_model = args.model.is_some();
    let answerer = corpus.answerer(args.model, false)?;
    // With a model, `"rerank": true` searches are re-ordered by it (query likelihood).
    let reranker = reranker.map(|name| {
        Arc::new(QueryLikelihood::new(answerer.engine().clone(), &name)) as Arc<dyn Reranker>
    });
    let rt = tokio::runtime::Runtime::new()?;
    rt.block_on(async {
        let listener = tokio::net::TcpListener::bind(&args.addr)
            .await
            .map_err(|e| CommandError::Bind(args.addr.clone(), e))?;
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
                .map_err(|e| CommandError::Write(path.clone(), e))?;
        }
        let answerer = Arc::new(answerer);
        if has_model {
            // Once loaded, the model prefills the question prompt's fixed part, so the first
            // question does not wait for it.
            let primer = Arc::clone(&answerer);
            tokio::spawn(async move {
                let engine = primer.engine().clone();
                let loaded = tokio::task::spawn_blocking(move || engine.wait_loaded()).await;
                if matches!(loaded, Ok(Ok(()))) {
                    primer.prime().await;
                }
            });
        }
        let mut state = server::AppState::with_answerer(answerer).options(options);
        if let Some(r) = reranker {
            state = state.with_reranker(r);
        }
        server::serve(listener, state, server::shutdown_signal()).await?;
        Ok(())
    })
}
