//! Evaluation: the gold set and every figure computed against it, in one place.
//!
//! - [`set`]: the evaluation file (the `shared/eval` JSONL format): items, their kind, `need`,
//!   `label` and evidence quotes.
//! - [`retrieval`]: hit@k and MRR of a ranking, and whether passages or citations cover the
//!   evidence (`factcheck eval`).
//! - [`answers`]: runs the answer pipeline over a set and scores citations, evidence coverage,
//!   verdicts and abstention (`factcheck eval --answers`).
//! - [`batch`]: the same figures computed from a batch output (`factcheck batch --gold`).
//! - [`text`]: the text output of all three reports.

pub mod answers;
pub mod batch;
pub mod retrieval;
pub mod set;
pub mod text;

use std::path::PathBuf;

use crate::retrieval::index::IndexError;
pub use answers::{score_answers, AnswerReport};
pub use batch::Scores;
pub use retrieval::{
    covers, evidence_covered, judge_ranking, metrics, score_reranked, score_retrieval, ItemResult,
    Metrics, RetrievalReport, Stages,
};
pub use set::{load_set, EvalItem, Evidence, Need};

/// Errors reading an evaluation set.
#[derive(Debug, thiserror::Error)]
pub enum EvalError {
    /// The file cannot be read.
    #[error("cannot read evaluation file {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A row is not a valid item.
    #[error("{path}, line {line}: {reason}")]
    Row {
        path: PathBuf,
        line: usize,
        reason: String,
    },
    /// Retrieval failed while scoring.
    #[error(transparent)]
    Index(#[from] IndexError),
    /// The second stage failed while scoring.
    #[error(transparent)]
    Rerank(#[from] crate::retrieval::rerank::RerankError),
    /// Translating a question for retrieval failed.
    #[error("translating a question for retrieval failed: {0}")]
    Translate(#[from] crate::engine::EngineError),
}

/// `n / d`, or 0 when `d` is 0: every share and rate of the reports.
pub fn share(n: usize, d: usize) -> f64 {
    if d == 0 {
        0.0
    } else {
        n as f64 / d as f64
    }
}

/// Valid citations over returned ones; 1 when none were returned (nothing was wrong).
pub fn citation_validity(valid: usize, returned: usize) -> f64 {
    if returned == 0 {
        1.0
    } else {
        share(valid, returned)
    }
}
