//! The generation loop on tiny random models: determinism, stops, limits, UTF-8-safe
//! streaming, constrained decoding, the prefix cache.

use std::path::PathBuf;
use std::sync::atomic::AtomicBool;

use factcheck::devtools::random::write_preset;
use factcheck::engine::constraint::{TokenMask, Vocab};
use factcheck::engine::generate::{generate, TextStream};
use factcheck::engine::{
    ChatMessage, EngineError, Event, FinishReason, GenerateRequest, LoadedModel, MarkerConstraint,
    SamplingParams, Timings, TokenConstraint,
};
use proptest::prelude::*;

/// Tiny models gain nothing from threads, and candle's spinning pool makes parallel tests
/// crawl on a busy 2-core machine: run the model single-threaded. Every test calls this
/// before its first tensor operation, so no thread reads the environment meanwhile.
fn setup() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| factcheck::engine::set_threads(1));
}

fn tiny(preset: &str) -> (tempfile::TempDir, PathBuf) {
    setup();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(format!("{preset}.gguf"));
    write_preset(preset, &path, 11).unwrap();
    (dir, path)
}

struct Run {
    deltas: Vec<String>,
    finish: Option<FinishReason>,
    timings: Timings,
    started: Option<usize>,
}

impl Run {
    fn text(&self) -> String {
        self.deltas.concat()
    }
}

fn run(lm: &mut LoadedModel, req: GenerateRequest) -> Result<Run, EngineError> {
    let mut r = Run {
        deltas: vec![],
        finish: None,
        timings: Timings::default(),
        started: None,
    };
    let mut sink = |ev: Event| {
        match ev {
            Event::Started { prompt_tokens } => r.started = Some(prompt_tokens),
            Event::Delta(d) => r.deltas.push(d),
            Event::Done {
                finish_reason,
                timings,
            } => {
                r.finish = Some(finish_reason);
                r.timings = timings;
            }
            Event::Error(e) => panic!("error event from generate: {e}"),
            Event::Scores(_) => panic!("scores from a generation job"),
        }
        true
    };
    generate(lm, req, &AtomicBool::new(false), &mut sink)?;
    Ok(r)
}

fn chat(user: &str) -> Vec<ChatMessage> {
    vec![
        ChatMessage::new(
            "system",
            "You answer from the given passages only and cite them like [P1].",
        ),
        ChatMessage::new("user", user),
    ]
}

fn request(max_tokens: usize, sampling: SamplingParams) -> GenerateRequest {
    let mut req = GenerateRequest::new(chat("소프트뱅크는 무엇을 발표했나요?"));
    req.max_tokens = max_tokens;
    req.sampling = sampling;
    req
}

fn sampled(seed: u64) -> SamplingParams {
    SamplingParams {
        temperature: 0.9,
        top_p: Some(0.95),
        top_k: Some(50),
        seed,
        ..SamplingParams::default()
    }
}

#[test]
fn greedy_and_seeded_generation_are_deterministic() {
    for preset in ["tiny-qwen2", "tiny-qwen3", "tiny-llama", "tiny-gemma3"] {
        let (_d, path) = tiny(preset);
        let mut lm = LoadedModel::load(&path).unwrap();
        let a = run(&mut lm, request(24, SamplingParams::default())).unwrap();
        let b = run(&mut lm, request(24, SamplingParams::default())).unwrap();
        assert_eq!(a.text(), b.text(), "{preset} greedy");
        let c = run(&mut lm, request(24, sampled(5))).unwrap();
        let d = run(&mut lm, request(24, sampled(5))).unwrap();
        assert_eq!(c.text(), d.text(), "{preset} seeded");
        assert!(a.started.unwrap() > 10);
        assert!(a.timings.completion_tokens <= 24);
    }
}

#[test]
fn max_tokens_ends_with_length() {
    let (_d, path) = tiny("tiny-qwen2");
    let mut lm = LoadedModel::load(&path).unwrap();
    let mut req = request(7, sampled(3));
    // Keep EOS away so the limit is what stops it.
    req.constraint = Some(Box::new(NoEos));
    let r = run(&mut lm, req).unwrap();
    assert_eq!(r.finish, Some(FinishReason::Length));
    assert_eq!(r.timings.completion_tokens, 7);
    assert!(r.timings.ttft_ms > 0.0 && r.timings.prefill_ms > 0.0);
}

struct NoEos;
impl TokenConstraint for NoEos {
    fn allowed(&mut self, _generated: &str, vocab: &Vocab) -> Option<TokenMask> {
        Some(TokenMask::Deny(
            (0..vocab.len() as u32)
                .filter(|&i| vocab.is_eos(i) || vocab.text(i).is_empty())
                .collect(),
        ))
    }
}

/// Forces `text` first (fed as one batch), then keeps EOS away.
struct Forces {
    text: String,
}
impl TokenConstraint for Forces {
    fn allowed(&mut self, generated: &str, vocab: &Vocab) -> Option<TokenMask> {
        assert!(
            generated.starts_with(&self.text) || self.text.starts_with(generated),
            "asked for a mask inside the forced text: {generated:?}"
        );
        NoEos.allowed(generated, vocab)
    }
    fn forced(&mut self, generated: &str) -> Option<String> {
        self.text
            .strip_prefix(generated)
            .filter(|rest| !rest.is_empty())
            .map(str::to_string)
    }
}

#[test]
fn forced_text_is_fed_in_one_batch_and_counted() {
    for preset in ["tiny-qwen2", "tiny-llama"] {
        let (_d, path) = tiny(preset);
        let mut lm = LoadedModel::load(&path).unwrap();
        let text = "근거: [P1] \"소프트".to_string();
        let mut req = request(40, SamplingParams::default());
        req.constraint = Some(Box::new(Forces { text: text.clone() }));
        let r = run(&mut lm, req).unwrap();
        assert!(r.text().starts_with(&text), "{preset}: {:?}", r.text());
        assert!(
            r.text().len() > text.len(),
            "{preset}: the model goes on after it"
        );
        assert_eq!(r.timings.completion_tokens, 40, "{preset}");
        // A forced run longer than the budget is cut at `max_tokens`.
        let mut req = request(3, SamplingParams::default());
        req.constraint = Some(Box::new(Forces { text: text.clone() }));
        let r = run(&mut lm, req).unwrap();
        assert_eq!(r.timings.completion_tokens, 3, "{preset}");
        assert_eq!(r.finish, Some(FinishReason::Length));
        let shown = r.text();
        let shown = shown.trim_end_matches('\u{FFFD}');
        assert!(text.starts_with(shown), "{preset}: {shown:?}");
    }
}

#[test]
fn stop_strings_cut_the_output() {
    let (_d, path) = tiny("tiny-llama");
    let mut lm = LoadedModel::load(&path).unwrap();
    let mut req = request(60, sampled(9));
    req.constraint = Some(Box::new(NoEos));
    let full = run(&mut lm, req).unwrap().text();
    let chars: Vec<char> = full.chars().collect();
    assert!(chars.len() > 20, "{full:?}");
    let stop: String = chars[10..13].iter().collect();
    let expected = &full[..full.find(&stop).unwrap()];
    let mut req = request(60, sampled(9));
    req.constraint = Some(Box::new(NoEos));
    req.stop = vec![stop.clone()];
    let r = run(&mut lm, req).unwrap();
    assert_eq!(r.text(), expected, "stop {stop:?}");
    assert_eq!(r.finish, Some(FinishReason::Stop));
}

#[test]
fn context_guard_refuses_too_long_requests() {
    let (_d, path) = tiny("tiny-qwen3");
    let mut lm = LoadedModel::load(&path).unwrap();
    match run(&mut lm, request(10_000, SamplingParams::default())) {
        Err(EngineError::ContextOverflow { limit: 512, needed }) => assert!(needed > 10_000),
        other => panic!("{:?}", other.err()),
    }
    let long = "가".repeat(400);
    let mut req = GenerateRequest::new(vec![ChatMessage::new("user", &long)]);
    req.max_tokens = 1;
    assert!(matches!(
        run(&mut lm, req),
        Err(EngineError::ContextOverflow { .. })
    ));
}

#[test]
fn bad_sampling_settings_are_refused() {
    let (_d, path) = tiny("tiny-qwen2");
    let mut lm = LoadedModel::load(&path).unwrap();
    let bad = SamplingParams {
        top_p: Some(1.5),
        ..SamplingParams::default()
    };
    match run(&mut lm, request(5, bad)) {
        Err(EngineError::InvalidRequest(m)) => assert!(m.contains("top_p")),
        other => panic!("{:?}", other.err()),
    }
}

#[test]
fn sink_returning_false_cancels_within_one_token() {
    let (_d, path) = tiny("tiny-qwen2");
    let mut lm = LoadedModel::load(&path).unwrap();
    let mut req = request(100, sampled(1));
    req.constraint = Some(Box::new(NoEos));
    let mut deltas = 0;
    let mut done = None;
    let mut sink = |ev: Event| match ev {
        Event::Delta(_) => {
            deltas += 1;
            deltas < 3
        }
        Event::Done { finish_reason, .. } => {
            done = Some(finish_reason);
            true
        }
        _ => true,
    };
    generate(&mut lm, req, &AtomicBool::new(false), &mut sink).unwrap();
    assert_eq!(deltas, 3);
    assert_eq!(done, Some(FinishReason::Cancelled));
}

#[test]
fn streamed_korean_generation_is_whole_characters() {
    let (_d, path) = tiny("tiny-qwen2");
    let mut lm = LoadedModel::load(&path).unwrap();
    for seed in 0..4 {
        let mut req = request(
            40,
            SamplingParams {
                temperature: 1.5,
                seed,
                ..SamplingParams::default()
            },
        );
        req.constraint = Some(Box::new(NoEos));
        let r = run(&mut lm, req).unwrap();
        for d in &r.deltas {
            assert!(!d.is_empty());
        }
    }
}

/// Forces `[` every few tokens, otherwise defers to the marker constraint, so the random model
/// opens many markers.
struct ForceBrackets {
    inner: MarkerConstraint,
    step: usize,
}

impl TokenConstraint for ForceBrackets {
    fn allowed(&mut self, generated: &str, vocab: &Vocab) -> Option<TokenMask> {
        self.step += 1;
        let inner = self.inner.allowed(generated, vocab);
        if inner.is_none() || matches!(inner, Some(TokenMask::Deny(_))) {
            if self.step.is_multiple_of(4) {
                let open: Vec<u32> = (0..vocab.len() as u32)
                    .filter(|&i| vocab.text(i) == "[")
                    .collect();
                return Some(TokenMask::Allow(open));
            }
            let mut deny = match inner {
                Some(TokenMask::Deny(d)) => d,
                _ => vec![],
            };
            deny.extend((0..vocab.len() as u32).filter(|&i| vocab.is_eos(i)));
            return Some(TokenMask::Deny(deny));
        }
        inner
    }
}

fn markers(text: &str) -> Vec<String> {
    let mut out = vec![];
    let mut rest = text;
    while let Some(open) = rest.find('[') {
        match rest[open..].find(']') {
            Some(close) => {
                out.push(rest[open + 1..open + close].to_string());
                rest = &rest[open + close + 1..];
            }
            None => break,
        }
    }
    out
}

#[test]
fn marker_constraint_only_names_allowed_labels() {
    for preset in ["tiny-qwen2", "tiny-gemma3"] {
        let (_d, path) = tiny(preset);
        let mut lm = LoadedModel::load(&path).unwrap();
        let mut seen = 0;
        for seed in 0..6 {
            let mut req = request(
                80,
                SamplingParams {
                    temperature: 1.2,
                    seed,
                    ..SamplingParams::default()
                },
            );
            req.constraint = Some(Box::new(ForceBrackets {
                inner: MarkerConstraint::new(&["P1", "P2", "P12"]),
                step: 0,
            }));
            let text = run(&mut lm, req).unwrap().text();
            for m in markers(&text) {
                assert!(
                    ["P1", "P2", "P12"].contains(&m.as_str()),
                    "{preset}: marker [{m}] in {text:?}"
                );
                seen += 1;
            }
        }
        assert!(seen >= 6, "{preset}: only {seen} markers generated");
    }
}

#[test]
fn prefix_cache_gives_the_same_output() {
    for preset in ["tiny-qwen3", "tiny-gemma3", "tiny-llama"] {
        prefix_cache_case(preset);
    }
}

fn prefix_cache_case(preset: &str) {
    let (_d, path) = tiny(preset);
    let mut lm = LoadedModel::load(&path).unwrap();
    let mk = |cache: bool, user: &str| {
        let mut req = GenerateRequest::new(chat(user));
        req.max_tokens = 20;
        req.use_prefix_cache = cache;
        req
    };
    let cold = run(&mut lm, mk(false, "첫 질문")).unwrap();
    let fill = run(&mut lm, mk(true, "첫 질문")).unwrap();
    let hit = run(&mut lm, mk(true, "첫 질문")).unwrap();
    assert_eq!(fill.timings.cached_prompt_tokens, 0);
    assert!(
        hit.timings.cached_prompt_tokens > 10,
        "{preset}: {:?}",
        hit.timings
    );
    assert_eq!(cold.text(), fill.text());
    assert_eq!(cold.text(), hit.text());
    let other_cold = run(&mut lm, mk(false, "다른 질문입니다")).unwrap();
    let other_hit = run(&mut lm, mk(true, "다른 질문입니다")).unwrap();
    assert!(other_hit.timings.cached_prompt_tokens > 10);
    assert_eq!(other_cold.text(), other_hit.text());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn stream_never_splits_characters(text in "[가-힣a-z \\[\\]P0-9.]{0,40}", cuts in prop::collection::vec(1usize..5, 0..30)) {
        let bytes = text.as_bytes();
        let mut s = TextStream::new(&[]);
        let mut out = String::new();
        let mut at = 0;
        for c in cuts.iter().cycle().take(bytes.len()) {
            if at >= bytes.len() { break; }
            let end = (at + c).min(bytes.len());
            let (delta, stop) = s.push(&bytes[at..end]);
            prop_assert!(!stop);
            prop_assert!(!delta.contains(char::REPLACEMENT_CHARACTER));
            out.push_str(&delta);
            at = end;
        }
        if at < bytes.len() {
            out.push_str(&s.push(&bytes[at..]).0);
        }
        out.push_str(&s.flush());
        prop_assert_eq!(out, text);
    }

    #[test]
    fn korean_through_the_byte_level_tokenizer_streams_whole_characters(text in "[가-힣 ]{1,30}") {
        static MODEL: std::sync::OnceLock<(tempfile::TempDir, PathBuf)> = std::sync::OnceLock::new();
        let (_, path) = MODEL.get_or_init(|| tiny("tiny-qwen2"));
        let lm = LoadedModel::load(path).unwrap();
        let ids = lm.codec.encode(&text).unwrap();
        let mut s = TextStream::new(&[]);
        let mut out = String::new();
        for id in ids {
            let (d, _) = s.push(lm.codec.piece(id));
            prop_assert!(!d.contains(char::REPLACEMENT_CHARACTER));
            out.push_str(&d);
        }
        prop_assert_eq!(out, text);
    }
}

#[test]
fn cancel_flag_set_before_prefill_stops_at_once() {
    let (_d, path) = tiny("tiny-qwen2");
    let mut lm = LoadedModel::load(&path).unwrap();
    let mut events = vec![];
    let mut sink = |ev: Event| {
        events.push(format!("{ev:?}"));
        true
    };
    generate(
        &mut lm,
        request(50, SamplingParams::default()),
        &AtomicBool::new(true),
        &mut sink,
    )
    .unwrap();
    assert_eq!(events.len(), 2, "{events:?}");
    assert!(events[1].contains("Cancelled"), "{events:?}");
}

#[test]
fn scores_equal_the_log_probabilities_of_one_pass() {
    use candle_core::{IndexOp, D};
    use factcheck::engine::score::{score, ScoreItem, ScoreRequest, MAX_SCORE_ITEMS};
    for preset in ["tiny-qwen3", "tiny-gemma3"] {
        let (_d, path) = tiny(preset);
        let mut lm = LoadedModel::load(&path).unwrap();
        let cancel = AtomicBool::new(false);
        let item = |user: &str, cont: &str| ScoreItem {
            messages: chat(user),
            continuation: cont.to_string(),
        };
        let req = ScoreRequest {
            items: vec![
                item("첫 질문", "소프트뱅크는 발표했다"),
                item("두 번째 질문", "소프트뱅크는 발표했다"),
                item("첫 질문", ""),
            ],
        };
        let got = score(&mut lm, &req, &cancel).unwrap().unwrap();
        assert_eq!(got.len(), 3);
        assert_eq!(got[2].tokens, 0);
        assert_eq!(got[2].logprob, 0.0);
        // The same figure from one teacher-forced pass over prompt and continuation.
        let prompt = lm.prompt(&chat("첫 질문")).unwrap().tokens;
        let cont = lm
            .codec
            .encode_with("소프트뱅크는 발표했다", false, false)
            .unwrap();
        assert_eq!(got[0].tokens, cont.len());
        let all: Vec<u32> = prompt.iter().chain(&cont).copied().collect();
        lm.model.clear_cache();
        let rows = lm.model.forward_all(&all).unwrap();
        let lp = candle_nn::ops::log_softmax(&rows, D::Minus1).unwrap();
        let want: f32 = cont
            .iter()
            .enumerate()
            .map(|(i, &t)| {
                let row = prompt.len() + i - 1;
                lp.i((row, t as usize)).unwrap().to_scalar::<f32>().unwrap()
            })
            .sum();
        assert!(
            (got[0].logprob - want).abs() < 0.05 * cont.len() as f32,
            "{preset}: {} vs {want}",
            got[0].logprob
        );
        assert!(got[0].logprob < 0.0);
        // Too many items is a clear error, not a long job.
        let many = ScoreRequest {
            items: vec![item("q", "a"); MAX_SCORE_ITEMS + 1],
        };
        let err = score(&mut lm, &many, &cancel).unwrap_err();
        assert!(err.to_string().contains("at most"), "{err}");
        // A cancelled job stops.
        let stop = AtomicBool::new(true);
        assert!(score(&mut lm, &req, &stop).unwrap().is_none());
    }
}
