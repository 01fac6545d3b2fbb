//! Grounded answers and claim verdicts with verified citations.
//!
//! The pipeline: retrieve → choose the passages that fit a budget ([`context`]) → generate with
//! the local model ([`generative`]) or, without one, quote the best evidence sentences
//! ([`extractive`]) → parse the citation markers and verify every citation against the corpus
//! lines ([`citations`]) → respond. Claims also get numeric consistency signals ([`signals`],
//! built on [`quantity`] and [`dates`]) that need no model. Prompts come from templates
//! ([`prompts`]); [`evaluate`] scores the whole pipeline against an evaluation set.
//!
//! Retrieval that is too weak (the best hit covers too little of the question) abstains before
//! any generation; so does a model answer left without a valid citation.

pub mod citations;
pub mod context;
pub mod dates;
pub mod evaluate;
pub mod extractive;
pub mod generative;
pub mod prompts;
pub mod quantity;
pub mod signals;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use serde::Serialize;

use crate::engine::{EngineError, EngineHandle};
use crate::index::{IndexError, Retriever};
pub use context::{Budget, ContextPassage};
pub use prompts::Prompts;
pub use signals::Signal;

/// Errors of the answer pipeline.
#[derive(Debug, thiserror::Error)]
pub enum AnswerError {
    /// A prompt template is missing, does not compile or does not render.
    #[error("prompt template {path}: {reason}")]
    Prompt { path: PathBuf, reason: String },
    /// Retrieval failed.
    #[error(transparent)]
    Index(#[from] IndexError),
    /// The model's queue is full; retry later.
    #[error("the model is busy: the request queue is full")]
    Busy,
    /// The engine failed in a way that is not a reason to fall back to evidence mode.
    #[error("model engine: {0}")]
    Engine(EngineError),
}

/// How the answer was produced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// No model: evidence sentences quoted verbatim.
    Extractive,
    /// Written by the local model.
    Generative,
}

/// The verdict on a claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Supported,
    Refuted,
    NotEnoughInfo,
    /// The corpus holds evidence on both sides.
    Disputed,
    /// No model was available to judge (evidence mode).
    Unverified,
}

impl Verdict {
    /// Parses a verdict word (`supported`, `not enough info`, …); unknown words give `None`.
    pub fn parse(word: &str) -> Option<Verdict> {
        let w: String = word
            .trim()
            .to_ascii_lowercase()
            .chars()
            .map(|c| if c == ' ' || c == '-' { '_' } else { c })
            .filter(|c| c.is_ascii_alphabetic() || *c == '_')
            .collect();
        match w.as_str() {
            "supported" | "support" | "true" => Some(Verdict::Supported),
            "refuted" | "refute" | "false" => Some(Verdict::Refuted),
            "not_enough_info" | "not_enough_information" | "nei" => Some(Verdict::NotEnoughInfo),
            "disputed" | "conflicting" => Some(Verdict::Disputed),
            _ => None,
        }
    }
}

/// Which side of a claim a citation is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    Supports,
    Refutes,
}

/// A verified citation: `quote` stands in lines `start_line..=end_line` of `source`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Citation {
    /// The cited passage's stable id.
    pub id: String,
    /// The label the passage had in the prompt (`P2`).
    pub label: String,
    pub source: String,
    pub start_line: usize,
    pub end_line: usize,
    pub quote: String,
    /// For claims: the side this evidence is on, where known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub side: Option<Side>,
}

/// Why a citation was not returned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RejectReason {
    /// The marker names a passage that was not given to the model.
    UnknownPassage,
    /// The sentence quotes text that is not in the cited passage's lines.
    QuoteNotInSource,
    /// The cited passage shares no content word with the sentence.
    UnrelatedPassage,
}

/// One rejected citation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Rejected {
    /// The marker as written, e.g. `[P9]`.
    pub marker: String,
    pub reason: RejectReason,
    /// Index of the answer sentence it followed.
    pub sentence: usize,
}

/// Citations that were not returned: how many, and each with its reason.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct RejectedCitations {
    pub count: usize,
    pub items: Vec<Rejected>,
}

impl From<Vec<Rejected>> for RejectedCitations {
    fn from(items: Vec<Rejected>) -> Self {
        RejectedCitations {
            count: items.len(),
            items,
        }
    }
}

/// One sentence of an answer: supported when it has at least one valid citation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SentenceView {
    pub text: String,
    pub supported: bool,
    /// Indexes into the response's `citations`.
    pub citations: Vec<usize>,
}

/// Where the time went, in milliseconds.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Timings {
    pub retrieval_ms: f64,
    pub generation_ms: f64,
    pub total_ms: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prompt_tokens: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub completion_tokens: Option<usize>,
}

/// The answer to a question.
#[derive(Debug, Clone, Serialize)]
pub struct AskResponse {
    pub answer: String,
    pub abstained: bool,
    pub mode: Mode,
    pub citations: Vec<Citation>,
    pub rejected_citations: RejectedCitations,
    pub sentences: Vec<SentenceView>,
    pub passages: Vec<ContextPassage>,
    pub timings: Timings,
    /// Why a configured model did not write this answer (loading, failed, error), if so.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notice: Option<String>,
}

/// The verdict on a claim.
#[derive(Debug, Clone, Serialize)]
pub struct CheckResponse {
    pub verdict: Verdict,
    pub explanation: String,
    pub citations: Vec<Citation>,
    pub rejected_citations: RejectedCitations,
    pub signals: Vec<Signal>,
    pub mode: Mode,
    pub passages: Vec<ContextPassage>,
    pub timings: Timings,
    /// Why a configured model did not judge this claim (loading, failed, error), if so.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notice: Option<String>,
}

/// What a streaming caller sees before the final response.
#[derive(Debug, Clone)]
pub enum Progress {
    /// New answer text from the model.
    Delta(String),
    /// A citation that has just been verified.
    Citation(Citation),
}

/// Tuning of the pipeline.
#[derive(Debug, Clone)]
pub struct AnswerConfig {
    /// Passage selection for the prompt.
    pub budget: Budget,
    /// Abstain without generating when the best hit's coverage is below this.
    pub abstain_coverage: f32,
    /// Evidence sentences quoted in evidence mode.
    pub extractive_sentences: usize,
    /// Evidence mode quotes only hits with at least this coverage…
    pub extractive_min_coverage: f32,
    /// …and at least this share of the best hit's coverage.
    pub extractive_relative: f32,
    /// Most tokens of an answer / of a verdict.
    pub max_answer_tokens: usize,
    pub max_check_tokens: usize,
}

impl Default for AnswerConfig {
    fn default() -> Self {
        AnswerConfig {
            budget: Budget::default(),
            abstain_coverage: 0.34,
            extractive_sentences: 3,
            extractive_min_coverage: 0.3,
            extractive_relative: 0.5,
            max_answer_tokens: 200,
            max_check_tokens: 200,
        }
    }
}

/// True when the text contains Hangul (the answer is then written in Korean).
pub fn is_korean(text: &str) -> bool {
    text.chars()
        .any(|c| ('\u{ac00}'..='\u{d7a3}').contains(&c) || ('\u{1100}'..='\u{11ff}').contains(&c))
}

/// The plain statement that the corpus does not answer, in the question's language.
pub fn abstention_text(question: &str) -> &'static str {
    if is_korean(question) {
        "제공된 자료에는 이 질문에 답할 수 있는 내용이 없습니다."
    } else {
        "The corpus does not contain an answer to this question."
    }
}

/// How many content words of `question` the passage matches (a word matches when at least half
/// of its tokens, or of one of its thesaurus expansions' tokens, occur in the passage), and how
/// many content words the question has. A question whose best passage matches a single one of
/// several words (`population` unmatched, `Arizona` matched) is not answered by it.
pub fn matched_words(question: &str, passage: &str) -> (usize, usize) {
    let plan = crate::analyzer::query_plan(question, crate::analyzer::Options::default());
    matched_plan_words(&plan, passage)
}

/// [`matched_words`] for a query already planned (by [`crate::index::Retriever::query_plan`], which knows the
/// corpus's glossary and its Hangul spellings of English names).
pub fn matched_plan_words(plan: &[crate::analyzer::QueryWord], passage: &str) -> (usize, usize) {
    let opts = crate::analyzer::Options::default();
    let have: std::collections::HashSet<String> = crate::analyzer::analyze(passage, opts)
        .into_iter()
        .collect();
    let hit = |tokens: &[String]| {
        !tokens.is_empty()
            && 2 * tokens.iter().filter(|t| have.contains(*t)).count() >= tokens.len()
    };
    let words: Vec<_> = plan.iter().filter(|w| !w.tokens.is_empty()).collect();
    let matched = words
        .iter()
        .filter(|w| hit(&w.tokens) || w.expansions.iter().any(|e| hit(e)))
        .count();
    (matched, words.len())
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

    /// Retrieval and passage selection; whether the evidence is too weak to answer.
    fn retrieve(
        &self,
        text: &str,
        top_k: usize,
    ) -> Result<(Vec<crate::index::Hit>, Vec<ContextPassage>, bool), AnswerError> {
        let hits = self.retriever.search(text, top_k)?;
        let ctx = context::select(&self.retriever, &hits, self.config.budget);
        let plan = self.retriever.query_plan(text);
        let weak = hits.first().is_none_or(|h| {
            let passage = &self.retriever.passages()[h.passage].text;
            let (matched, words) = matched_plan_words(&plan, passage);
            h.coverage < self.config.abstain_coverage || matched < words.min(2)
        });
        Ok((hits, ctx, weak))
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
        let (hits, ctx, weak) = self.retrieve(question, top_k)?;
        let retrieval_ms = ms(start);
        let mut resp = if weak {
            let mode = if self.model_ready() {
                Mode::Generative
            } else {
                Mode::Extractive
            };
            extractive::abstain(question, mode, ctx)
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
        let (hits, ctx, weak) = self.retrieve(claim, top_k)?;
        let retrieval_ms = ms(start);
        let signals = extractive::signals_for(self, claim, &ctx);
        let mut resp = if weak && self.model_ready() {
            generative::not_enough_info(claim, ctx, signals)
        } else if weak {
            extractive::check(self, claim, &[], ctx, signals, progress)
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
        resp.timings.retrieval_ms = retrieval_ms;
        resp.timings.total_ms = ms(start);
        record(&resp.citations, &resp.rejected_citations, resp.mode);
        let verdict = serde_json::to_value(resp.verdict).ok();
        let verdict = verdict
            .as_ref()
            .and_then(|v| v.as_str())
            .unwrap_or("none")
            .to_string();
        metrics::counter!("factcheck_verdicts_total", "verdict" => verdict).increment(1);
        Ok(resp)
    }

    fn model_ready(&self) -> bool {
        matches!(
            self.engine.status(),
            crate::engine::EngineStatus::Ready { .. }
        )
    }
}

/// Prometheus counters of one response: citations returned and rejected, answers by mode.
fn record(citations: &[Citation], rejected: &RejectedCitations, mode: Mode) {
    metrics::counter!("factcheck_citations_total", "result" => "returned")
        .increment(citations.len() as u64);
    metrics::counter!("factcheck_citations_total", "result" => "rejected")
        .increment(rejected.count as u64);
    let mode = match mode {
        Mode::Extractive => "extractive",
        Mode::Generative => "generative",
    };
    metrics::counter!("factcheck_answers_total", "mode" => mode).increment(1);
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
    fn verdict_words() {
        assert_eq!(Verdict::parse(" Supported."), Some(Verdict::Supported));
        assert_eq!(
            Verdict::parse("not enough info"),
            Some(Verdict::NotEnoughInfo)
        );
        assert_eq!(Verdict::parse("DISPUTED"), Some(Verdict::Disputed));
        assert_eq!(Verdict::parse("maybe"), None);
    }

    #[test]
    fn matched_words_counts_content_words() {
        // `population` reaches 인구 through the built-in glossary; Arizona has no line there.
        let (m, n) = matched_words(
            "What is the population of Arizona?",
            "미국 인구는 3억 명을 넘었다",
        );
        assert_eq!((m, n), (1, 2));
        let (m, n) = matched_words(
            "소프트뱅크의 현금은?",
            "소프트뱅크는 현금 230억 달러를 보유",
        );
        assert_eq!((m, n), (2, 2));
    }

    #[test]
    fn language_of_abstention() {
        assert!(is_korean(abstention_text("인구는?")));
        assert!(!is_korean(abstention_text(
            "What is the population of Arizona?"
        )));
    }
}
