//! The model-driven path: render the prompt (with its worked examples), submit a generation job
//! held to the quote-first form ([`super::quoted`]: the model copies its evidence verbatim, then
//! answers or gives a verdict), stream its text, and build the response from verified citations.
//!
//! Policies:
//! - The engine not ready (no model, loading, failed) or failing mid-job → evidence mode, with a
//!   notice when a model is configured.
//! - A prompt too long for the model's context → fewer or shorter passages, once; then evidence
//!   mode.
//! - A full queue → [`AnswerError::Busy`] (503 for HTTP clients).
//! - The answer is sanitised (markdown images/links and HTML removed) before parsing.
//! - `NO_ANSWER`, an answer left without a valid citation, or an answer whose figures no passage
//!   holds → abstention.
//! - Claim verdicts: the form's verdict word (`unknown` → `not_enough_info`), then the
//!   signals adjust it: a `conflicting` figure makes any firm verdict `disputed`; a `mismatch`
//!   (and no match) turns `supported` or `unknown` (with a citation) into `refuted`; a firm verdict without a valid citation
//!   becomes `not_enough_info`.

use std::time::Instant;

use super::citations::{resolve, sanitize};
use super::context::{self, ContextPassage};
use super::extractive::{abstain, describe_signals, side_from_signals};
use super::prompts::NO_ANSWER;
use super::quoted;
use super::signals::{summary, Signal, SignalKind, Status};
use super::{
    is_korean, AnswerError, Answerer, AskResponse, CheckResponse, Citation, Fallback, Kind, Mode,
    ModelDebug, Progress, RejectedCitations, SentenceView, Side, Timings, Verdict,
};
use crate::engine::worker::JobStream;
use crate::engine::{
    ChatMessage, EngineError, Event, GenerateRequest, QuoteFirst, QuoteFirstForm,
    Timings as EngineTimings,
};
use crate::text::char_len;

/// What one generation produced.
struct Generated {
    text: String,
    timings: Option<EngineTimings>,
    ms: f64,
    /// The form the model followed.
    form: crate::engine::QuoteFirstForm,
    /// Citations already sent to `progress` while streaming.
    emitted: Vec<Citation>,
    /// The odds the model gave abstaining over quoting ([`crate::engine::AbstainOdds`]).
    abstain_odds: Option<f32>,
    /// Each choice's log-probability where the model picked one of the form's `choices`
    /// ([`crate::engine::ChoiceLogprobs`]), in their order.
    choice_logprobs: Option<Vec<f32>>,
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
        let (messages, prompt_chars) =
            prompt_messages(a, kind, input, signals, ctx).map_err(Fallback::Error)?;
        match attempt(a, kind, input, messages, ctx, progress).await {
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

/// The chat for a request over `ctx`: the system text, the worked examples as turns, then the
/// request; and its length in characters (to estimate a fit when it overflows).
fn prompt_messages(
    a: &Answerer,
    kind: Kind,
    input: &str,
    signals: &str,
    ctx: &[ContextPassage],
) -> Result<(Vec<ChatMessage>, usize), super::AnswerError> {
    let (system, user) = a
        .prompts()
        .render(kind, input, language(input), signals, ctx)?;
    let examples = a.prompts().examples(kind, language(input))?;
    let mut messages = vec![ChatMessage::new("system", &system)];
    for (u, answer) in examples {
        messages.push(ChatMessage::new("user", &u));
        messages.push(ChatMessage::new("assistant", &answer));
    }
    messages.push(ChatMessage::new("user", &user));
    let chars = messages.iter().map(|m| char_len(&m.content)).sum();
    Ok((messages, chars))
}

/// Submits one job and reads it.
async fn attempt(
    a: &Answerer,
    kind: Kind,
    input: &str,
    messages: Vec<ChatMessage>,
    ctx: &[ContextPassage],
    progress: &mut (dyn FnMut(Progress) + Send),
) -> Result<Generated, Stop> {
    let mut req = GenerateRequest::new(messages);
    req.max_tokens = match kind {
        Kind::Question => a.config().max_answer_tokens,
        Kind::Claim => a.config().max_check_tokens,
    };
    let max_tokens = req.max_tokens;
    let form = quoted::form(kind, input, ctx, a.abstain_bias());
    let constraint = QuoteFirst::new(form.clone());
    let odds = constraint.abstain_odds();
    let choice = constraint.choice_logprobs();
    req.constraint = Some(Box::new(constraint));
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
    let corpus = a.retriever().corpus();
    // A yes/no question's answer line, a forced word, is not shown (`quoted::asks_yes_no`),
    // nor a how or why question's (`quoted::asks_how_or_why`): each is answered with its quote.
    let quote_answers = !form.choices.is_empty() || answers_with_quote(&form, input);
    let hidden = (kind == Kind::Question && quote_answers).then(|| form.answer.clone());
    let mut g = consume(&mut stream, form, hidden.as_deref(), ctx, corpus, progress)
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
    g.abstain_odds = odds.get();
    g.choice_logprobs = choice.get();
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

/// Reads a job's events, passing the text on as it comes (up to `hidden`, the start of a line
/// that is not shown, when there is one), and each quote's citation as soon as its closing
/// mark arrives (before the answer is written).
async fn consume(
    stream: &mut JobStream,
    form: crate::engine::QuoteFirstForm,
    hidden: Option<&str>,
    ctx: &[ContextPassage],
    corpus: &crate::retrieval::corpus::Corpus,
    progress: &mut (dyn FnMut(Progress) + Send),
) -> Result<Generated, EngineError> {
    let mut text = String::new();
    let mut passed = 0;
    let mut timings = None;
    let mut emitted: Vec<Citation> = Vec::new();
    while let Some(ev) = stream.recv().await {
        match ev {
            Event::Started { .. } | Event::Scores(_) => {}
            Event::Delta(d) => {
                let closes = d.contains('"');
                text.push_str(&d);
                let shown = shown_len(&text, hidden);
                if shown > passed {
                    progress(Progress::Delta(text[passed..shown].to_string()));
                    passed = shown;
                }
                if closes && text.starts_with(form.opener.as_str()) {
                    for c in quoted::read(&form, &text, ctx, corpus).citations {
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
        form,
        emitted,
        abstain_odds: None,
        choice_logprobs: None,
    })
}

/// What the model wrote and why parts of it were not kept.
fn debug(g: &Generated, notes: Vec<String>) -> Option<ModelDebug> {
    Some(ModelDebug {
        output: g.text.clone(),
        prompt_tokens: g.timings.as_ref().map(|t| t.prompt_tokens),
        abstain_odds: g.abstain_odds,
        abstain_bias: g.abstain_odds.map(|_| g.form.abstain_bias),
        verdict_logprobs: g
            .choice_logprobs
            .as_deref()
            .and_then(quoted::verdict_logprobs),
        notes,
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
    let corpus = a.retriever().corpus();
    if !g.text.starts_with(g.form.opener.as_str()) {
        return Ok(ask_marked(question, ctx, &g, corpus, progress));
    }
    let mut read = quoted::read(&g.form, &g.text, &ctx, corpus);
    // A yes/no question is answered with its quote: the word the model chose is only noted
    // (see `quoted::asks_yes_no`).
    if !g.form.choices.is_empty() {
        let word = std::mem::take(&mut read.answer);
        read.notes.push(format!(
            "a yes/no question: the model chose {word:?}, which is not shown; the answer is its quote"
        ));
    }
    if g.form.latin_answer.is_some() {
        quoted::currency_as_quoted(&mut read, &ctx);
    }
    // Before grounding: an echo's words would re-cite whatever sentence repeats the question.
    quoted::drop_echo(&mut read, question);
    quoted::drop_restated_question(&mut read, question);
    let mut grounded = !read.no_evidence && quoted::ground(&mut read, question, &ctx, corpus);
    if let (true, Err(why)) = (grounded, quoted::fits_question(question, &read.answer)) {
        read.notes.push(why);
        grounded = false;
    }
    if !grounded || read.citations.is_empty() {
        if read.no_evidence {
            read.notes
                .push("the model found no passage that answers".into());
        } else if read.citations.is_empty() {
            read.notes.push("no verified citation".into());
        }
        let mut r = abstain(question, Mode::Generative, ctx);
        r.timings = timings(&g);
        r.debug = debug(&g, read.notes);
        return Ok(r);
    }
    if g.form.latin_answer.is_none() {
        quoted::figures_as_quoted(&mut read);
        quoted::widen_answer(&mut read);
    }
    quoted::add_rates(&mut read, g.form.latin_answer.is_some());
    quoted::add_bounds(&mut read, g.form.latin_answer.is_some());
    if answers_with_quote(&g.form, question) && !read.answer.is_empty() {
        if let Some(c) = quoted::answer_sentence(&read).cloned() {
            read.notes.push(format!(
                "a how or why question: answered with the quote that holds the model's answer {:?}",
                read.answer
            ));
            read.answer = c.quote;
        }
    }
    for c in read.citations.iter().filter(|c| !g.emitted.contains(c)) {
        progress(Progress::Citation(c.clone()));
    }
    let answer = if read.answer.is_empty() {
        read.citations[0].quote.clone()
    } else {
        quoted::shown_answer(&g.form, &read)
    };
    let sentences = vec![SentenceView {
        text: answer.clone(),
        supported: true,
        citations: (0..read.citations.len()).collect(),
    }];
    Ok(AskResponse {
        answer,
        abstained: false,
        mode: Mode::Generative,
        citations: read.citations,
        rejected_citations: RejectedCitations::default(),
        sentences,
        passages: ctx,
        timings: timings(&g),
        notice: None,
        weak_evidence: None,
        debug: debug(&g, read.notes),
    })
}

/// Whether a question in this `form` is answered with the quote that holds the model's answer
/// line rather than with the line ([`quoted::asks_how_or_why`]; a Korean answer only).
fn answers_with_quote(form: &QuoteFirstForm, question: &str) -> bool {
    form.choices.is_empty() && form.latin_answer.is_none() && quoted::asks_how_or_why(question)
}

/// How much of the streamed `text` may be shown: all of it, or up to the start of `hidden`
/// and not a tail that may be its beginning.
fn shown_len(text: &str, hidden: Option<&str>) -> usize {
    let Some(marker) = hidden.filter(|m| !m.is_empty()) else {
        return text.len();
    };
    if let Some(at) = text.find(marker) {
        return at;
    }
    let held = (1..=marker.len())
        .filter(|&k| marker.is_char_boundary(k) && text.ends_with(&marker[..k]))
        .max()
        .unwrap_or(0);
    text.len() - held
}

/// An answer written without the quote-first form (a backend that does not apply constraints,
/// or templates of the earlier style): sentences with `[Pn]` markers, each verified.
fn ask_marked(
    question: &str,
    ctx: Vec<ContextPassage>,
    g: &Generated,
    corpus: &crate::retrieval::corpus::Corpus,
    progress: &mut (dyn FnMut(Progress) + Send),
) -> AskResponse {
    let clean = sanitize(&g.text);
    let resolved = resolve(&clean, &ctx, corpus);
    let rejected = RejectedCitations::from(resolved.rejected);
    if clean.contains(NO_ANSWER) || resolved.citations.is_empty() {
        let mut r = abstain(question, Mode::Generative, ctx);
        r.rejected_citations = rejected;
        r.timings = timings(g);
        r.debug = debug(g, vec!["no answer or no verified citation".into()]);
        return r;
    }
    for c in &resolved.citations {
        progress(Progress::Citation(c.clone()));
    }
    let answer = resolved
        .sentences
        .iter()
        .map(|s| s.text.as_str())
        .collect::<Vec<_>>()
        .join(" ");
    AskResponse {
        answer,
        abstained: false,
        mode: Mode::Generative,
        citations: resolved.citations,
        rejected_citations: rejected,
        sentences: resolved.sentences,
        passages: ctx,
        timings: timings(g),
        notice: None,
        weak_evidence: None,
        debug: debug(g, Vec::new()),
    }
}

/// A verdict written without the quote-first form: `VERDICT: …`, then sentences with markers.
fn read_marked_check(
    text: &str,
    ctx: &[ContextPassage],
    corpus: &crate::retrieval::corpus::Corpus,
) -> quoted::Read {
    let (verdict, body) = split_verdict(&sanitize(text));
    let resolved = resolve(&body, ctx, corpus);
    quoted::Read {
        citations: resolved.citations,
        verdict,
        notes: resolved
            .rejected
            .iter()
            .map(|r| format!("{} rejected: {:?}", r.marker, r.reason))
            .collect(),
        ..quoted::Read::default()
    }
}

/// The cited sentences as an explanation: `“…” [P2]`.
fn quoted_text(citations: &[Citation]) -> String {
    citations
        .iter()
        .map(|c| format!("“{}” [{}]", c.quote, c.label))
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
        (Verdict::NotEnoughInfo, Some(Status::Mismatch)) if has_citations => Verdict::Refuted,
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
    // The model reads the figures' comparison only: the terms' overrides its verdict after.
    let figures = describe_signals(signals.iter().filter(|s| s.kind != SignalKind::Term), false);
    let g = generate(a, Kind::Claim, claim, &figures, &mut ctx, progress).await?;
    let mut read = if g.text.starts_with(g.form.opener.as_str()) {
        quoted::read(&g.form, &g.text, &ctx, a.retriever().corpus())
    } else {
        read_marked_check(&g.text, &ctx, a.retriever().corpus())
    };
    let model_verdict = read.verdict.unwrap_or(Verdict::NotEnoughInfo);
    let verdict = decide(model_verdict, &signals, !read.citations.is_empty());
    if verdict != model_verdict {
        read.notes.push(format!(
            "the model's verdict {} became {} (numeric or term signals, or no verified citation)",
            model_verdict.name(),
            verdict.name()
        ));
    }
    let mut citations = read.citations;
    for c in &mut citations {
        let plain = c.clone();
        c.side = match verdict {
            Verdict::Supported => Some(Side::Supports),
            Verdict::Refuted => side_from_signals(c, &signals).or(Some(Side::Refutes)),
            _ => side_from_signals(c, &signals),
        };
        if !g.emitted.contains(&plain) {
            progress(Progress::Citation(c.clone()));
        }
    }
    let mut explanation = quoted_text(&citations);
    if explanation.is_empty() || verdict != model_verdict {
        let korean = is_korean(claim);
        let note = match (verdict, verdict != model_verdict) {
            (Verdict::Refuted, true) => refuted_by_terms(&signals, korean),
            _ => None,
        }
        .unwrap_or_else(|| verdict_note(verdict, model_verdict, korean).to_string());
        explanation = format!("{note} {explanation}").trim().to_string();
    }
    Ok(CheckResponse {
        verdict,
        explanation,
        citations,
        rejected_citations: RejectedCitations::default(),
        signals,
        mode: Mode::Generative,
        passages: ctx,
        timings: timings(&g),
        notice: None,
        weak_evidence: None,
        debug: debug(&g, read.notes),
    })
}

/// Why a claim is refuted when no figure of it differs from the evidence but a term does
/// ([`super::terms`]): the claim's word and the evidence's.
fn refuted_by_terms(signals: &[Signal], korean: bool) -> Option<String> {
    let figures_differ = signals
        .iter()
        .any(|s| s.kind != SignalKind::Term && s.status == Status::Mismatch);
    let term = signals
        .iter()
        .find(|s| s.kind == SignalKind::Term && s.status == Status::Mismatch)?;
    let evidence = &term.evidence.first()?.text;
    (!figures_differ).then(|| match korean {
        true => format!(
            "주장의 표현이 근거 자료와 다릅니다: 주장은 '{}', 근거 자료는 '{evidence}'.",
            term.claim_text
        ),
        false => format!(
            "The claim's wording differs from the evidence: '{}' in the claim, '{evidence}' in the evidence.",
            term.claim_text
        ),
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
        weak_evidence: None,
        debug: None,
    }
}

/// Prefills the fixed part of a Korean question's prompt (the system text and the worked
/// examples) into the engine's prefix cache, so that the first question after start-up does not
/// pay for it (about 2.5 s with the 0.5B model, more with larger ones). Best effort: a failure
/// is logged and changes nothing else.
pub async fn prime(a: &Answerer) {
    // Any Korean question renders the same system text and examples.
    let messages = match prompt_messages(a, Kind::Question, "준비", "", &[]) {
        Ok((messages, _)) => messages,
        Err(e) => {
            tracing::warn!("prompt prefix not primed: {e}");
            return;
        }
    };
    let mut req = GenerateRequest::new(messages);
    req.max_tokens = 1;
    let mut stream = match a.engine().submit(req) {
        Ok(stream) => stream,
        Err(e) => {
            tracing::warn!("prompt prefix not primed: {e}");
            return;
        }
    };
    while let Some(ev) = stream.recv().await {
        match ev {
            Event::Done { .. } => {
                tracing::info!("prompt prefix primed");
                return;
            }
            Event::Error(e) => {
                tracing::warn!("prompt prefix not primed: {e}");
                return;
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hidden_line_is_not_streamed() {
        let q = "근거: [P1] \"문장이다.\"";
        assert_eq!(shown_len(q, None), q.len());
        assert_eq!(shown_len(q, Some("\n답: ")), q.len());
        let whole = format!("{q}\n답: 네");
        assert_eq!(shown_len(&whole, Some("\n답: ")), q.len());
        // A tail that may start the hidden line waits: `\n`, then `\n답` (a multi-byte letter).
        assert_eq!(shown_len(&format!("{q}\n"), Some("\n답: ")), q.len());
        assert_eq!(shown_len(&format!("{q}\n답"), Some("\n답: ")), q.len());
        assert_eq!(
            shown_len(&format!("{q}\n다"), Some("\n답: ")),
            q.len() + "\n다".len()
        );
        assert_eq!(shown_len("", Some("\n답: ")), 0);
    }

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
