//! The OpenAI-compatible surface: `GET /v1/models` and `POST /v1/chat/completions`, so that
//! standard clients and tools work unchanged.
//!
//! The last user message is answered by the same grounded pipeline as `/v1/ask`. The response is
//! an ordinary chat completion (or, with `stream: true`, `chat.completion.chunk` events ending in
//! `data: [DONE]`); citations, rejected citations and the abstention flag travel in an extra
//! `factcheck` field of the response and of the final chunk. Unknown fields are ignored; the
//! sampling numbers clients send are range-checked (the pipeline keeps its own settings).

use std::convert::Infallible;
use std::time::{SystemTime, UNIX_EPOCH};

use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};
use tokio::sync::mpsc;

use super::answers::futures_stream;
use super::routes::validate_text;
use super::{ApiError, ApiJson, AppState};
use crate::answer::{AnswerError, AskResponse, Progress, Request};
use crate::engine::EngineStatus;
use crate::retrieval::index::DEFAULT_TOP_K;

/// Answers the chat's question with the grounded pipeline, as `/v1/ask` would.
async fn answer(
    state: &AppState,
    question: &str,
    progress: &mut (dyn FnMut(Progress) + Send),
) -> Result<AskResponse, AnswerError> {
    let request = Request::question(question);
    let response = state
        .answerer
        .run(&request, DEFAULT_TOP_K, progress)
        .await?;
    Ok(response
        .into_answer()
        .expect("a question is answered with an AskResponse"))
}

/// Body of `POST /v1/chat/completions` (the fields we read; others are ignored).
#[derive(Deserialize)]
pub struct ChatRequest {
    messages: Vec<ChatMessage>,
    #[serde(default)]
    model: Option<String>,
    #[serde(default)]
    stream: bool,
    #[serde(default)]
    temperature: Option<f64>,
    #[serde(default)]
    top_p: Option<f64>,
    #[serde(default)]
    max_tokens: Option<i64>,
    #[serde(default)]
    max_completion_tokens: Option<i64>,
    #[serde(default)]
    n: Option<i64>,
    #[serde(default)]
    presence_penalty: Option<f64>,
    #[serde(default)]
    frequency_penalty: Option<f64>,
}

#[derive(Deserialize)]
pub struct ChatMessage {
    role: String,
    #[serde(default)]
    content: Value,
}

/// The model id clients see: the loaded model's name, or `factcheck-extractive` without one.
fn model_id(state: &AppState) -> String {
    match state.answerer.engine().status() {
        EngineStatus::Ready { name, .. } => name,
        _ => "factcheck-extractive".to_string(),
    }
}

pub async fn models(State(state): State<AppState>) -> Json<Value> {
    Json(json!({
        "object": "list",
        "data": [{"id": model_id(&state), "object": "model", "created": 0, "owned_by": "factcheck"}],
    }))
}

fn check_range(field: &str, value: Option<f64>, lo: f64, hi: f64) -> Result<(), ApiError> {
    match value {
        Some(v) if !(lo..=hi).contains(&v) || v.is_nan() => Err(ApiError::Invalid(format!(
            "`{field}` must be between {lo} and {hi} (got {v})"
        ))),
        _ => Ok(()),
    }
}

/// Checks the numbers and returns the text of the last user message.
fn validate(req: &ChatRequest) -> Result<String, ApiError> {
    check_range("temperature", req.temperature, 0.0, 2.0)?;
    check_range("top_p", req.top_p, 0.0, 1.0)?;
    check_range("presence_penalty", req.presence_penalty, -2.0, 2.0)?;
    check_range("frequency_penalty", req.frequency_penalty, -2.0, 2.0)?;
    for (field, v) in [
        ("max_tokens", req.max_tokens),
        ("max_completion_tokens", req.max_completion_tokens),
    ] {
        check_range(field, v.map(|v| v as f64), 1.0, 32768.0)?;
    }
    if req.n.is_some_and(|n| n != 1) {
        return Err(ApiError::Invalid(
            "`n` must be 1: one answer per request".into(),
        ));
    }
    let last = req
        .messages
        .iter()
        .rev()
        .find(|m| m.role == "user")
        .ok_or_else(|| {
            ApiError::Invalid("`messages` must contain a message with role `user`".into())
        })?;
    let text = message_text(&last.content).ok_or_else(|| {
        ApiError::Invalid("the last user message's `content` must be text".into())
    })?;
    validate_text("messages[].content", &text)?;
    Ok(text)
}

/// A message's text: a string, or the text parts of a content array.
fn message_text(content: &Value) -> Option<String> {
    match content {
        Value::String(s) => Some(s.clone()),
        Value::Array(parts) => {
            let texts: Vec<&str> = parts
                .iter()
                .filter(|p| p["type"] == "text")
                .filter_map(|p| p["text"].as_str())
                .collect();
            (!texts.is_empty()).then(|| texts.join("\n"))
        }
        _ => None,
    }
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// The `factcheck` extra field: everything a grounded answer carries besides its text.
fn extra(resp: &AskResponse) -> Value {
    json!({
        "citations": resp.citations, "rejected_citations": resp.rejected_citations,
        "abstained": resp.abstained, "mode": resp.mode, "sentences": resp.sentences,
        "timings": resp.timings,
    })
}

fn usage(resp: &AskResponse) -> Value {
    let prompt = resp.timings.prompt_tokens.unwrap_or(0);
    let completion = resp.timings.completion_tokens.unwrap_or(0);
    json!({"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion})
}

pub async fn chat_completions(
    State(state): State<AppState>,
    ApiJson(req): ApiJson<ChatRequest>,
) -> Result<Response, ApiError> {
    let question = validate(&req)?;
    let model = req.model.clone().unwrap_or_else(|| model_id(&state));
    let id = format!("chatcmpl-{:x}{:08x}", now(), rand::random::<u32>());
    if !req.stream {
        let resp = answer(&state, &question, &mut |_| {}).await?;
        return Ok(Json(json!({
            "id": id, "object": "chat.completion", "created": now(), "model": model,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": resp.answer},
                         "finish_reason": "stop"}],
            "usage": usage(&resp), "factcheck": extra(&resp),
        }))
        .into_response());
    }
    Ok(stream(state, id, model, question).into_response())
}

fn chunk(id: &str, model: &str, delta: Value, finish: Option<&str>) -> Value {
    json!({"id": id, "object": "chat.completion.chunk", "created": now(), "model": model,
           "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]})
}

/// Streams the answer as chunks. The answer text of a grounded response can differ from the
/// streamed deltas (an abstention, or sanitised text), so deltas are sent as they come and the
/// final chunk carries the whole response in `factcheck`, `answer` included.
fn stream(
    state: AppState,
    id: String,
    model: String,
    question: String,
) -> Sse<impl futures_core::Stream<Item = Result<Event, Infallible>>> {
    let (tx, rx) = mpsc::unbounded_channel::<Event>();
    tokio::spawn(async move {
        let data = |v: Value| Event::default().data(v.to_string());
        let _ = tx.send(data(chunk(&id, &model, json!({"role": "assistant"}), None)));
        let delta_tx = tx.clone();
        let (cid, cmodel) = (id.clone(), model.clone());
        let mut sent_any = false;
        let mut progress = |p: Progress| {
            if let Progress::Delta(d) = p {
                sent_any = true;
                let _ = delta_tx.send(data(chunk(&cid, &cmodel, json!({"content": d}), None)));
            }
        };
        let work = answer(&state, &question, &mut progress);
        let result = tokio::select! {
            _ = tx.closed() => return,
            r = work => r,
        };
        match result {
            Ok(resp) => {
                if !sent_any {
                    let _ = tx.send(data(chunk(
                        &id,
                        &model,
                        json!({"content": resp.answer}),
                        None,
                    )));
                }
                let mut last = chunk(&id, &model, json!({}), Some("stop"));
                last["factcheck"] = extra(&resp);
                last["factcheck"]["answer"] = json!(resp.answer);
                last["usage"] = usage(&resp);
                let _ = tx.send(data(last));
            }
            Err(e) => {
                let (_, code) = ApiError::from(e).status_and_code();
                let _ = tx.send(data(json!({"error": {"code": code, "message": "the answer failed; see the server log"}})));
            }
        }
        let _ = tx.send(Event::default().data("[DONE]"));
    });
    Sse::new(futures_stream(rx)).keep_alive(KeepAlive::default())
}
