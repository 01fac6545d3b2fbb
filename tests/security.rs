//! Safety by default: API key, Host allowlist, CORS only when configured, body limit, busy
//! answers, security headers, metrics.

mod common;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use axum::response::IntoResponse;
use axum::Router;
use factcheck::server::{router, Access, ApiError, AppState, ServerOptions, BODY_LIMIT};
use http_body_util::BodyExt;
use tower::ServiceExt;

fn app(options: ServerOptions) -> Router {
    router(AppState::with_options(common::seed_retriever(), options))
}

fn with_key() -> Router {
    app(ServerOptions {
        access: Access::new(Some("s3cret".into()), None, &[]),
        ..ServerOptions::default()
    })
}

async fn status(app: &Router, req: Request<Body>) -> StatusCode {
    app.clone().oneshot(req).await.unwrap().status()
}

fn search(auth: Option<&str>) -> Request<Body> {
    let mut b = Request::post("/v1/search").header(header::HOST, "localhost:8080");
    if let Some(a) = auth {
        b = b.header(header::AUTHORIZATION, a);
    }
    b.body(Body::from(r#"{"query":"소프트뱅크"}"#)).unwrap()
}

#[tokio::test]
async fn api_key_is_required_except_for_health() {
    let app = with_key();
    assert_eq!(status(&app, search(None)).await, StatusCode::UNAUTHORIZED);
    assert_eq!(
        status(&app, search(Some("Bearer wrong"))).await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        status(&app, search(Some("s3cret"))).await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        status(&app, search(Some("Bearer s3cret"))).await,
        StatusCode::OK
    );
    let health = Request::get("/health").body(Body::empty()).unwrap();
    assert_eq!(status(&app, health).await, StatusCode::OK);
    let metrics = Request::get("/metrics").body(Body::empty()).unwrap();
    assert_eq!(status(&app, metrics).await, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn unauthorized_answers_are_json_with_a_challenge() {
    let resp = with_key().oneshot(search(None)).await.unwrap();
    assert_eq!(resp.headers()[header::WWW_AUTHENTICATE], "Bearer");
    let body = resp.into_body().collect().await.unwrap().to_bytes();
    let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(v["error"]["code"], "unauthorized");
}

#[tokio::test]
async fn foreign_hosts_are_refused() {
    let app = app(ServerOptions::default());
    let req = |host: &str| {
        Request::get("/health")
            .header(header::HOST, host)
            .body(Body::empty())
            .unwrap()
    };
    assert_eq!(
        status(&app, req("evil.example")).await,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        status(&app, req("evil.example:8080")).await,
        StatusCode::FORBIDDEN
    );
    assert_eq!(status(&app, req("localhost:8080")).await, StatusCode::OK);
    assert_eq!(status(&app, req("127.0.0.1")).await, StatusCode::OK);
    assert_eq!(status(&app, req("[::1]:8080")).await, StatusCode::OK);
}

#[tokio::test]
async fn no_cors_headers_unless_configured() {
    let preflight = || {
        Request::options("/v1/search")
            .header(header::ORIGIN, "https://evil.example")
            .header(header::ACCESS_CONTROL_REQUEST_METHOD, "POST")
            .body(Body::empty())
            .unwrap()
    };
    let simple = || {
        Request::post("/v1/search")
            .header(header::ORIGIN, "https://evil.example")
            .body(Body::from(r#"{"query":"소프트뱅크"}"#))
            .unwrap()
    };
    for app in [
        app(ServerOptions::default()),
        app(ServerOptions {
            cors_origins: vec!["https://newsroom.example".into()],
            ..ServerOptions::default()
        }),
    ] {
        for req in [preflight(), simple()] {
            let resp = app.clone().oneshot(req).await.unwrap();
            assert!(resp
                .headers()
                .get(header::ACCESS_CONTROL_ALLOW_ORIGIN)
                .is_none());
        }
    }
    let allowed = app(ServerOptions {
        cors_origins: vec!["https://newsroom.example".into()],
        ..ServerOptions::default()
    });
    let req = Request::post("/v1/search")
        .header(header::ORIGIN, "https://newsroom.example")
        .body(Body::from(r#"{"query":"소프트뱅크"}"#))
        .unwrap();
    let resp = allowed.oneshot(req).await.unwrap();
    assert_eq!(
        resp.headers()[header::ACCESS_CONTROL_ALLOW_ORIGIN],
        "https://newsroom.example"
    );
}

#[tokio::test]
async fn oversized_bodies_are_413_even_without_content_length_checks() {
    let app = app(ServerOptions::default());
    let huge = format!(r#"{{"query":"{}"}}"#, "x".repeat(BODY_LIMIT));
    let req = Request::post("/v1/search")
        .header(header::CONTENT_LENGTH, huge.len())
        .body(Body::from(huge))
        .unwrap();
    let resp = app.oneshot(req).await.unwrap();
    assert_eq!(resp.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let body = resp.into_body().collect().await.unwrap().to_bytes();
    let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(v["error"]["code"], "body_too_large");
}

#[test]
fn busy_is_503_with_retry_after() {
    let resp = ApiError::Busy.into_response();
    assert_eq!(resp.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(resp.headers().get(header::RETRY_AFTER).is_some());
}

#[tokio::test]
async fn responses_carry_security_headers_and_metrics_count_them() {
    let app = app(ServerOptions::default());
    let resp = app.clone().oneshot(search(None)).await.unwrap();
    assert_eq!(resp.headers()["x-content-type-options"], "nosniff");
    let req = Request::get("/metrics").body(Body::empty()).unwrap();
    let resp = app.oneshot(req).await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let body = resp.into_body().collect().await.unwrap().to_bytes();
    let text = String::from_utf8(body.to_vec()).unwrap();
    assert!(text.contains("factcheck_http_requests_total"), "{text}");
    assert!(text.contains(r#"route="/v1/search""#), "{text}");
}

#[tokio::test]
async fn answer_figures_reach_the_metrics() {
    let app = app(ServerOptions::default());
    let ask = Request::post("/v1/ask")
        .body(Body::from(
            r#"{"question":"3월 말 기준 소프트뱅크의 현금 보유액은?"}"#,
        ))
        .unwrap();
    assert_eq!(status(&app, ask).await, StatusCode::OK);
    let abstain = Request::post("/v1/ask")
        .body(Body::from(
            r#"{"question":"What is the population of Arizona?"}"#,
        ))
        .unwrap();
    assert_eq!(status(&app, abstain).await, StatusCode::OK);
    let req = Request::get("/metrics").body(Body::empty()).unwrap();
    let body = app
        .oneshot(req)
        .await
        .unwrap()
        .into_body()
        .collect()
        .await
        .unwrap()
        .to_bytes();
    let text = String::from_utf8(body.to_vec()).unwrap();
    for name in [
        r#"factcheck_citations_total{result="returned"}"#,
        r#"factcheck_answers_total{mode="extractive"}"#,
        "factcheck_abstentions_total",
    ] {
        assert!(text.contains(name), "{name} missing:\n{text}");
    }
}
