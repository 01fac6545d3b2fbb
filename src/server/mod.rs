//! The HTTP server: application state, the router, and serving on a listener until shutdown.
//!
//! [`router`] builds the whole app from its state without binding anything, so tests call it
//! directly (`tower::ServiceExt::oneshot`) or serve it on port 0; [`serve`] runs it on a listener
//! the caller bound, with graceful shutdown when the given future completes ([`shutdown_signal`]:
//! Ctrl-C or SIGTERM).

mod answers;
mod error;
pub mod guard;
pub mod metrics;
mod openai;
mod page;
mod routes;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{DefaultBodyLimit, FromRequest, Request};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::{from_fn, from_fn_with_state};
use axum::routing::{get, post};
use axum::Router;
use bytes::Bytes;
use serde::de::DeserializeOwned;
use tower_http::cors::CorsLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

pub use error::{ApiError, RETRY_AFTER_SECS};
pub use guard::Access;

use crate::answer::{Answerer, Prompts};
use crate::engine::EngineHandle;
use crate::retrieval::index::Retriever;
use crate::retrieval::rerank::Reranker;

/// Largest request body accepted, in bytes.
pub const BODY_LIMIT: usize = 64 * 1024;
pub use crate::answer::MAX_QUERY_CHARS;

/// Default per-request deadline (until the response headers; streams keep their own).
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(120);

/// Operator settings of the server, fixed at start-up.
#[derive(Debug, Clone)]
pub struct ServerOptions {
    /// API key and Host allowlist.
    pub access: Access,
    /// Origins that may call the API from a browser; empty = no CORS headers at all.
    pub cors_origins: Vec<String>,
    /// Deadline for a response to start.
    pub request_timeout: Duration,
}

impl Default for ServerOptions {
    fn default() -> Self {
        ServerOptions {
            access: Access::new(None, None, &[]),
            cors_origins: Vec::new(),
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
        }
    }
}

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    /// The corpus, its passages and their index; read-only after start-up.
    pub retriever: Arc<Retriever>,
    /// The answer pipeline (shares the retriever; holds the model engine and the prompts).
    pub answerer: Arc<Answerer>,
    /// Operator settings.
    pub options: Arc<ServerOptions>,
    /// The second retrieval stage for `"rerank": true`, when the server has one.
    pub reranker: Option<Arc<dyn Reranker>>,
}

impl AppState {
    /// State without a model (evidence mode), with the built-in prompts and default options
    /// (loopback names allowed, no key, no CORS).
    pub fn new(retriever: Retriever) -> AppState {
        AppState::with_options(retriever, ServerOptions::default())
    }

    /// Like [`AppState::new`] with explicit options.
    pub fn with_options(retriever: Retriever, options: ServerOptions) -> AppState {
        let retriever = Arc::new(retriever);
        let answerer = Answerer::new(retriever, EngineHandle::none(), Prompts::builtin());
        AppState::with_answerer(Arc::new(answerer)).options(options)
    }

    /// State around a configured answer pipeline, with default options.
    pub fn with_answerer(answerer: Arc<Answerer>) -> AppState {
        AppState {
            retriever: answerer.retriever().clone(),
            answerer,
            options: Arc::new(ServerOptions::default()),
            reranker: None,
        }
    }

    /// Serves `"rerank": true` searches with `reranker`.
    pub fn with_reranker(mut self, reranker: Arc<dyn Reranker>) -> AppState {
        self.reranker = Some(reranker);
        self
    }

    /// Replaces the operator settings.
    pub fn options(mut self, options: ServerOptions) -> AppState {
        self.options = Arc::new(options);
        self
    }
}

/// The application: every route, then (inside out) JSON error shapes, body limits and the
/// deadline, metrics, access control, security headers, CORS and request tracing.
pub fn router(state: AppState) -> Router {
    let options = state.options.clone();
    let app = Router::new()
        .route("/", get(page::index))
        .route("/assets/{name}", get(page::asset))
        .route("/health", get(routes::health))
        .route("/metrics", get(metrics::render))
        .route("/v1/sources", get(routes::list_sources))
        .route("/v1/sources/{file}", get(routes::read_source))
        .route("/v1/search", post(routes::search))
        .route("/v1/ask", post(answers::ask))
        .route("/v1/check", post(answers::check))
        .route("/v1/models", get(openai::models))
        .route("/v1/chat/completions", post(openai::chat_completions))
        .fallback(routes::not_found)
        .with_state(state)
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(RequestBodyLimitLayer::new(BODY_LIMIT))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::GATEWAY_TIMEOUT,
            options.request_timeout,
        ))
        .layer(from_fn(error::json_errors))
        .layer(from_fn(metrics::track))
        .layer(from_fn_with_state(
            Arc::new(options.access.clone()),
            guard::check_access,
        ))
        .layer(from_fn(guard::security_headers));
    let app = match cors(&options.cors_origins) {
        Some(layer) => app.layer(layer),
        None => app,
    };
    metrics::handle();
    app.layer(TraceLayer::new_for_http())
}

/// CORS for the named origins only; none named, no layer (and so no CORS headers).
fn cors(origins: &[String]) -> Option<CorsLayer> {
    let origins: Vec<HeaderValue> = origins
        .iter()
        .filter_map(|o| HeaderValue::from_str(o).ok())
        .collect();
    if origins.is_empty() {
        return None;
    }
    Some(
        CorsLayer::new()
            .allow_origin(origins)
            .allow_methods([Method::GET, Method::POST])
            .allow_headers([header::CONTENT_TYPE, header::AUTHORIZATION]),
    )
}

/// Serves the app on `listener` until `shutdown` completes, then lets requests in flight finish.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown)
        .await
}

/// Completes on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutting down");
}

/// Writes the bound address (`127.0.0.1:41234`, with a newline) to `path`, for scripts that
/// start the server on port 0. The file is written beside its final name and renamed into
/// place, so a reader polling for it never sees it half written.
pub fn write_addr_file(path: &std::path::Path, addr: std::net::SocketAddr) -> std::io::Result<()> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = std::path::PathBuf::from(tmp);
    std::fs::write(&tmp, format!("{addr}\n"))?;
    std::fs::rename(&tmp, path)
}

/// A JSON body: malformed JSON is a 400, a field of the wrong type or shape a 422 naming the
/// field, a body over [`BODY_LIMIT`] a 413. The content type is not required.
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let bytes = Bytes::from_request(req, state).await.map_err(|rej| {
            if rej.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::TooLarge(BODY_LIMIT)
            } else {
                ApiError::BadRequest(rej.body_text())
            }
        })?;
        parse_json(&bytes).map(ApiJson)
    }
}

/// Parses a JSON body with the error classes of [`ApiJson`].
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(de).map_err(|err| {
        let path = err.path().to_string();
        let inner = err.into_inner();
        match inner.classify() {
            serde_json::error::Category::Data if path != "." => {
                ApiError::Invalid(format!("field `{path}`: {inner}"))
            }
            serde_json::error::Category::Data => ApiError::Invalid(inner.to_string()),
            _ => ApiError::MalformedJson(inner.to_string()),
        }
    })
}
