//! Grounded answers and claim verdicts with verified citations.
//!
//! A [`Request`] (a question or a claim) goes to [`Answerer::run`], the one entry point the
//! server, the OpenAI endpoint, batch runs, the evaluation and the command line all call; a
//! [`Response`] comes back. This file holds those types and the rest of what a response is made
//! of; the orchestration lives in [`pipeline`].
//!
//! The pipeline: retrieve → choose the passages that fit a budget ([`context`]) → generate with
//! the local model ([`generative`]) or, without one, quote the best evidence sentences
//! ([`extractive`]) → parse the citation markers and verify every citation against the corpus
//! lines ([`citations`]) → respond. Claims also get consistency signals that need no model:
//! numeric ([`signals`], built on [`quantity`]: amounts, counts, durations and
//! [dates](quantity::dates) found in text) and terms the evidence replaces ([`terms`]);
//! [`matching`] says whether a text contains an answer (for scoring answers and for finding the
//! sentence that supports one). Prompts come from templates ([`prompts`]); [`crate::eval`] scores
//! the whole pipeline against an evaluation set.
//!
//! Retrieval that is too weak (the best hit covers too little of the question, and the encoder,
//! when there is one, does not find it near) abstains before any generation; so does a model
//! answer left without a valid citation.

pub mod citations;
pub mod context;
pub mod extractive;
pub mod generative;
pub mod matching;
pub mod phrase;
pub mod pipeline;
pub mod prompts;
pub mod quantity;
pub mod quoted;
pub mod signals;
pub mod terms;

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::engine::EngineError;
use crate::retrieval::index::IndexError;
pub use crate::text::is_korean;
pub use context::{Budget, ContextPassage};
pub(crate) use pipeline::Fallback;
pub use pipeline::{AnswerConfig, Answerer};
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

impl Mode {
    /// `extractive` or `generative` (the API's word).
    pub fn name(self) -> &'static str {
        match self {
            Mode::Extractive => "extractive",
            Mode::Generative => "generative",
        }
    }

    /// How the command line describes it.
    pub fn describe(self) -> &'static str {
        match self {
            Mode::Extractive => "extractive (evidence only)",
            Mode::Generative => "generative",
        }
    }
}

/// The verdict on a claim (also the evaluation file's `label`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
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
    /// The verdict's word in the API (`supported`, `not_enough_info`, …).
    pub fn name(self) -> &'static str {
        match self {
            Verdict::Supported => "supported",
            Verdict::Refuted => "refuted",
            Verdict::NotEnoughInfo => "not_enough_info",
            Verdict::Disputed => "disputed",
            Verdict::Unverified => "unverified",
        }
    }

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
    /// Why no passage was good enough to answer from, when none was: the response abstains
    /// without asking the model ([`crate::retrieval::index::Retriever::why_weak`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub weak_evidence: Option<String>,
    /// What the model wrote, when one did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub debug: Option<ModelDebug>,
}

/// What the model wrote and how it was read: for users who must see why an answer abstained
/// or a citation was not kept.
#[derive(Debug, Clone, Serialize)]
pub struct ModelDebug {
    /// The generated text, as written.
    pub output: String,
    /// Tokens in the prompt.
    pub prompt_tokens: Option<usize>,
    /// The log-odds (nats) the model gave abstaining over quoting where it chose, before the
    /// bias in force (`abstain_bias`); `None` where it had no such choice.
    pub abstain_odds: Option<f32>,
    /// The bias taken from those odds (`Answerer::abstain_bias`): the model abstained where
    /// `abstain_odds` exceeded it (its first token's choice). `None` where it had no such choice.
    pub abstain_bias: Option<f32>,
    /// For a claim, how the model weighed the verdicts where it picked one, before any
    /// bias; `None` where it picked none (it found no passage about the claim).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verdict_logprobs: Option<VerdictLogprobs>,
    /// Why parts of the output were not kept or were changed.
    pub notes: Vec<String>,
}

/// The model's log-probability of each verdict among the three, where it picked one (its
/// first token's share; `engine::ChoiceLogprobs`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct VerdictLogprobs {
    pub supported: f32,
    pub refuted: f32,
    pub not_enough_info: f32,
}

impl VerdictLogprobs {
    /// The log-probability of `verdict`; `None` for a verdict the model does not choose.
    pub fn of(&self, verdict: Verdict) -> Option<f32> {
        match verdict {
            Verdict::Supported => Some(self.supported),
            Verdict::Refuted => Some(self.refuted),
            Verdict::NotEnoughInfo => Some(self.not_enough_info),
            Verdict::Disputed | Verdict::Unverified => None,
        }
    }
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
    /// Why no passage was good enough to judge the claim by, when none was: the verdict is
    /// `not_enough_info` without asking the model
    /// ([`crate::retrieval::index::Retriever::why_weak`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub weak_evidence: Option<String>,
    /// What the model wrote, when one did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub debug: Option<ModelDebug>,
}

/// What a streaming caller sees before the final response.
#[derive(Debug, Clone)]
pub enum Progress {
    /// New answer text from the model.
    Delta(String),
    /// A citation that has just been verified.
    Citation(Citation),
}

/// What is asked: a question to answer or a claim to check.
///
/// Serialized as the evaluation file spells it (`qa`, `claim`); [`Kind::name`] is the word the
/// API and the batch output use (`question`, `claim`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// A question, answered from the corpus (`answer.jinja`).
    #[serde(rename = "qa")]
    Question,
    /// A claim, checked against the corpus (`check.jinja`).
    Claim,
}

impl Kind {
    /// `question` or `claim`.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Question => "question",
            Kind::Claim => "claim",
        }
    }
}

/// Longest question or claim accepted (API, batch), in characters.
pub const MAX_QUERY_CHARS: usize = 4000;

/// One request to the pipeline: its kind and its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub kind: Kind,
    pub text: String,
}

impl Request {
    /// A question to answer.
    pub fn question(text: impl Into<String>) -> Request {
        Request {
            kind: Kind::Question,
            text: text.into(),
        }
    }

    /// A claim to check.
    pub fn claim(text: impl Into<String>) -> Request {
        Request {
            kind: Kind::Claim,
            text: text.into(),
        }
    }
}

/// What [`Answerer::run`] returns: an answer to a question or a verdict on a claim. Serializes
/// as the inner response (the API's JSON).
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum Response {
    Answer(AskResponse),
    Verdict(CheckResponse),
}

impl Response {
    /// The response as the API's JSON value.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or_else(|e| serde_json::json!({"error": e.to_string()}))
    }

    /// The response without the model's debug view (what API callers get unless they ask for
    /// it: the raw output can be long and is for diagnosis).
    pub fn without_debug(mut self) -> Response {
        match &mut self {
            Response::Answer(r) => r.debug = None,
            Response::Verdict(r) => r.debug = None,
        }
        self
    }

    /// The answer, when the request was a question.
    pub fn into_answer(self) -> Option<AskResponse> {
        match self {
            Response::Answer(r) => Some(r),
            Response::Verdict(_) => None,
        }
    }

    /// How it was produced.
    pub fn mode(&self) -> Mode {
        match self {
            Response::Answer(r) => r.mode,
            Response::Verdict(r) => r.mode,
        }
    }

    /// The verified citations.
    pub fn citations(&self) -> &[Citation] {
        match self {
            Response::Answer(r) => &r.citations,
            Response::Verdict(r) => &r.citations,
        }
    }

    /// The citations that were not returned.
    pub fn rejected_citations(&self) -> &RejectedCitations {
        match self {
            Response::Answer(r) => &r.rejected_citations,
            Response::Verdict(r) => &r.rejected_citations,
        }
    }
}

/// The plain statement that the corpus does not answer, in the question's language.
pub fn abstention_text(question: &str) -> &'static str {
    if is_korean(question) {
        "제공된 자료에는 이 질문에 답할 수 있는 내용이 없습니다."
    } else {
        "The corpus does not contain an answer to this question."
    }
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
        for v in [
            Verdict::Supported,
            Verdict::Refuted,
            Verdict::NotEnoughInfo,
            Verdict::Disputed,
            Verdict::Unverified,
        ] {
            assert_eq!(serde_json::to_value(v).unwrap(), v.name());
        }
    }

    #[test]
    fn language_of_abstention() {
        assert!(is_korean(abstention_text("인구는?")));
        assert!(!is_korean(abstention_text(
            "What is the population of Arizona?"
        )));
    }
}
