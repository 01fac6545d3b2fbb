//! The HTTP server: application state, the router, and serving on a listener until shutdown.
//!
//! [`router`] builds the whole app from its state without binding anything, so tests call it
//! directly (`tower::ServiceExt::oneshot`) or serve it on port 0; [`serve`] runs it on a listener
//! the caller bound, with graceful shutdown when the given future completes.

mod answers;
mod error;
mod routes;

use std::future::Future;
use std::sync::Arc;

use axum::extract::{DefaultBodyLimit, FromRequest, Request};
use axum::routing::{get, post};
use axum::Router;
use bytes::Bytes;
use serde::de::DeserializeOwned;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::trace::TraceLayer;

pub use error::{ApiError, RETRY_AFTER_SECS};

use crate::answer::{Answerer, Prompts};
use crate::engine::EngineHandle;
use crate::index::Retriever;

/// Largest request body accepted, in bytes.
pub const BODY_LIMIT: usize = 64 * 1024;
/// Longest query or claim accepted, in characters.
pub const MAX_QUERY_CHARS: usize = 4000;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    /// The corpus, its passages and their index; read-only after start-up.
    pub retriever: Arc<Retriever>,
    /// The answer pipeline (shares the retriever; holds the model engine and the prompts).
    pub answerer: Arc<Answerer>,
}

impl AppState {
    /// State without a model (evidence mode) and with the built-in prompts.
    pub fn new(retriever: Retriever) -> AppState {
        let retriever = Arc::new(retriever);
        let answerer = Answerer::new(retriever.clone(), EngineHandle::none(), Prompts::builtin());
        AppState {
            retriever,
            answerer: Arc::new(answerer),
        }
    }

    /// State around a configured answer pipeline.
    pub fn with_answerer(answerer: Arc<Answerer>) -> AppState {
        AppState {
            retriever: answerer.retriever().clone(),
            answerer,
        }
    }
}

/// The application: every route, the JSON error shape, body limits and request tracing.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/health", get(routes::health))
        .route("/v1/sources", get(routes::list_sources))
        .route("/v1/sources/{file}", get(routes::read_source))
        .route("/v1/search", post(routes::search))
        .route("/v1/ask", post(answers::ask))
        .route("/v1/check", post(answers::check))
        .fallback(routes::not_found)
        .layer(axum::middleware::from_fn(error::json_errors))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(RequestBodyLimitLayer::new(BODY_LIMIT))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
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
