//! The OpenAI-compatible endpoints through the router: models, a normal and a streamed chat
//! completion (evidence mode), and range checks.

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::Router;
use common::http::{call_text as call, post};
use factcheck::server::{router, AppState};
use serde_json::{json, Value};

fn app() -> Router {
    router(AppState::new(common::seed_retriever()))
}

fn chat(body: Value) -> Request<Body> {
    post("/v1/chat/completions", body.to_string())
}

const QUESTION: &str = "3월 말 기준 소프트뱅크의 현금 보유액과 순자산은 얼마였나?";

#[tokio::test]
async fn models_lists_the_evidence_mode_model() {
    let (status, body) = call(
        &app(),
        Request::get("/v1/models").body(Body::empty()).unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["object"], "list");
    assert_eq!(v["data"][0]["id"], "factcheck-extractive");
}

#[tokio::test]
async fn a_completion_answers_the_last_user_message_with_citations() {
    let body = json!({
        "model": "anything", "temperature": 0.3, "unknown_field": {"x": 1},
        "messages": [
            {"role": "system", "content": "You are helpful."},
            {"role": "user", "content": "earlier question"},
            {"role": "assistant", "content": "earlier answer"},
            {"role": "user", "content": [{"type": "text", "text": QUESTION}]},
        ],
    });
    let (status, text) = call(&app(), chat(body)).await;
    assert_eq!(status, StatusCode::OK, "{text}");
    let v: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["object"], "chat.completion");
    assert_eq!(v["choices"][0]["message"]["role"], "assistant");
    assert!(v["choices"][0]["message"]["content"]
        .as_str()
        .unwrap()
        .contains("1,720억 달러"));
    assert_eq!(v["factcheck"]["mode"], "extractive");
    assert_eq!(
        v["factcheck"]["citations"][0]["source"],
        "000_e75c928bc0077ff5.txt"
    );
}

#[tokio::test]
async fn a_streamed_completion_ends_with_citations_and_done() {
    let (status, text) = call(
        &app(),
        chat(json!({"stream": true, "messages": [{"role": "user", "content": QUESTION}]})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let data: Vec<&str> = text
        .lines()
        .filter_map(|l| l.strip_prefix("data: "))
        .collect();
    assert_eq!(*data.last().unwrap(), "[DONE]");
    let chunks: Vec<Value> = data[..data.len() - 1]
        .iter()
        .map(|d| serde_json::from_str(d).unwrap())
        .collect();
    assert!(chunks
        .iter()
        .all(|c| c["object"] == "chat.completion.chunk"));
    let content: String = chunks
        .iter()
        .filter_map(|c| c["choices"][0]["delta"]["content"].as_str())
        .collect();
    assert!(content.contains("1,720억 달러"), "{content}");
    let last = chunks.last().unwrap();
    assert_eq!(last["choices"][0]["finish_reason"], "stop");
    assert!(!last["factcheck"]["citations"]
        .as_array()
        .unwrap()
        .is_empty());
}

#[tokio::test]
async fn numbers_and_messages_are_checked() {
    let app = app();
    let user = json!([{"role": "user", "content": QUESTION}]);
    let cases = [
        (json!({"messages": user, "temperature": 3}), "temperature"),
        (json!({"messages": user, "top_p": -0.1}), "top_p"),
        (json!({"messages": user, "max_tokens": 0}), "max_tokens"),
        (json!({"messages": user, "n": 2}), "`n`"),
        (
            json!({"messages": [{"role": "system", "content": "x"}]}),
            "role `user`",
        ),
        (
            json!({"messages": [{"role": "user", "content": 5}]}),
            "must be text",
        ),
        (json!({"messages": "nope"}), "messages"),
    ];
    for (body, needle) in cases {
        let (status, text) = call(&app, chat(body.clone())).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {text}");
        assert!(text.contains(needle), "{body}: {text}");
    }
}
