//! The evaluation file: one JSON object per line (the `shared/eval` format), a question
//! (`kind: qa`) or a claim (`kind: claim`) with its gold evidence quotes; questions say whether
//! they are answerable and whether one quote or every listed file is needed, claims carry the
//! gold verdict (`label`).

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::EvalError;
use crate::answer::{Kind, Request, Verdict};

/// How much of the evidence a question needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Need {
    /// One evidence quote suffices.
    Any,
    /// Evidence from every listed file.
    All,
    /// Nothing in the corpus answers it.
    None,
}

/// A kind as the evaluation file spells it (`qa`, `claim`).
pub fn file_word(kind: Kind) -> &'static str {
    match kind {
        Kind::Question => "qa",
        Kind::Claim => "claim",
    }
}

/// One evidence quote.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Evidence {
    pub source: String,
    pub quote: String,
    #[serde(default)]
    pub line: Option<usize>,
}

/// One row of an evaluation file.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct EvalItem {
    pub id: String,
    pub kind: Kind,
    #[serde(default)]
    pub lang: String,
    #[serde(default)]
    pub question: Option<String>,
    #[serde(default)]
    pub claim: Option<String>,
    #[serde(default)]
    pub answer: Option<String>,
    #[serde(default)]
    pub answerable: Option<bool>,
    #[serde(default)]
    pub need: Option<Need>,
    #[serde(default)]
    pub label: Option<Verdict>,
    #[serde(default)]
    pub evidence: Vec<Evidence>,
}

impl EvalItem {
    /// The text sent to retrieval: the question or the claim.
    pub fn text(&self) -> &str {
        self.question
            .as_deref()
            .or(self.claim.as_deref())
            .unwrap_or("")
    }

    /// The text as a request to the answer pipeline.
    pub fn request(&self) -> Request {
        Request {
            kind: self.kind,
            text: self.text().to_string(),
        }
    }

    /// Whether the evidence of every listed file is needed (`need: all`).
    pub fn needs_all(&self) -> bool {
        self.need == Some(Need::All)
    }

    /// A question the corpus cannot answer (`answerable: false`): abstaining is right.
    pub fn unanswerable(&self) -> bool {
        self.kind == Kind::Question && self.answerable == Some(false)
    }
}

/// Reads a JSONL evaluation set; blank lines are skipped, a bad row is an error naming its line.
pub fn load_set(path: &Path) -> Result<Vec<EvalItem>, EvalError> {
    let text = std::fs::read_to_string(path).map_err(|source| EvalError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let mut items = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let item: EvalItem = serde_json::from_str(line).map_err(|e| EvalError::Row {
            path: path.to_path_buf(),
            line: n + 1,
            reason: e.to_string(),
        })?;
        if item.text().trim().is_empty() {
            return Err(EvalError::Row {
                path: path.to_path_buf(),
                line: n + 1,
                reason: "row has neither `question` nor `claim`".into(),
            });
        }
        items.push(item);
    }
    Ok(items)
}
