//! The answer pipeline: [`Answerer`] holds the retriever, the model engine and the prompts;
//! [`Answerer::run`] takes a [`Request`] through retrieval, the abstention test, generation or
//! evidence mode, and returns a [`Response`].

use std::sync::Arc;
use std::time::Instant;

use super::{
    context, extractive, generative, quoted, AnswerError, AskResponse, Budget, CheckResponse,
    Citation, ContextPassage, Kind, Mode, Progress, Prompts, RejectedCitations, Request, Response,
};
use crate::engine::EngineHandle;
use crate::retrieval::anchors::{Anchor, AnchorKind};
use crate::retrieval::index::Retriever;
use crate::retrieval::translate;

/// Models with fewer weights than this are small ones for [`default_abstain_bias`].
pub const SMALL_MODEL_PARAMETERS: u64 = 1_000_000_000;

/// Nats taken from a small model's odds of abstaining. qwen2.5-coder-0.5b, left alone, abstains
/// on most answerable questions (its odds of abstaining have a median of +1.3 nats on them,
/// the 1.5B model's −8.9) and its odds barely separate the unanswerable ones. Chosen on the
/// out-of-domain tuning splits (BENCHMARKS, "The small model's abstention bias").
pub const SMALL_MODEL_ABSTAIN_BIAS: f32 = 3.0;

/// Most nats a configured bias may take or add: beyond it the model's choice no longer counts.
pub const MAX_ABSTAIN_BIAS: f32 = 20.0;

/// The abstention bias for a model of `parameters` weights when none is configured: small
/// models lean to abstaining where larger ones answer, so they must be surer before they do.
pub fn default_abstain_bias(parameters: u64) -> f32 {
    if parameters < SMALL_MODEL_PARAMETERS {
        SMALL_MODEL_ABSTAIN_BIAS
    } else {
        0.0
    }
}

/// What [`Answerer::retrieve`] found for a request.
struct Retrieved {
    hits: Vec<crate::retrieval::index::Hit>,
    ctx: Vec<ContextPassage>,
    /// Why the evidence is too weak to answer, when it is ([`Retriever::why_weak`]).
    ///
    /// [`Retriever::why_weak`]: crate::retrieval::index::Retriever::why_weak
    weak: Option<String>,
    /// The model's Korean translation the request was also searched with, or empty.
    translation: String,
}

/// Tuning of the pipeline.
#[derive(Debug, Clone)]
pub struct AnswerConfig {
    /// Passage selection for the prompt.
    pub budget: Budget,
    /// Abstain without generating when the best hit's coverage is below this and the encoder
    /// does not find it near either ([`crate::retrieval::index::Retriever::bears`]). Only a
    /// floor for a question the corpus barely touches: on the out-of-domain sets answerable and
    /// unanswerable questions have the same spread of coverage above it, so whether the passages
    /// answer is the model's call (its no-evidence word), not a lexical one.
    pub abstain_coverage: f32,
    /// Evidence sentences quoted in evidence mode.
    pub extractive_sentences: usize,
    /// Evidence mode quotes only hits with at least this coverage (or that the encoder finds
    /// near, [`crate::retrieval::index::Retriever::bears`])…
    pub extractive_min_coverage: f32,
    /// …and at least this share of the best hit's coverage.
    pub extractive_relative: f32,
    /// Most tokens of an answer / of a verdict, quotes included: room for a long lead sentence
    /// (fed in one batch), a second quote of `MAX_QUOTE_BYTES` and the answer line (two quotes
    /// of Korean news sentences filled 200 and cut the answer off).
    pub max_answer_tokens: usize,
    pub max_check_tokens: usize,
    /// Nats taken from the model's odds of abstaining where it chooses between quoting and
    /// abstaining (see `engine::QuoteFirstForm::abstain_bias`); `None`: the loaded model's
    /// [`default_abstain_bias`].
    pub abstain_bias: Option<f32>,
}

impl Default for AnswerConfig {
    fn default() -> Self {
        AnswerConfig {
            budget: Budget::default(),
            abstain_coverage: 0.15,
            extractive_sentences: 3,
            extractive_min_coverage: 0.15,
            extractive_relative: 0.5,
            max_answer_tokens: 360,
            max_check_tokens: 360,
            abstain_bias: None,
        }
    }
}

fn ms(since: Instant) -> f64 {
    since.elapsed().as_secs_f64() * 1000.0
}

/// The answer pipeline: the retriever, the model engine and the prompts.
pub struct Answerer {
    retriever: Arc<Retriever>,
    engine: EngineHandle,
    prompts: Prompts,
    config: AnswerConfig,
}

impl Answerer {
    pub fn new(retriever: Arc<Retriever>, engine: EngineHandle, prompts: Prompts) -> Answerer {
        Answerer {
            retriever,
            engine,
            prompts,
            config: AnswerConfig::default(),
        }
    }

    /// Replaces the tuning.
    pub fn with_config(mut self, config: AnswerConfig) -> Answerer {
        self.config = config;
        self
    }

    pub fn retriever(&self) -> &Arc<Retriever> {
        &self.retriever
    }

    pub fn engine(&self) -> &EngineHandle {
        &self.engine
    }

    pub fn prompts(&self) -> &Prompts {
        &self.prompts
    }

    pub fn config(&self) -> &AnswerConfig {
        &self.config
    }

    /// The abstention bias in force: the configured one, else the loaded model's default
    /// (0 while no model is ready).
    pub fn abstain_bias(&self) -> f32 {
        self.config
            .abstain_bias
            .unwrap_or_else(|| match self.engine.status() {
                crate::engine::EngineStatus::Ready { parameters, .. } => {
                    default_abstain_bias(parameters)
                }
                _ => 0.0,
            })
    }

    /// Prefills the fixed part of the question prompt into the model's prefix cache (see
    /// [`super::generative::prime`]); call once the model has loaded.
    pub async fn prime(&self) {
        super::generative::prime(self).await;
    }

    /// Answers a question or checks a claim from the `top_k` best passages: the one entry point
    /// of the server, the OpenAI endpoint, batch runs, the evaluation and the command line.
    /// `progress` sees text deltas and each citation as soon as it is verified.
    pub async fn run(
        &self,
        request: &Request,
        top_k: usize,
        progress: &mut (dyn FnMut(Progress) + Send),
    ) -> Result<Response, AnswerError> {
        Ok(match request.kind {
            Kind::Question => Response::Answer(self.ask(&request.text, top_k, progress).await?),
            Kind::Claim => Response::Verdict(self.check(&request.text, top_k, progress).await?),
        })
    }

    /// Retrieval and passage selection; whether the evidence is too weak to answer. A request
    /// not in Korean is searched with the model's Korean translation of it when `translate`
    /// allows, a model is ready and the corpus has no glossary
    /// ([`crate::retrieval::translate`]). A request that will not be answered (its anchors are
    /// not in the corpus) is not translated: its passages are only shown.
    async fn retrieve(
        &self,
        text: &str,
        top_k: usize,
        translate: bool,
    ) -> Result<Retrieved, AnswerError> {
        let query = if translate && self.model_ready() {
            translate::search_query(&self.engine, &self.retriever, text)
                .await
                .unwrap_or_else(|e| {
                    tracing::warn!("translating the request for retrieval failed: {e}");
                    text.to_string()
                })
        } else {
            text.to_string()
        };
        let hits = self.retriever.search_off_runtime(&query, top_k).await?;
        let ctx = context::select(&self.retriever, &hits, self.config.budget);
        let weak = self.retriever.why_weak(&hits, self.config.abstain_coverage);
        let translation = translate::translation_in(&query, text).to_string();
        Ok(Retrieved {
            hits,
            ctx,
            weak,
            translation,
        })
    }

    /// Answers `question` from the `top_k` best passages. `progress` sees text deltas and each
    /// citation as soon as it is verified.
    pub async fn ask(
        &self,
        question: &str,
        top_k: usize,
        progress: &mut (dyn FnMut(Progress) + Send),
    ) -> Result<AskResponse, AnswerError> {
        let start = Instant::now();
        let unnamed = self.unnamed_anchors(question, Kind::Question);
        let Retrieved {
            hits, ctx, weak, ..
        } = self.retrieve(question, top_k, unnamed.is_empty()).await?;
        let retrieval_ms = ms(start);
        let mut resp = if weak.is_some() || !unnamed.is_empty() {
            let mode = if self.model_ready() {
                Mode::Generative
            } else {
                Mode::Extractive
            };
            let mut r = extractive::abstain(question, mode, ctx);
            if !unnamed.is_empty() {
                r.answer = format!("{} {}", r.answer, unnamed_note(question, &unnamed));
            }
            r.weak_evidence = weak;
            r
        } else {
            match generative::ask(self, question, ctx.clone(), progress).await {
                Ok(r) => r,
                Err(Fallback::Extractive(notice)) => {
                    let mut r = extractive::ask(self, question, &hits, ctx, progress);
                    r.notice = notice;
                    r
                }
                Err(Fallback::Error(e)) => return Err(e),
            }
        };
        if let Some(note) = self.cites_only_others(question, Kind::Question, &resp.citations) {
            let mut r = extractive::abstain(question, resp.mode, resp.passages);
            r.answer = format!("{} {note}", r.answer);
            r.debug = resp.debug;
            if let Some(d) = r.debug.as_mut() {
                d.notes
                    .push(format!("answer \"{}\" not kept: {note}", resp.answer));
            }
            r.notice = resp.notice;
            resp = r;
        }
        resp.timings.retrieval_ms = retrieval_ms;
        resp.timings.total_ms = ms(start);
        record(&resp.citations, &resp.rejected_citations, resp.mode);
        if resp.abstained {
            metrics::counter!("factcheck_abstentions_total").increment(1);
        }
        Ok(resp)
    }

    /// Checks `claim` against the `top_k` best passages.
    pub async fn check(
        &self,
        claim: &str,
        top_k: usize,
        progress: &mut (dyn FnMut(Progress) + Send),
    ) -> Result<CheckResponse, AnswerError> {
        let start = Instant::now();
        let unnamed = self.unnamed_anchors(claim, Kind::Claim);
        let Retrieved {
            hits,
            ctx,
            weak,
            translation,
        } = self.retrieve(claim, top_k, unnamed.is_empty()).await?;
        let retrieval_ms = ms(start);
        let signals = extractive::signals_for(self, claim, &translation, &ctx);
        let mut resp = if !unnamed.is_empty() {
            let mut r = generative::not_enough_info(claim, ctx, signals);
            r.explanation = format!("{} {}", r.explanation, unnamed_note(claim, &unnamed));
            if !self.model_ready() {
                r.mode = Mode::Extractive;
            }
            r
        } else if weak.is_some() {
            let mut r = match self.model_ready() {
                true => generative::not_enough_info(claim, ctx, signals),
                false => extractive::check(self, claim, &[], ctx, signals, progress),
            };
            r.weak_evidence = weak;
            r
        } else {
            match generative::check(self, claim, ctx.clone(), signals.clone(), progress).await {
                Ok(r) => r,
                Err(Fallback::Extractive(notice)) => {
                    let mut r = extractive::check(self, claim, &hits, ctx, signals, progress);
                    r.notice = notice;
                    r
                }
                Err(Fallback::Error(e)) => return Err(e),
            }
        };
        if let Some(note) = self.cites_only_others(claim, Kind::Claim, &resp.citations) {
            let mut r = generative::not_enough_info(claim, resp.passages, resp.signals);
            r.explanation = format!("{} {note}", r.explanation);
            r.mode = resp.mode;
            r.debug = resp.debug;
            if let Some(d) = r.debug.as_mut() {
                d.notes
                    .push(format!("verdict {} not kept: {note}", resp.verdict.name()));
            }
            r.notice = resp.notice;
            resp = r;
        }
        resp.timings.retrieval_ms = retrieval_ms;
        resp.timings.total_ms = ms(start);
        record(&resp.citations, &resp.rejected_citations, resp.mode);
        metrics::counter!("factcheck_verdicts_total", "verdict" => resp.verdict.name())
            .increment(1);
        Ok(resp)
    }

    /// The anchors of a request ([`anchor_kinds`]) that the corpus never names
    /// ([`crate::retrieval::anchors`]): the corpus cannot answer a question about them, nor
    /// settle a claim.
    fn unnamed_anchors(&self, request: &str, kind: Kind) -> Vec<Anchor> {
        self.retriever
            .unnamed_anchors(request, anchor_kinds(request, kind))
    }

    /// Why `citations` do not answer `request`, when every one of them stands in a passage about
    /// another product, meeting, numbered item or year of a family the request names (the
    /// AP-300's filter price for a question about the AP-500's, the 2020 rainy season's length
    /// for 2024's; [`anchor_kinds`]), in a document whose title names another product (the
    /// AP-500's weight for the RV-7's), or in another entry than the one asked (Mars's surface
    /// gravity for Venus's): the corpus names the asked one, but not where the answer came from.
    fn cites_only_others(
        &self,
        request: &str,
        kind: Kind,
        citations: &[Citation],
    ) -> Option<String> {
        if citations.is_empty() {
            return None;
        }
        let asked = self
            .retriever
            .named_anchors(request, anchor_kinds(request, kind));
        if asked.is_empty()
            || !citations
                .iter()
                .all(|c| self.retriever.is_about_other(&c.id, &asked))
        {
            return None;
        }
        let names = quoted_list(&asked);
        Some(if super::is_korean(request) {
            format!("찾은 대목은 {names}에 관한 것이 아닙니다.")
        } else {
            format!("The passages found are about something other than {names}.")
        })
    }

    fn model_ready(&self) -> bool {
        matches!(
            self.engine.status(),
            crate::engine::EngineStatus::Ready { .. }
        )
    }
}

/// The kinds of anchor a request is held to: codes, numbered items, the subjects of entries
/// and, for a question that is not yes/no, years. A yes/no question's or a claim's year may be
/// what makes the answer no (`2024년에 출시됐나요?` of a product launched in 2023), so neither
/// abstains nor drops a verdict over one.
fn anchor_kinds(request: &str, kind: Kind) -> &'static [AnchorKind] {
    use AnchorKind::{Code, Numbered, Subject, Year};
    match kind {
        Kind::Question if !quoted::asks_yes_no(request) => &[Code, Numbered, Year, Subject],
        _ => &[Code, Numbered, Subject],
    }
}

/// Why a request about `unnamed` anchors is not answered, in the request's language.
fn unnamed_note(request: &str, unnamed: &[Anchor]) -> String {
    let names = quoted_list(unnamed);
    if super::is_korean(request) {
        format!("자료에는 {names}에 관한 내용이 없습니다.")
    } else {
        format!("The corpus never mentions {names}.")
    }
}

/// Anchors as a note names them: each as the request wrote it, in quotation marks.
fn quoted_list(anchors: &[Anchor]) -> String {
    anchors
        .iter()
        .map(|a| format!("\"{}\"", a.text))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Prometheus counters of one response: citations returned and rejected, answers by mode.
fn record(citations: &[Citation], rejected: &RejectedCitations, mode: Mode) {
    metrics::counter!("factcheck_citations_total", "result" => "returned")
        .increment(citations.len() as u64);
    metrics::counter!("factcheck_citations_total", "result" => "rejected")
        .increment(rejected.count as u64);
    metrics::counter!("factcheck_answers_total", "mode" => mode.name()).increment(1);
}

/// Why the generative path did not produce a response.
pub(crate) enum Fallback {
    /// No model (or it failed): answer in evidence mode, with a notice saying why when a model
    /// was configured.
    Extractive(Option<String>),
    /// An error the caller must see (busy).
    Error(AnswerError),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_small_models_get_a_bias_by_default() {
        assert_eq!(default_abstain_bias(494_000_000), SMALL_MODEL_ABSTAIN_BIAS);
        assert_eq!(default_abstain_bias(SMALL_MODEL_PARAMETERS), 0.0);
        assert_eq!(default_abstain_bias(7_000_000_000), 0.0);
    }
}
