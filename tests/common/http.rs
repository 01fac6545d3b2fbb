//! Calling the router in-process (`tower::ServiceExt::oneshot`): request builders and the one
//! `call` that returns the status with the body as JSON (or as text with [`call_text`]).

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use axum::Router;
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;

/// `GET uri`.
pub fn get(uri: &str) -> Request<Body> {
    Request::get(uri).body(Body::empty()).unwrap()
}

/// `POST uri` with a JSON body (any bytes: malformed bodies are tests too).
pub fn post(uri: &str, body: impl AsRef<[u8]>) -> Request<Body> {
    Request::post(uri)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body.as_ref().to_vec()))
        .unwrap()
}

/// Sends `req` and reads the whole body as text.
pub async fn call_text(app: &Router, req: Request<Body>) -> (StatusCode, String) {
    let resp = app.clone().oneshot(req).await.unwrap();
    let status = resp.status();
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8_lossy(&bytes).into_owned())
}

/// Sends `req` and reads the body as JSON (`null` when it is not JSON).
pub async fn call(app: &Router, req: Request<Body>) -> (StatusCode, Value) {
    let (status, text) = call_text(app, req).await;
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}
