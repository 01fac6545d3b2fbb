//! The handlers of the answer API: `POST /v1/ask` and `POST /v1/check`, as JSON or, with
//! `"stream": true`, as Server-Sent Events: `delta` (answer text), `citation` (a citation as soon
//! as it is verified), then `done` (the whole response object) or `error`.
//!
//! The pipeline runs in a task of its own; the SSE body reads from a channel. When the client
//! disconnects, the body (and its receiver) is dropped, the task sees its channel closed and
//! drops the pipeline future, which drops the engine's job stream and so cancels generation.

use std::convert::Infallible;
use std::sync::Arc;

use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use serde_json::json;
use tokio::sync::mpsc;

use super::routes::{default_top_k, validate_text, validate_top_k};
use super::{ApiError, ApiJson, AppState};
use crate::answer::{AnswerError, Answerer, Progress, Request};

/// Body of `POST /v1/ask`.
#[derive(Deserialize)]
pub struct AskRequest {
    question: String,
    #[serde(default = "default_top_k")]
    top_k: i64,
    #[serde(default)]
    stream: bool,
    /// Include what the model wrote (`debug`: its raw output, prompt tokens, notes).
    #[serde(default)]
    debug: bool,
}

/// Body of `POST /v1/check`.
#[derive(Deserialize)]
pub struct CheckRequest {
    claim: String,
    #[serde(default = "default_top_k")]
    top_k: i64,
    #[serde(default)]
    stream: bool,
    /// Include what the model wrote (`debug`: its raw output, prompt tokens, notes).
    #[serde(default)]
    debug: bool,
}

impl From<AnswerError> for ApiError {
    fn from(e: AnswerError) -> Self {
        match e {
            AnswerError::Busy => ApiError::Busy,
            other => ApiError::Internal(other.to_string()),
        }
    }
}

pub async fn ask(
    State(state): State<AppState>,
    ApiJson(req): ApiJson<AskRequest>,
) -> Result<Response, ApiError> {
    validate_text("question", &req.question)?;
    let top_k = validate_top_k(req.top_k)?;
    let how = How {
        top_k,
        stream: req.stream,
        debug: req.debug,
    };
    run(state.answerer, Request::question(req.question), how).await
}

pub async fn check(
    State(state): State<AppState>,
    ApiJson(req): ApiJson<CheckRequest>,
) -> Result<Response, ApiError> {
    validate_text("claim", &req.claim)?;
    let top_k = validate_top_k(req.top_k)?;
    let how = How {
        top_k,
        stream: req.stream,
        debug: req.debug,
    };
    run(state.answerer, Request::claim(req.claim), how).await
}

fn to_json<T: Serialize>(v: &T) -> serde_json::Value {
    serde_json::to_value(v).unwrap_or_else(|e| json!({"error": e.to_string()}))
}

/// The options of one answer request.
struct How {
    top_k: usize,
    stream: bool,
    debug: bool,
}

/// The response as JSON, with the model's debug view only when asked for.
fn response_json(r: crate::answer::Response, debug: bool) -> serde_json::Value {
    if debug {
        r.to_json()
    } else {
        r.without_debug().to_json()
    }
}

async fn run(a: Arc<Answerer>, request: Request, how: How) -> Result<Response, ApiError> {
    let How {
        top_k,
        stream,
        debug,
    } = how;
    if !stream {
        let value = response_json(a.run(&request, top_k, &mut |_| {}).await?, debug);
        return Ok(Json(value).into_response());
    }
    let (tx, rx) = mpsc::unbounded_channel::<Event>();
    tokio::spawn(async move {
        let progress_tx = tx.clone();
        let mut progress = move |p: Progress| {
            let ev = match p {
                Progress::Delta(d) => Event::default().event("delta").data(d),
                Progress::Citation(c) => Event::default()
                    .event("citation")
                    .data(to_json(&c).to_string()),
            };
            let _ = progress_tx.send(ev);
        };
        let work = a.run(&request, top_k, &mut progress);
        tokio::select! {
            _ = tx.closed() => {
                tracing::info!("client disconnected; generation cancelled");
            }
            result = work => {
                let ev = match result {
                    Ok(r) => Event::default().event("done").data(response_json(r, debug).to_string()),
                    Err(e) => {
                        tracing::error!("streamed request failed: {e}");
                        let (_, code) = ApiError::from(e).status_and_code();
                        Event::default().event("error").data(
                            json!({"error": {"code": code, "message": error_message(code)}}).to_string(),
                        )
                    }
                };
                let _ = tx.send(ev);
            }
        }
    });
    let events = futures_stream(rx);
    Ok(Sse::new(events)
        .keep_alive(KeepAlive::default())
        .into_response())
}

fn error_message(code: &str) -> &'static str {
    match code {
        "busy" => "the server is busy; retry shortly",
        _ => "internal error; see the server log",
    }
}

/// The receiver as a stream of SSE events (also used by the OpenAI-compatible stream).
pub(super) fn futures_stream(
    rx: mpsc::UnboundedReceiver<Event>,
) -> impl futures_core::Stream<Item = Result<Event, Infallible>> {
    struct Rx(mpsc::UnboundedReceiver<Event>);
    impl futures_core::Stream for Rx {
        type Item = Result<Event, Infallible>;
        fn poll_next(
            mut self: std::pin::Pin<&mut Self>,
            cx: &mut std::task::Context<'_>,
        ) -> std::task::Poll<Option<Self::Item>> {
            self.0.poll_recv(cx).map(|o| o.map(Ok))
        }
    }
    Rx(rx)
}
