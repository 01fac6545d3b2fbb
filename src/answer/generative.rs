//! The model-driven path: render the prompt, submit a constrained generation job to the engine
//! (citation markers may only name the labels given), stream its text, verify citations as
//! soon as their sentence is complete, and build the response.
//!
//! Policies:
//! - The engine not ready (no model, loading, failed) or failing mid-job → evidence mode, with a
//!   notice when a model is configured.
//! - A prompt too long for the model's context → fewer or shorter passages, once; then evidence
//!   mode.
//! - A full queue → [`AnswerError::Busy`] (503 for HTTP clients).
//! - The answer is sanitised (markdown images/links and HTML removed) before parsing.
//! - `NO_ANSWER`, or an answer left without a valid citation → abstention.
//! - Claim verdicts: `VERDICT: …` on the first line (unknown → `not_enough_info`), then the
//!   signals adjust it: a `conflicting` figure makes any firm verdict `disputed`; a `mismatch`
//!   (and no match) turns `supported` into `refuted`; a firm verdict without a valid citation
//!   becomes `not_enough_info`.

use std::time::Instant;

use super::citations::{resolve, resolve_marked, sanitize, split_marked};
use super::context::{self, ContextPassage};
use super::extractive::{abstain, describe_signals, side_from_signals};
use super::prompts::NO_ANSWER;
use super::signals::{summary, Signal, Status};
use super::{
    is_korean, AnswerError, Answerer, AskResponse, CheckResponse, Citation, Fallback, Kind, Mode,
    Progress, RejectedCitations, Side, Timings, Verdict,
};
use crate::engine::worker::JobStream;
use crate::engine::{
    ChatMessage, EngineError, Event, GenerateRequest, MarkerConstraint, Timings as EngineTimings,
};
use crate::text::char_len;

/// What one generation produced.
struct Generated {
    text: String,
    timings: Option<EngineTimings>,
    ms: f64,
    /// Citations already sent to `progress` while streaming.
    emitted: Vec<Citation>,
}

fn language(text: &str) -> &'static str {
    if is_korean(text) {
        "Korean"
    } else {
        "English"
    }
}

/// Why one attempt at generating did not produce text.
enum Stop {
    /// Give up on the model.
    Fallback(Fallback),
    /// The prompt did not fit: `prompt_tokens` were needed for the prompt, `room` are available.
    Overflow { prompt_tokens: usize, room: usize },
}

/// Generates for `ctx`; when the prompt does not fit the model's context, drops or trims
/// passages to an estimated fit and tries once more.
async fn generate(
    a: &Answerer,
    kind: Kind,
    input: &str,
    signals: &str,
    ctx: &mut Vec<ContextPassage>,
    progress: &mut (dyn FnMut(Progress) + Send),
) -> Result<Generated, Fallback> {
    for _ in 0..2 {
        let (system, user) = a
            .prompts()
            .render(kind, input, language(input), signals, ctx)
            .map_err(Fallback::Error)?;
        let prompt_chars = char_len(&system) + char_len(&user);
        match attempt(a, kind, system, user, ctx, progress).await {
            Ok(g) => return Ok(g),
            Err(Stop::Fallback(f)) => return Err(f),
            Err(Stop::Overflow {
                prompt_tokens,
                room,
            }) => {
                let fits = context::fit_chars(ctx, prompt_chars, prompt_tokens, room)
                    .is_some_and(|chars| context::shrink(ctx, chars));
                if !fits {
                    break;
                }
                tracing::info!(
                    passages = ctx.len(),
                    "prompt too long for the model; retrying with less context"
                );
            }
        }
    }
    Err(Fallback::Extractive(Some(
        "the question and passages do not fit the model's context; answered from the evidence"
            .into(),
    )))
}

/// Submits one job and reads it.
async fn attempt(
    a: &Answerer,
    kind: Kind,
    system: String,
    user: String,
    ctx: &[ContextPassage],
    progress: &mut (dyn FnMut(Progress) + Send),
) -> Result<Generated, Stop> {
    let labels: Vec<&str> = ctx.iter().map(|p| p.label.as_str()).collect();
    let mut req = GenerateRequest::new(vec![
        ChatMessage::new("system", &system),
        ChatMessage::new("user", &user),
    ]);
    req.max_tokens = match kind {
        Kind::Question => a.config().max_answer_tokens,
        Kind::Claim => a.config().max_check_tokens,
    };
    let max_tokens = req.max_tokens;
    req.constraint = Some(Box::new(MarkerConstraint::new(&labels)));
    let start = Instant::now();
    let mut stream = match a.engine().submit(req) {
        Ok(s) => s,
        Err(EngineError::Busy) => return Err(Stop::Fallback(Fallback::Error(AnswerError::Busy))),
        Err(EngineError::NotReady(why)) => {
            let configured = !matches!(a.engine().status(), crate::engine::EngineStatus::None);
            let notice = configured.then(|| format!("{why}; answered from the evidence"));
            return Err(Stop::Fallback(Fallback::Extractive(notice)));
        }
        Err(e) => {
            tracing::warn!("model engine unavailable ({e}); answering in evidence mode");
            return Err(Stop::Fallback(Fallback::Extractive(Some(format!(
                "the model is unavailable ({e}); answered from the evidence"
            )))));
        }
    };
    let _in_flight = InFlight::new();
    let mut g = consume(&mut stream, kind, ctx, a, progress)
        .await
        .map_err(|e| match e {
            EngineError::ContextOverflow { needed, limit } => Stop::Overflow {
                prompt_tokens: needed.saturating_sub(max_tokens),
                room: limit.saturating_sub(max_tokens),
            },
            e => {
                tracing::warn!("generation failed ({e}); answering in evidence mode");
                Stop::Fallback(Fallback::Extractive(Some(format!(
                    "generation failed ({e}); answered from the evidence"
                ))))
            }
        })?;
    g.ms = start.elapsed().as_secs_f64() * 1000.0;
    Ok(g)
}

/// Counts a model job as in flight (queued or running) for as long as it is read, cancellation
/// included: `factcheck_model_jobs_in_flight`, the queue depth seen from the server.
struct InFlight;

impl InFlight {
    fn new() -> InFlight {
        metrics::gauge!("factcheck_model_jobs_in_flight").increment(1.0);
        InFlight
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        metrics::gauge!("factcheck_model_jobs_in_flight").decrement(1.0);
    }
}

/// Reads a job's events: passes deltas on, and verifies the citations of each sentence as soon
/// as the next sentence starts (so they can be streamed before the answer is finished).
async fn consume(
    stream: &mut JobStream,
    kind: Kind,
    ctx: &[ContextPassage],
    a: &Answerer,
    progress: &mut (dyn FnMut(Progress) + Send),
) -> Result<Generated, EngineError> {
    let corpus = a.retriever().corpus();
    let mut text = String::new();
    let mut emitted: Vec<Citation> = Vec::new();
    let mut timings = None;
    while let Some(ev) = stream.recv().await {
        match ev {
            Event::Started { .. } => {}
            Event::Delta(d) => {
                text.push_str(&d);
                progress(Progress::Delta(d));
                let body = match kind {
                    Kind::Claim => split_verdict(&text).1,
                    Kind::Question => text.clone(),
                };
                let marked = split_marked(&sanitize(&body));
                if marked.len() > 1 {
                    let done = resolve_marked(&marked[..marked.len() - 1], ctx, corpus);
                    for c in done.citations {
                        if !emitted.contains(&c) {
                            progress(Progress::Citation(c.clone()));
                            emitted.push(c);
                        }
                    }
                }
            }
            Event::Done { timings: t, .. } => {
                metrics::histogram!("factcheck_ttft_seconds").record(t.ttft_ms / 1000.0);
                metrics::histogram!("factcheck_decode_tokens_per_second")
                    .record(t.decode_tokens_per_s);
                metrics::counter!("factcheck_generated_tokens_total")
                    .increment(t.completion_tokens as u64);
                timings = Some(t);
                break;
            }
            Event::Error(e) => return Err(e),
        }
    }
    Ok(Generated {
        text,
        timings,
        ms: 0.0,
        emitted,
    })
}

fn timings(g: &Generated) -> Timings {
    Timings {
        generation_ms: g.ms,
        prompt_tokens: g.timings.as_ref().map(|t| t.prompt_tokens),
        completion_tokens: g.timings.as_ref().map(|t| t.completion_tokens),
        ..Timings::default()
    }
}

/// Answers with the model.
pub(crate) async fn ask(
    a: &Answerer,
    question: &str,
    mut ctx: Vec<ContextPassage>,
    progress: &mut (dyn FnMut(Progress) + Send),
) -> Result<AskResponse, Fallback> {
    let g = generate(a, Kind::Question, question, "", &mut ctx, progress).await?;
    let clean = sanitize(&g.text);
    let resolved = resolve(&clean, &ctx, a.retriever().corpus());
    let rejected = RejectedCitations::from(resolved.rejected);
    if clean.contains(NO_ANSWER) || resolved.citations.is_empty() {
        let mut r = abstain(question, Mode::Generative, ctx);
        r.rejected_citations = rejected;
        r.timings = timings(&g);
        return Ok(r);
    }
    for c in resolved.citations.iter().filter(|c| !g.emitted.contains(c)) {
        progress(Progress::Citation(c.clone()));
    }
    let answer = join_sentences(&resolved.sentences);
    Ok(AskResponse {
        answer,
        abstained: false,
        mode: Mode::Generative,
        citations: resolved.citations,
        rejected_citations: rejected,
        sentences: resolved.sentences,
        passages: ctx,
        timings: timings(&g),
        notice: None,
    })
}

fn join_sentences(sentences: &[super::SentenceView]) -> String {
    sentences
        .iter()
        .map(|s| s.text.as_str())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Splits a check reply into its verdict (from the first line naming one) and the rest.
pub fn split_verdict(text: &str) -> (Option<Verdict>, String) {
    let mut verdict = None;
    let mut rest = Vec::new();
    for line in text.lines() {
        let lower = line.to_ascii_lowercase();
        match lower.find("verdict") {
            Some(at)
                if verdict.is_none()
                    && line[at + "verdict".len()..]
                        .trim_start_matches([' ', '*'])
                        .starts_with(':') =>
            {
                let after = &line[at + "verdict".len()..];
                let word = after
                    .trim_start_matches([':', ' ', '*'])
                    .trim_end_matches('*');
                verdict = Some(Verdict::parse(word).unwrap_or(Verdict::NotEnoughInfo));
            }
            _ => rest.push(line),
        }
    }
    (verdict, rest.join("\n"))
}

/// The verdict after the signals and the citations have their say (see the module docs).
pub fn decide(model: Verdict, signals: &[Signal], has_citations: bool) -> Verdict {
    let firm = matches!(
        model,
        Verdict::Supported | Verdict::Refuted | Verdict::Disputed
    );
    if firm && !has_citations {
        return Verdict::NotEnoughInfo;
    }
    match (model, summary(signals)) {
        (m, Some(Status::Conflicting)) if firm && m != Verdict::Disputed => Verdict::Disputed,
        (Verdict::Supported, Some(Status::Mismatch)) => Verdict::Refuted,
        (m, _) => m,
    }
}

/// Checks a claim with the model.
pub(crate) async fn check(
    a: &Answerer,
    claim: &str,
    mut ctx: Vec<ContextPassage>,
    signals: Vec<Signal>,
    progress: &mut (dyn FnMut(Progress) + Send),
) -> Result<CheckResponse, Fallback> {
    let figures = describe_signals(&signals, false);
    let g = generate(a, Kind::Claim, claim, &figures, &mut ctx, progress).await?;
    let (model_verdict, body) = split_verdict(&sanitize(&g.text));
    let resolved = resolve(&body, &ctx, a.retriever().corpus());
    let model_verdict = model_verdict.unwrap_or(Verdict::NotEnoughInfo);
    let verdict = decide(model_verdict, &signals, !resolved.citations.is_empty());
    let mut citations = resolved.citations;
    for c in &mut citations {
        c.side = match verdict {
            Verdict::Supported => Some(Side::Supports),
            Verdict::Refuted => side_from_signals(c, &signals).or(Some(Side::Refutes)),
            Verdict::Disputed => side_from_signals(c, &signals),
            _ => side_from_signals(c, &signals),
        };
        let plain = Citation {
            side: None,
            ..c.clone()
        };
        if !g.emitted.contains(&plain) {
            progress(Progress::Citation(c.clone()));
        }
    }
    let mut explanation = join_sentences(&resolved.sentences);
    if explanation.is_empty() || verdict != model_verdict {
        let note = verdict_note(verdict, model_verdict, is_korean(claim));
        explanation = format!("{note} {explanation}").trim().to_string();
    }
    Ok(CheckResponse {
        verdict,
        explanation,
        citations,
        rejected_citations: RejectedCitations::from(resolved.rejected),
        signals,
        mode: Mode::Generative,
        passages: ctx,
        timings: timings(&g),
        notice: None,
    })
}

/// Why the verdict differs from the model's, or a default explanation.
fn verdict_note(verdict: Verdict, model: Verdict, korean: bool) -> &'static str {
    match (verdict, verdict == model, korean) {
        (Verdict::NotEnoughInfo, false, true) => "유효한 근거 인용이 없어 판단을 보류합니다.",
        (Verdict::NotEnoughInfo, false, false) => {
            "No valid citation backs a verdict, so there is not enough information."
        }
        (Verdict::Disputed, false, true) => {
            "자료마다 수치가 서로 달라 논란이 있는 주장으로 판단합니다."
        }
        (Verdict::Disputed, false, false) => "The sources give different figures for this claim.",
        (Verdict::Refuted, false, true) => "주장의 수치가 근거 자료의 수치와 다릅니다.",
        (Verdict::Refuted, false, false) => "The claim's figures differ from the evidence.",
        (_, _, true) => "자료에서 이 주장을 판단할 근거를 찾지 못했습니다.",
        (_, _, false) => "The corpus holds no evidence that settles this claim.",
    }
}

/// The response when retrieval is too weak to judge the claim (model loaded).
pub fn not_enough_info(
    claim: &str,
    passages: Vec<ContextPassage>,
    signals: Vec<Signal>,
) -> CheckResponse {
    CheckResponse {
        verdict: Verdict::NotEnoughInfo,
        explanation: verdict_note(
            Verdict::NotEnoughInfo,
            Verdict::NotEnoughInfo,
            is_korean(claim),
        )
        .to_string(),
        citations: Vec::new(),
        rejected_citations: RejectedCitations::default(),
        signals,
        mode: Mode::Generative,
        passages,
        timings: Timings::default(),
        notice: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verdict_line_is_found_and_removed() {
        let (v, rest) = split_verdict("VERDICT: disputed\n두 자료가 다르다 [P1].");
        assert_eq!(v, Some(Verdict::Disputed));
        assert_eq!(rest, "두 자료가 다르다 [P1].");
        let (v, _) = split_verdict("**Verdict**: maybe\nx");
        assert_eq!(v, Some(Verdict::NotEnoughInfo));
        assert_eq!(split_verdict("no verdict here").0, None);
    }

    #[test]
    fn decisions() {
        assert_eq!(
            decide(Verdict::Supported, &[], false),
            Verdict::NotEnoughInfo
        );
        assert_eq!(decide(Verdict::Supported, &[], true), Verdict::Supported);
        assert_eq!(
            decide(Verdict::NotEnoughInfo, &[], false),
            Verdict::NotEnoughInfo
        );
    }
}
