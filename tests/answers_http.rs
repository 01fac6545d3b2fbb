//! `/v1/ask` and `/v1/check` through the router: JSON and Server-Sent Events end to end, error
//! classes (400/422/503), cancellation when the client goes away, `/health`'s model status, and
//! a generated random-weight model driving the real generation path.

mod common;

use common::fake::{FakeModel, Script};

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

use axum::http::{header, StatusCode};
use axum::Router;
use common::http::{call, call_text, get, post, send};
use factcheck::answer::citations::verify_citation;
use factcheck::answer::{AnswerConfig, Answerer, Budget, Citation, Prompts};
use factcheck::devtools::random::write_preset;
use factcheck::engine::{Backend, EngineConfig, EngineError, EngineHandle, EngineStatus};
use factcheck::retrieval::corpus::{Corpus, SourceFile};
use factcheck::retrieval::index::Retriever;
use factcheck::server::{router, AppState};
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;

struct Setup {
    app: Router,
    running: Arc<AtomicBool>,
    cancelled: Arc<AtomicBool>,
}

fn wait_ready(engine: &EngineHandle) {
    let start = Instant::now();
    while matches!(engine.status(), EngineStatus::Loading { .. }) {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "model did not load"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    assert!(
        matches!(engine.status(), EngineStatus::Ready { .. }),
        "{:?}",
        engine.status()
    );
}

fn with_fake(reply: &str, delay_ms: u64, gate: Option<mpsc::Receiver<()>>, queue: usize) -> Setup {
    let fake = FakeModel {
        delay: Duration::from_millis(delay_ms),
        ..FakeModel::new(Script::Fixed(reply.to_string()))
    }
    .gated(gate);
    let (running, cancelled) = (fake.probe.running.clone(), fake.probe.cancelled.clone());
    let engine = EngineHandle::with_loader(
        EngineConfig {
            queue_capacity: queue,
        },
        move || Ok(Box::new(fake) as Box<dyn Backend>),
    )
    .unwrap();
    wait_ready(&engine);
    let answerer = Answerer::new(
        Arc::new(common::seed_retriever()),
        engine,
        Prompts::builtin(),
    );
    Setup {
        app: router(AppState::with_answerer(Arc::new(answerer))),
        running,
        cancelled,
    }
}

/// The events of an SSE body: (event name, data).
fn sse_events(text: &str) -> Vec<(String, String)> {
    text.split("\n\n")
        .filter_map(|block| {
            let mut name = None;
            let mut data = Vec::new();
            for line in block.lines() {
                if let Some(v) = line.strip_prefix("event:") {
                    name = Some(v.trim().to_string());
                } else if let Some(v) = line.strip_prefix("data:") {
                    data.push(v.strip_prefix(' ').unwrap_or(v).to_string());
                }
            }
            name.map(|n| (n, data.join("\n")))
        })
        .collect()
}

fn seed_corpus() -> Corpus {
    Corpus::load(&common::seeds_dir()).unwrap()
}

fn assert_valid(corpus: &Corpus, citations: &Value) {
    for c in citations.as_array().unwrap() {
        let c: Citation = Citation {
            id: c["id"].as_str().unwrap().into(),
            label: c["label"].as_str().unwrap().into(),
            source: c["source"].as_str().unwrap().into(),
            start_line: c["start_line"].as_u64().unwrap() as usize,
            end_line: c["end_line"].as_u64().unwrap() as usize,
            quote: c["quote"].as_str().unwrap().into(),
            side: None,
        };
        assert_eq!(verify_citation(corpus, &c), Ok(()), "{c:?}");
    }
}

const Q_CASH: &str = "3월 말 기준 소프트뱅크의 현금 보유액과 순자산은 얼마였나?";

#[tokio::test]
async fn ask_and_check_in_evidence_mode() {
    let app = router(AppState::new(common::seed_retriever()));
    let (status, v) = call(
        &app,
        post("/v1/ask", format!(r#"{{"question": "{Q_CASH}"}}"#)),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    for key in [
        "answer",
        "abstained",
        "mode",
        "citations",
        "rejected_citations",
        "sentences",
        "passages",
        "timings",
    ] {
        assert!(v.get(key).is_some(), "missing {key}: {v}");
    }
    assert_eq!(v["mode"], "extractive");
    assert_eq!(v["abstained"], false);
    assert_eq!(v["rejected_citations"]["count"], 0);
    assert!(!v["citations"].as_array().unwrap().is_empty());
    assert_valid(&seed_corpus(), &v["citations"]);
    let (status, v) = call(
        &app,
        post(
            "/v1/check",
            r#"{"claim": "소프트뱅크는 Ampere Computing을 100억 달러에 인수한다.", "top_k": 3}"#,
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    for key in [
        "verdict",
        "explanation",
        "citations",
        "signals",
        "mode",
        "passages",
        "timings",
    ] {
        assert!(v.get(key).is_some(), "missing {key}: {v}");
    }
    assert_eq!(v["verdict"], "unverified");
    assert_eq!(v["signals"][0]["status"], "mismatch");
    assert_eq!(v["signals"][0]["unit"], "USD");
    assert_eq!(v["signals"][0]["claim_value"], 1e10);
    assert_valid(&seed_corpus(), &v["citations"]);
    let (_, v) = call(
        &app,
        post(
            "/v1/ask",
            r#"{"question": "What is the boiling point of mercury?"}"#,
        ),
    )
    .await;
    assert_eq!(v["abstained"], true);
    assert_eq!(v["citations"].as_array().unwrap().len(), 0);
}

#[tokio::test]
async fn request_errors_name_the_problem() {
    let app = router(AppState::new(common::seed_retriever()));
    let cases = [
        (
            "/v1/ask",
            "{not json",
            StatusCode::BAD_REQUEST,
            "malformed_json",
            "",
        ),
        (
            "/v1/ask",
            "{}",
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_request",
            "question",
        ),
        (
            "/v1/ask",
            r#"{"question": "  "}"#,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_request",
            "question",
        ),
        (
            "/v1/ask",
            r#"{"question": "q", "top_k": 0}"#,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_request",
            "top_k",
        ),
        (
            "/v1/ask",
            r#"{"question": "q", "stream": "yes"}"#,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_request",
            "stream",
        ),
        (
            "/v1/check",
            r#"{"question": "q"}"#,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_request",
            "claim",
        ),
        (
            "/v1/check",
            r#"{"claim": "c", "top_k": 51}"#,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_request",
            "50",
        ),
    ];
    for (uri, body, status, code, needle) in cases {
        let (s, v) = call(&app, post(uri, body)).await;
        assert_eq!(s, status, "{uri} {body}: {v}");
        assert_eq!(v["error"]["code"], code, "{uri} {body}: {v}");
        assert!(
            v["error"]["message"].as_str().unwrap().contains(needle),
            "{v}"
        );
    }
    let long = "가".repeat(4001);
    let (s, v) = call(&app, post("/v1/check", format!(r#"{{"claim": "{long}"}}"#))).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
}

#[tokio::test]
async fn streaming_sends_deltas_citations_then_the_whole_response() {
    let reply = "근거: [P1] \"약 230억 달러의 현금과 약 1,720억 달러의 순자산\"\n답: 현금 약 230억 달러, 순자산 약 1,720억 달러";
    let s = with_fake(reply, 0, None, 4);
    let r = send(
        &s.app,
        post(
            "/v1/ask",
            format!(r#"{{"question": "{Q_CASH}", "stream": true, "debug": true}}"#),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    let ct = r.header(header::CONTENT_TYPE);
    assert!(ct.starts_with("text/event-stream"), "{ct}");
    let events = sse_events(&r.body);
    let names: Vec<&str> = events.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names.last(), Some(&"done"), "{names:?}");
    let text: String = events
        .iter()
        .filter(|(n, _)| n == "delta")
        .map(|(_, d)| d.as_str())
        .collect();
    assert_eq!(text, reply);
    let first_citation = names
        .iter()
        .position(|n| *n == "citation")
        .expect("a citation event");
    assert!(
        names[first_citation..].contains(&"delta"),
        "a citation arrives mid-answer: {names:?}"
    );
    let done: Value = serde_json::from_str(&events.last().unwrap().1).unwrap();
    assert_eq!(done["mode"], "generative");
    assert_eq!(done["abstained"], false, "{done}");
    assert_eq!(done["debug"]["output"], reply);
    assert_valid(&seed_corpus(), &done["citations"]);
    let cited: Vec<Value> = events
        .iter()
        .filter(|(n, _)| n == "citation")
        .map(|(_, d)| serde_json::from_str(d).unwrap())
        .collect();
    assert_eq!(Value::Array(cited), done["citations"]);
}

#[tokio::test]
async fn check_streams_and_evidence_mode_streams_too() {
    let s = with_fake(
        "VERDICT: refuted\n인수 가격은 65억 달러다 [P1].",
        0,
        None,
        4,
    );
    let (_, body) = call_text(
        &s.app,
        post(
            "/v1/check",
            r#"{"claim": "소프트뱅크는 Ampere Computing을 100억 달러에 인수한다.", "stream": true}"#,
        ),
    )
    .await;
    let events = sse_events(&body);
    let done: Value = serde_json::from_str(&events.last().unwrap().1).unwrap();
    assert_eq!(done["verdict"], "refuted", "{done}");
    assert_eq!(done["citations"][0]["side"], "refutes");
    let plain = router(AppState::new(common::seed_retriever()));
    let (_, body) = call_text(
        &plain,
        post(
            "/v1/ask",
            format!(r#"{{"question": "{Q_CASH}", "stream": true}}"#),
        ),
    )
    .await;
    let events = sse_events(&body);
    let names: Vec<&str> = events.iter().map(|(n, _)| n.as_str()).collect();
    assert!(
        names.contains(&"citation") && names.last() == Some(&"done"),
        "{names:?}"
    );
}

#[tokio::test]
async fn a_client_that_goes_away_cancels_generation() {
    let reply = "소프트뱅크는 현금을 보유했다 [P1]. ".repeat(400);
    let s = with_fake(&reply, 5, None, 4);
    let resp = s
        .app
        .clone()
        .oneshot(post(
            "/v1/ask",
            format!(r#"{{"question": "{Q_CASH}", "stream": true}}"#),
        ))
        .await
        .unwrap();
    let mut body = resp.into_body();
    let first = body.frame().await.unwrap().unwrap();
    assert!(first.is_data());
    drop(body);
    let start = Instant::now();
    while !s.cancelled.load(Ordering::SeqCst) {
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "generation kept going"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test]
async fn a_full_queue_is_503_with_retry_after() {
    let (release, gate) = mpsc::channel::<()>();
    let s = with_fake("NO_ANSWER", 0, Some(gate), 1);
    let body = format!(r#"{{"question": "{Q_CASH}"}}"#);
    let first = tokio::spawn(s.app.clone().oneshot(post("/v1/ask", &body)));
    let start = Instant::now();
    while !s.running.load(Ordering::SeqCst) {
        assert!(start.elapsed() < Duration::from_secs(5));
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let second = tokio::spawn(s.app.clone().oneshot(post("/v1/ask", &body)));
    tokio::time::sleep(Duration::from_millis(100)).await;
    let r = send(
        &s.app,
        post(
            "/v1/check",
            r#"{"claim": "소프트뱅크는 샤프의 사카이 공장을 인수했다."}"#,
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(r.header(header::RETRY_AFTER), "2");
    release.send(()).unwrap();
    release.send(()).unwrap();
    assert_eq!(first.await.unwrap().unwrap().status(), StatusCode::OK);
    assert_eq!(second.await.unwrap().unwrap().status(), StatusCode::OK);
}

#[tokio::test]
async fn health_reports_the_engine() {
    let s = with_fake("NO_ANSWER", 0, None, 4);
    let (_, v) = call(&s.app, get("/health")).await;
    assert_eq!(v["model"]["status"], "ready", "{v}");
    assert_eq!(v["model"]["name"], "scripted");
    assert_eq!(v["prompts"]["version"].as_str().unwrap().len(), 64);
}

/// A small English corpus, so that prompts fit the tiny random model's 512-token context.
fn english() -> Retriever {
    Retriever::new(Corpus::from_files(vec![
        SourceFile::from_text(
            "robots.txt",
            "Delta Robotics opened a lab in Busan.\nThe Busan lab employs 120 engineers.\n",
        ),
        SourceFile::from_text(
            "bank.txt",
            "Omega Bank cut its rate by 0.25 percent.\nOmega Bank has 40 branches.\n",
        ),
    ]))
    .unwrap()
}

#[tokio::test]
async fn a_random_model_runs_the_real_path_end_to_end() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("tiny.gguf");
    write_preset("tiny-qwen2", &model, 7).unwrap();
    let prompts = dir.path().join("prompts");
    std::fs::create_dir(&prompts).unwrap();
    let block = |system: &str, user: &str| {
        format!("{{% block system %}}{system}{{% endblock %}}{{% block user %}}{{% for p in passages %}}<passage id=\"{{{{ p.label }}}}\">{{{{ p.text }}}}</passage>{{% endfor %}}\n{user}{{% endblock %}}")
    };
    std::fs::write(
        prompts.join("answer.jinja"),
        block(
            "Answer from passages; cite [P1]; else {{ no_answer }}.",
            "Q: {{ question }}",
        ),
    )
    .unwrap();
    std::fs::write(
        prompts.join("check.jinja"),
        block("First line VERDICT: word. Cite [P1].", "Claim: {{ claim }}"),
    )
    .unwrap();
    let engine = EngineHandle::start(model, EngineConfig::default()).unwrap();
    let e = engine.clone();
    tokio::task::spawn_blocking(move || wait_ready(&e))
        .await
        .unwrap();
    let config = AnswerConfig {
        budget: Budget {
            total_chars: 120,
            passage_chars: 60,
            min_coverage: 0.2,
        },
        max_answer_tokens: 24,
        max_check_tokens: 24,
        ..AnswerConfig::default()
    };
    let answerer = Answerer::new(
        Arc::new(english()),
        engine,
        Prompts::load(&prompts).unwrap(),
    )
    .with_config(config);
    let corpus = answerer.retriever().corpus().clone();
    // What `serve --model` does once the model has loaded: prefill the question prompt's fixed
    // part. The questions below then reuse it.
    answerer.prime().await;
    let answerer = Arc::new(answerer);
    let app = router(AppState::with_answerer(answerer.clone()));
    let (status, v) = call(
        &app,
        post(
            "/v1/ask",
            r#"{"question": "How many engineers work at the Busan lab?", "top_k": 2}"#,
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v["mode"], "generative", "the model path ran: {v}");
    assert!(v["answer"].is_string() && v["abstained"].is_boolean());
    assert_valid(&corpus, &v["citations"]);
    let rejected = &v["rejected_citations"];
    assert_eq!(
        rejected["count"].as_u64().unwrap() as usize,
        rejected["items"].as_array().unwrap().len()
    );
    assert!(v["timings"]["prompt_tokens"].as_u64().unwrap() > 0, "{v}");
    assert!(v.get("debug").is_none(), "debug only when asked for: {v}");
    let (status, v) = call(
        &app,
        post(
            "/v1/check",
            r#"{"claim": "The Busan lab employs 300 engineers.", "top_k": 2, "debug": true}"#,
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v["mode"], "generative", "{v}");
    let verdicts = ["supported", "refuted", "not_enough_info", "disputed"];
    assert!(verdicts.contains(&v["verdict"].as_str().unwrap()), "{v}");
    assert_eq!(v["signals"][0]["status"], "mismatch", "{v}");
    assert!(
        v["debug"]["output"].is_string(),
        "debug when asked for: {v}"
    );
    assert_valid(&corpus, &v["citations"]);
    let (_, body) = call_text(
        &app,
        post(
            "/v1/ask",
            r#"{"question": "Where did Delta Robotics open a lab?", "top_k": 2, "stream": true}"#,
        ),
    )
    .await;
    let events = sse_events(&body);
    let (name, data) = events.last().unwrap();
    assert_eq!(name, "done", "{events:?}");
    let done: Value = serde_json::from_str(data).unwrap();
    assert_eq!(done["mode"], "generative");
    assert!(events.iter().any(|(n, _)| n == "delta"), "{events:?}");
    assert_valid(&corpus, &done["citations"]);
    // And over a real socket: an SSE response read until the server closes it.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(factcheck::server::serve(
        listener,
        AppState::with_answerer(answerer),
        async {
            let _ = rx.await;
        },
    ));
    let body = r#"{"claim": "Omega Bank has 40 branches.", "top_k": 2, "stream": true}"#;
    let request = format!(
        "POST /v1/check HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut raw = String::new();
    stream.read_to_string(&mut raw).await.unwrap();
    assert!(raw.starts_with("HTTP/1.1 200"), "{raw}");
    assert!(raw.contains("text/event-stream"), "{raw}");
    assert!(raw.contains("event: done"), "{raw}");
    assert!(raw.contains("\"mode\":\"generative\""), "{raw}");
    tx.send(()).unwrap();
    server.await.unwrap().unwrap();
}

#[tokio::test]
async fn while_the_model_loads_health_says_so_and_answers_come_from_the_evidence() {
    let (release, gate) = mpsc::channel::<()>();
    let engine = EngineHandle::with_loader(EngineConfig::default(), move || {
        let _ = gate.recv();
        Err(EngineError::BadModel("broken weights".into()))
    })
    .unwrap();
    let answerer = Answerer::new(
        Arc::new(common::seed_retriever()),
        engine.clone(),
        Prompts::builtin(),
    );
    let app = router(AppState::with_answerer(Arc::new(answerer)));
    let health = || get("/health");
    let (_, v) = call(&app, health()).await;
    assert_eq!(v["model"]["status"], "loading", "{v}");
    let (status, v) = call(
        &app,
        post("/v1/ask", format!(r#"{{"question": "{Q_CASH}"}}"#)),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(v["mode"], "extractive");
    assert!(v["notice"].as_str().unwrap().contains("loading"), "{v}");
    release.send(()).unwrap();
    let e = engine.clone();
    tokio::task::spawn_blocking(move || {
        let start = Instant::now();
        while matches!(e.status(), EngineStatus::Loading { .. }) {
            assert!(start.elapsed() < Duration::from_secs(5));
            std::thread::sleep(Duration::from_millis(5));
        }
    })
    .await
    .unwrap();
    let (_, v) = call(&app, health()).await;
    assert_eq!(v["model"]["status"], "failed", "{v}");
    assert!(v["model"]["reason"]
        .as_str()
        .unwrap()
        .contains("broken weights"));
}
