//! Safety by default: API key, Host allowlist, CORS only when configured, body limit, busy
//! answers, security headers, metrics.

mod common;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use axum::response::IntoResponse;
use axum::Router;
use common::http::{get, send};
use factcheck::server::{router, Access, ApiError, AppState, ServerOptions, BODY_LIMIT};

fn app(options: ServerOptions) -> Router {
    router(AppState::with_options(common::seed_retriever(), options))
}

fn with_key() -> Router {
    app(ServerOptions {
        access: Access::new(Some("s3cret".into()), None, &[]),
        ..ServerOptions::default()
    })
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
    assert_eq!(
        send(&app, search(None)).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        send(&app, search(Some("Bearer wrong"))).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        send(&app, search(Some("s3cret"))).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        send(&app, search(Some("Bearer s3cret"))).await.status,
        StatusCode::OK
    );
    assert_eq!(send(&app, get("/health")).await.status, StatusCode::OK);
    assert_eq!(
        send(&app, get("/metrics")).await.status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn unauthorized_answers_are_json_with_a_challenge() {
    let r = send(&with_key(), search(None)).await;
    assert_eq!(r.header(header::WWW_AUTHENTICATE), "Bearer");
    assert_eq!(r.json()["error"]["code"], "unauthorized");
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
        send(&app, req("evil.example")).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        send(&app, req("evil.example:8080")).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        send(&app, req("localhost:8080")).await.status,
        StatusCode::OK
    );
    assert_eq!(send(&app, req("127.0.0.1")).await.status, StatusCode::OK);
    assert_eq!(send(&app, req("[::1]:8080")).await.status, StatusCode::OK);
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
            let r = send(&app, req).await;
            assert!(r.headers.get(header::ACCESS_CONTROL_ALLOW_ORIGIN).is_none());
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
    assert_eq!(
        send(&allowed, req)
            .await
            .header(header::ACCESS_CONTROL_ALLOW_ORIGIN),
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
    let r = send(&app, req).await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(r.json()["error"]["code"], "body_too_large");
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
    let r = send(&app, search(None)).await;
    assert_eq!(r.header("x-content-type-options"), "nosniff");
    let r = send(&app, get("/metrics")).await;
    assert_eq!(r.status, StatusCode::OK);
    let text = r.body;
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
    assert_eq!(send(&app, ask).await.status, StatusCode::OK);
    let abstain = Request::post("/v1/ask")
        .body(Body::from(
            r#"{"question":"What is the boiling point of mercury?"}"#,
        ))
        .unwrap();
    assert_eq!(send(&app, abstain).await.status, StatusCode::OK);
    let text = send(&app, get("/metrics")).await.body;
    for name in [
        r#"factcheck_citations_total{result="returned"}"#,
        r#"factcheck_answers_total{mode="extractive"}"#,
        "factcheck_abstentions_total",
    ] {
        assert!(text.contains(name), "{name} missing:\n{text}");
    }
}
