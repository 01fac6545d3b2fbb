//! The engine thread: status transitions, a full queue, cancellation by dropping the stream,
//! and the real candle backend behind the handle.

mod common;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::fake::{FakeModel, Script};
use factcheck::devtools::random::write_preset;
use factcheck::engine::{
    Backend, ChatMessage, EngineConfig, EngineError, EngineHandle, EngineStatus, Event,
    GenerateRequest,
};

/// The shared fake writing `tok ` until `max_tokens`, optionally waiting on a gate first; with
/// the count of pieces written and the flag set when it stops early.
fn fake(gate: Option<mpsc::Receiver<()>>) -> (Box<dyn Backend>, Arc<AtomicUsize>, Arc<AtomicBool>) {
    let b = FakeModel {
        name: "fake",
        context_length: 100,
        delay: Duration::from_millis(2),
        prompt_tokens: 1,
        ..FakeModel::new(Script::Tokens)
    }
    .gated(gate);
    let (emitted, stopped) = (b.probe.emitted.clone(), b.probe.cancelled.clone());
    (Box::new(b), emitted, stopped)
}

/// Tiny models gain nothing from threads, and candle's spinning pool makes parallel tests
/// crawl on a busy 2-core machine: run the model single-threaded. Every test calls this
/// before its first tensor operation, so no thread reads the environment meanwhile.
fn setup() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| factcheck::engine::set_threads(1));
}

fn req(max_tokens: usize) -> GenerateRequest {
    let mut r = GenerateRequest::new(vec![ChatMessage::new("user", "hi")]);
    r.max_tokens = max_tokens;
    r
}

fn wait_for(mut cond: impl FnMut() -> bool) {
    let start = Instant::now();
    while !cond() {
        assert!(start.elapsed() < Duration::from_secs(10), "timed out");
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn status_goes_loading_then_ready_and_jobs_wait_for_nothing() {
    let (release, gate) = mpsc::channel::<()>();
    let (backend, _, _) = fake(None);
    let h = EngineHandle::with_loader(EngineConfig::default(), move || {
        let _ = gate.recv();
        Ok(backend)
    })
    .unwrap();
    assert!(matches!(h.status(), EngineStatus::Loading { .. }));
    assert!(matches!(h.submit(req(1)), Err(EngineError::NotReady(m)) if m.contains("loading")));
    release.send(()).unwrap();
    wait_for(|| matches!(h.status(), EngineStatus::Ready { .. }));
    assert_eq!(
        h.status(),
        EngineStatus::Ready {
            name: "fake".into(),
            architecture: "fake".into(),
            context_length: 100,
            parameters: 1_500_000_000,
        }
    );
    let mut s = h.submit(req(3)).unwrap();
    let mut deltas = 0;
    while let Some(ev) = s.blocking_recv() {
        if let Event::Delta(_) = ev {
            deltas += 1;
        }
    }
    assert_eq!(deltas, 3);
}

#[test]
fn failed_loading_is_reported() {
    let h = EngineHandle::with_loader(EngineConfig::default(), || {
        Err(EngineError::BadModel("broken".into()))
    })
    .unwrap();
    wait_for(|| matches!(h.status(), EngineStatus::Failed { .. }));
    assert!(matches!(h.submit(req(1)), Err(EngineError::NotReady(m)) if m.contains("broken")));
    let none = EngineHandle::none();
    assert_eq!(none.status(), EngineStatus::None);
    assert!(matches!(none.submit(req(1)), Err(EngineError::NotReady(_))));
}

#[test]
fn full_queue_answers_busy_at_once() {
    let (release, gate) = mpsc::channel::<()>();
    let (backend, _, _) = fake(Some(gate));
    let h =
        EngineHandle::with_loader(EngineConfig { queue_capacity: 1 }, move || Ok(backend)).unwrap();
    wait_for(|| matches!(h.status(), EngineStatus::Ready { .. }));
    let first = h.submit(req(1)).unwrap();
    // Wait until the engine has taken the first job off the queue (it blocks on the gate).
    std::thread::sleep(Duration::from_millis(50));
    let second = h.submit(req(1)).unwrap();
    let t = Instant::now();
    assert!(matches!(h.submit(req(1)), Err(EngineError::Busy)));
    assert!(t.elapsed() < Duration::from_millis(100));
    release.send(()).unwrap();
    release.send(()).unwrap();
    for mut s in [first, second] {
        let mut done = false;
        while let Some(ev) = s.blocking_recv() {
            done |= matches!(ev, Event::Done { .. });
        }
        assert!(done);
    }
}

#[test]
fn dropping_the_stream_cancels_the_job() {
    let (backend, emitted, stopped) = fake(None);
    let h = EngineHandle::with_loader(EngineConfig::default(), move || Ok(backend)).unwrap();
    wait_for(|| matches!(h.status(), EngineStatus::Ready { .. }));
    let mut s = h.submit(req(100_000)).unwrap();
    let mut n = 0;
    while n < 3 {
        if let Some(Event::Delta(_)) = s.blocking_recv() {
            n += 1;
        }
    }
    drop(s);
    wait_for(|| stopped.load(Ordering::SeqCst));
    let after = emitted.load(Ordering::SeqCst);
    assert!(after < 300, "kept going: {after} tokens");
    // The engine is free again.
    let mut s = h.submit(req(2)).unwrap();
    let mut done = false;
    while let Some(ev) = s.blocking_recv() {
        done |= matches!(ev, Event::Done { .. });
    }
    assert!(done);
}

#[tokio::test]
async fn candle_backend_streams_from_async_code() {
    setup();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.gguf");
    write_preset("tiny-qwen2", &path, 3).unwrap();
    let h = EngineHandle::start(path, EngineConfig::default()).unwrap();
    let start = Instant::now();
    while !matches!(h.status(), EngineStatus::Ready { .. }) {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "{:?}",
            h.status()
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let h2 = h.clone();
    let mut s = tokio::task::spawn_blocking(move || h2.submit(req(8)))
        .await
        .unwrap()
        .unwrap();
    let mut started = false;
    let mut finished = false;
    while let Some(ev) = s.recv().await {
        match ev {
            Event::Started { prompt_tokens } => started = prompt_tokens > 0,
            Event::Done { .. } => finished = true,
            Event::Error(e) => panic!("{e}"),
            Event::Delta(_) | Event::Scores(_) => {}
        }
    }
    assert!(started && finished);
}

#[test]
fn errors_arrive_as_events() {
    setup();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.gguf");
    write_preset("tiny-llama", &path, 3).unwrap();
    let h = EngineHandle::start(path, EngineConfig::default()).unwrap();
    wait_for(|| matches!(h.status(), EngineStatus::Ready { .. }));
    let mut s = h.submit(req(100_000)).unwrap();
    match s.blocking_recv() {
        Some(Event::Error(EngineError::ContextOverflow { .. })) => {}
        other => panic!("{other:?}"),
    }
    let missing =
        EngineHandle::start(dir.path().join("none.gguf"), EngineConfig::default()).unwrap();
    wait_for(|| matches!(missing.status(), EngineStatus::Failed { .. }));
    match missing.status() {
        EngineStatus::Failed { reason } => assert!(reason.contains("none.gguf"), "{reason}"),
        s => panic!("{s:?}"),
    }
}

#[test]
fn handle_and_stream_can_cross_threads() {
    fn send_sync<T: Send + Sync + Clone>() {}
    fn send<T: Send + 'static>() {}
    send_sync::<EngineHandle>();
    send::<factcheck::engine::JobStream>();
    send::<GenerateRequest>();
}
