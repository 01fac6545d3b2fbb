//! The HTTP API, called in-process through the router: every endpoint and every error class.

mod common;

use axum::http::StatusCode;
use axum::Router;
use common::http::{call, get, post};
use factcheck::server::{router, AppState, BODY_LIMIT};
use serde_json::{json, Value};

fn app() -> Router {
    router(AppState::new(common::seed_retriever()))
}

fn error_code(v: &Value) -> &str {
    v["error"]["code"].as_str().unwrap_or("<no error code>")
}

#[tokio::test]
async fn health_reports_corpus_and_model() {
    let (status, v) = call(&app(), get("/health")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(v["corpus"]["files"], 5);
    assert!(v["corpus"]["passages"].as_u64().unwrap() > 100);
    assert_eq!(v["corpus"]["problems"], json!([]));
    assert_eq!(v["corpus"]["skipped"], json!({"count": 0, "names": []}));
    assert_eq!(v["model"]["status"], "none");
    // The test app has no sentence encoder: lexical retrieval only, and it says so.
    assert_eq!(v["retrieval"]["dense"], json!(null));
    assert_eq!(v["retrieval"]["dense_status"], json!({"status": "none"}));
}

#[tokio::test]
async fn sources_list_and_ranges() {
    let app = app();
    let (status, v) = call(&app, get("/v1/sources")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(v["sources"].as_array().unwrap().len(), 5);
    assert_eq!(v["sources"][0]["name"], "000_e75c928bc0077ff5.txt");

    let (status, v) = call(
        &app,
        get("/v1/sources/000_e75c928bc0077ff5.txt?start=27&end=27"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(v["lines"][0]["number"], 27);
    assert!(v["lines"][0]["text"]
        .as_str()
        .unwrap()
        .contains("1,720억 달러"));

    let (status, v) = call(
        &app,
        get("/v1/sources/000_e75c928bc0077ff5.txt?start=9&end=3"),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(v["error"]["message"].as_str().unwrap().contains("`end`"));
    let (status, _) = call(&app, get("/v1/sources/000_e75c928bc0077ff5.txt?start=abc")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn files_in_subfolders_are_listed_and_read_by_their_path() {
    use factcheck::retrieval::corpus::{Corpus, SourceFile};
    use factcheck::retrieval::index::Retriever;
    let corpus = Corpus::from_files(vec![
        SourceFile::from_text("2025/회의록.md", "# 회의록\n\n예산을 의결했다.\n"),
        SourceFile::from_text("top.txt", "맨 위 파일입니다.\n"),
    ]);
    let app = router(AppState::new(Retriever::new(corpus).unwrap()));
    let (status, v) = call(&app, get("/v1/sources")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(v["sources"][0]["name"], "2025/회의록.md");
    // As the chat page asks for it: the name percent-encoded as one path segment.
    let (status, v) = call(
        &app,
        get("/v1/sources/2025%2F%ED%9A%8C%EC%9D%98%EB%A1%9D.md?start=3&end=3"),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v["lines"][0]["text"], "예산을 의결했다.", "{v}");
    for uri in [
        "/v1/sources/2025%2F..%2Ftop.txt",
        "/v1/sources/2025%2F%2Ftop.txt",
    ] {
        let (status, _) = call(&app, get(uri)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{uri}");
    }
}

#[tokio::test]
async fn paths_outside_the_corpus_are_rejected() {
    let app = app();
    for uri in [
        "/v1/sources/..%2FCargo.toml",
        "/v1/sources/%2e%2e%2fCargo.toml",
        "/v1/sources/%2Fetc%2Fpasswd",
        "/v1/sources/..",
        "/v1/sources/.hidden.txt",
    ] {
        let (status, v) = call(&app, get(uri)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{uri}");
        assert_eq!(error_code(&v), "bad_request");
    }
    for uri in ["/v1/sources/Cargo.toml", "/v1/sources/../Cargo.toml"] {
        let (status, v) = call(&app, get(uri)).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{uri}");
        assert_eq!(error_code(&v), "not_found");
    }
}

#[tokio::test]
async fn search_returns_passages_with_highlights() {
    let body = json!({"query": "소프트뱅크의 현금과 순자산", "top_k": 3}).to_string();
    let (status, v) = call(&app(), post("/v1/search", body)).await;
    assert_eq!(status, StatusCode::OK);
    let passages = v["passages"].as_array().unwrap();
    assert_eq!(passages.len(), 3);
    let first = &passages[0];
    for key in [
        "id",
        "source",
        "start_line",
        "end_line",
        "text",
        "score",
        "highlight",
    ] {
        assert!(first.get(key).is_some(), "missing {key}");
    }
    assert_eq!(first["source"], "000_e75c928bc0077ff5.txt");
    assert_eq!(first["start_line"], 27);
    let text = first["text"].as_str().unwrap();
    assert!(text.contains(first["highlight"].as_str().unwrap()));
    // Lexical only: no encoder, no cosine.
    assert!(first.get("similarity").is_none());
}

#[tokio::test]
async fn search_defaults_top_k_to_five() {
    let (status, v) = call(&app(), post("/v1/search", r#"{"query":"스타게이트"}"#)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(v["passages"].as_array().unwrap().len(), 5);
}

#[tokio::test]
async fn search_errors_name_the_problem() {
    let app = app();
    let cases = [
        (
            r#"{"query": "#,
            StatusCode::BAD_REQUEST,
            "malformed_json",
            "",
        ),
        ("not json", StatusCode::BAD_REQUEST, "malformed_json", ""),
        (
            r#"{"top_k": 3}"#,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_request",
            "query",
        ),
        (
            r#"{"query": 5}"#,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_request",
            "query",
        ),
        (
            r#"{"query": "  "}"#,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_request",
            "query",
        ),
        (
            r#"{"query": "a", "top_k": 0}"#,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_request",
            "between 1 and 50",
        ),
        (
            r#"{"query": "a", "top_k": 51}"#,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_request",
            "between 1 and 50",
        ),
        (
            r#"{"query": "a", "top_k": "5"}"#,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_request",
            "top_k",
        ),
        (
            r#"[1,2]"#,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_request",
            "",
        ),
        (
            r#"{"query": "a", "rerank": "yes"}"#,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_request",
            "rerank",
        ),
    ];
    for (body, status, code, needle) in cases {
        let (got, v) = call(&app, post("/v1/search", body)).await;
        assert_eq!(got, status, "{body}: {v}");
        assert_eq!(error_code(&v), code, "{body}");
        assert!(
            v["error"]["message"].as_str().unwrap().contains(needle),
            "{body}: {v}"
        );
    }
    let long = json!({"query": "가".repeat(4001)}).to_string();
    let (got, v) = call(&app, post("/v1/search", long)).await;
    assert_eq!(got, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(v["error"]["message"]
        .as_str()
        .unwrap()
        .contains("at most 4000"));
}

#[tokio::test]
async fn oversized_bodies_get_413() {
    let huge = json!({"query": "x".repeat(BODY_LIMIT + 10)}).to_string();
    let (status, v) = call(&app(), post("/v1/search", huge)).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(error_code(&v), "body_too_large");
}

#[tokio::test]
async fn unknown_routes_and_methods() {
    let app = app();
    let (status, v) = call(&app, get("/v1/nothing")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(error_code(&v), "not_found");
    let (status, v) = call(&app, get("/v1/search")).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(error_code(&v), "method_not_allowed");
}

#[tokio::test]
async fn a_corpus_with_a_bad_file_is_degraded_but_serves() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("ok.txt"),
        "삼성전자와 소프트뱅크가 협력한다.\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("bad.txt"), b"\xff\xfe broken").unwrap();
    let corpus = factcheck::retrieval::corpus::Corpus::load(dir.path()).unwrap();
    let app = router(AppState::new(
        factcheck::retrieval::index::Retriever::new(corpus).unwrap(),
    ));
    let (status, v) = call(&app, get("/health")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(v["status"], "degraded");
    assert_eq!(v["corpus"]["problems"][0]["file"], "bad.txt");
    let (status, v) = call(&app, post("/v1/search", r#"{"query":"소프트뱅크"}"#)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(v["passages"][0]["source"], "ok.txt");
}

#[tokio::test]
async fn serves_on_an_ephemeral_port() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(factcheck::server::serve(
        listener,
        AppState::new(common::seed_retriever()),
        async {
            let _ = rx.await;
        },
    ));
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    stream
        .write_all(b"GET /health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut buf = String::new();
    stream.read_to_string(&mut buf).await.unwrap();
    assert!(buf.starts_with("HTTP/1.1 200"), "{buf}");
    tx.send(()).unwrap();
    server.await.unwrap().unwrap();
}

/// `"rerank": true` re-orders the best candidates with the server's reranker; without one the
/// first stage's order comes back, and the response says which happened.
#[tokio::test]
async fn search_reranks_on_request() {
    use factcheck::retrieval::rerank::{Candidate, RerankError, Reranker};
    use std::sync::Arc;

    /// A stand-in for a model: prefers passages that mention 올트먼.
    struct Prefers;
    impl Reranker for Prefers {
        fn name(&self) -> &str {
            "prefers"
        }
        fn score(&self, _q: &str, candidates: &[Candidate<'_>]) -> Result<Vec<f32>, RerankError> {
            Ok(candidates
                .iter()
                .map(|c| f32::from(u8::from(c.text.contains("올트먼"))))
                .collect())
        }
    }

    let body = r#"{"query": "스타게이트 프로젝트", "top_k": 3, "rerank": true}"#;
    let (status, plain) = call(&app(), post("/v1/search", body)).await;
    assert_eq!(status, StatusCode::OK, "{plain}");
    assert_eq!(plain["rerank"]["applied"], false);
    assert!(plain["rerank"]["reason"]
        .as_str()
        .unwrap()
        .contains("no reranker"));

    let reranking =
        router(AppState::new(common::seed_retriever()).with_reranker(Arc::new(Prefers)));
    let (status, v) = call(&reranking, post("/v1/search", body)).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v["rerank"], json!({"applied": true, "reranker": "prefers"}));
    let passages = v["passages"].as_array().unwrap();
    assert_eq!(passages.len(), 3);
    assert!(
        passages[0]["text"].as_str().unwrap().contains("올트먼"),
        "{v}"
    );
    assert_ne!(passages[0], plain["passages"][0]);

    // Not asked: the first stage's order, even on a server with a reranker.
    let (_, v) = call(
        &reranking,
        post(
            "/v1/search",
            r#"{"query": "스타게이트 프로젝트", "top_k": 3}"#,
        ),
    )
    .await;
    assert_eq!(v["rerank"]["applied"], false);
    assert_eq!(v["passages"], plain["passages"]);
}
