//! Query likelihood: the local model as the second retrieval stage. A passage that answers a
//! question makes that question likely: the model reads each candidate passage and scores how
//! probable the question is as the next text (teacher-forced, one forward pass per candidate,
//! no generation; [`crate::engine::score`]). This is unsupervised passage re-ranking: no
//! training, any language the model reads, and an English question can find a Korean passage
//! that shares none of its words.
//!
//! Each passage is shown with its file's title line, which often names what the passage's own
//! sentences leave implicit (a manual's model number, an article's subject). The score is the
//! question's log-likelihood plus [`FIRST_STAGE_NATS`] times the first stage's score as a share
//! of the best candidate's: the model decides among passages the first stage found about
//! equally good, and does not overturn a clear lexical winner for a small gain in likelihood.

use crate::engine::{ChatMessage, EngineHandle, ScoreItem, ScoreRequest};
use crate::retrieval::rerank::{Candidate, RerankError, Reranker};

/// Weight, in nats of question likelihood, of the first stage's relative score. Chosen on the
/// tuning splits (dev, encyclopedia, company): 10 kept dev's figures and gained on both others;
/// the held-out splits are scored in BENCHMARKS.md.
pub const FIRST_STAGE_NATS: f32 = 10.0;

/// The system turn every scoring prompt shares (computed once through the prefix cache).
const SYSTEM: &str =
    "You read a passage from a document and write a question that the passage answers.";

/// What the model is asked after the passage.
const ASK: &str = "Write one question that this passage answers.";

/// The query-likelihood reranker over a running engine.
pub struct QueryLikelihood {
    engine: EngineHandle,
    name: String,
}

impl QueryLikelihood {
    /// A reranker that scores with `engine`'s model, named after it (`query-likelihood:NAME`).
    pub fn new(engine: EngineHandle, model_name: &str) -> QueryLikelihood {
        QueryLikelihood {
            engine,
            name: format!("query-likelihood:{model_name}"),
        }
    }

    /// The chat that precedes the question for one passage (`title` is its file's first line,
    /// when that is not the passage itself).
    pub fn prompt(passage: &str, title: Option<&str>) -> Vec<ChatMessage> {
        let shown = match title {
            Some(t) if !t.trim().is_empty() && t.trim() != passage.trim() => {
                format!("Document: {}\nPassage: {passage}", t.trim())
            }
            _ => format!("Passage: {passage}"),
        };
        vec![
            ChatMessage::new("system", SYSTEM),
            ChatMessage::new("user", &format!("{shown}\n\n{ASK}")),
        ]
    }
}

impl Reranker for QueryLikelihood {
    fn name(&self) -> &str {
        &self.name
    }

    fn score(&self, query: &str, candidates: &[Candidate<'_>]) -> Result<Vec<f32>, RerankError> {
        let items = candidates
            .iter()
            .map(|c| ScoreItem {
                messages: Self::prompt(c.text, c.title),
                continuation: query.to_string(),
            })
            .collect();
        let scores = self
            .engine
            .score_blocking(ScoreRequest { items })
            .map_err(|e| RerankError::Scorer(e.to_string()))?;
        Ok(scores
            .iter()
            .zip(candidates)
            .map(|(s, c)| {
                // Each candidate's two parts, for re-weighing them offline (RUST_LOG=debug).
                tracing::debug!(
                    query,
                    passage = c.text,
                    title = c.title,
                    logprob = s.logprob,
                    first_stage = c.first_stage,
                    "query likelihood"
                );
                s.logprob + FIRST_STAGE_NATS * c.first_stage
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_title_is_shown_unless_it_is_the_passage() {
        let m = QueryLikelihood::prompt("필터는 6개월마다 교체한다.", Some("AP-300 사용설명서"));
        assert!(m[1]
            .content
            .starts_with("Document: AP-300 사용설명서\nPassage: 필터는"));
        let m = QueryLikelihood::prompt("AP-300 사용설명서", Some("AP-300 사용설명서"));
        assert!(m[1].content.starts_with("Passage: AP-300"));
        let m = QueryLikelihood::prompt("본문", None);
        assert!(m[1].content.starts_with("Passage: 본문"));
        assert_eq!(m[0].role, "system");
    }

    #[test]
    fn an_engine_without_a_model_is_a_scorer_error() {
        let r = QueryLikelihood::new(EngineHandle::none(), "none");
        assert_eq!(r.name(), "query-likelihood:none");
        let c = Candidate {
            text: "본문",
            title: None,
            first_stage: 1.0,
        };
        let err = r.score("질문", &[c]).unwrap_err();
        assert!(matches!(err, RerankError::Scorer(_)), "{err}");
    }
}
