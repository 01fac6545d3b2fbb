//! Calling the router in-process (`tower::ServiceExt::oneshot`): request builders and the one
//! [`send`] that returns the whole [`Reply`] (status, headers, body); [`call`] and [`call_text`]
//! are its short forms for the status with the body as JSON or as text.

use axum::body::Body;
use axum::http::{header, HeaderMap, HeaderName, Request, StatusCode};
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

/// `req` with the `headers` added.
pub fn with_headers(mut req: Request<Body>, headers: &[(HeaderName, &str)]) -> Request<Body> {
    for (name, value) in headers {
        req.headers_mut()
            .append(name.clone(), value.parse().unwrap());
    }
    req
}

/// A response read whole.
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl Reply {
    /// The header's value as text (empty when absent).
    pub fn header(&self, name: impl axum::http::header::AsHeaderName) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    /// The body as JSON (`null` when it is not JSON).
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or(Value::Null)
    }
}

/// Sends `req` and reads the whole reply.
pub async fn send(app: &Router, req: Request<Body>) -> Reply {
    let resp = app.clone().oneshot(req).await.unwrap();
    let status = resp.status();
    let headers = resp.headers().clone();
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    Reply {
        status,
        headers,
        body: String::from_utf8_lossy(&bytes).into_owned(),
    }
}

/// Sends `req` and reads the whole body as text.
pub async fn call_text(app: &Router, req: Request<Body>) -> (StatusCode, String) {
    let reply = send(app, req).await;
    (reply.status, reply.body)
}

/// Sends `req` and reads the body as JSON (`null` when it is not JSON).
pub async fn call(app: &Router, req: Request<Body>) -> (StatusCode, Value) {
    let reply = send(app, req).await;
    (reply.status, reply.json())
}
