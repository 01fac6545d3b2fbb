//! The second retrieval stage: a [`Reranker`] re-scores the first stage's best candidates.
//!
//! Lexical retrieval (the [`index`](crate::retrieval::index)) finds passages that share words with the
//! question; a reranker judges the few best of them by meaning. The scorer that ships is the
//! local model ([`crate::retrieval::likelihood`]: the likelihood of the question given each
//! passage). Anything that scores a (query, passage) pair plugs in through the trait; the API
//! asks for it with `"rerank": true`, and a server without one answers with the first stage's
//! order and says so.

use crate::retrieval::index::{Hit, IndexError, Retriever};

/// First-stage candidates a reranker looks at (it re-orders within them only). Measured: at 12,
/// the right passage is among them for 0.76-1.0 of the questions of every evaluation set with
/// the lexical first stage, 0.95-1.0 with the dense stage; the model's cost grows with each
/// one (BENCHMARKS.md, "Second stage" and "Dense stage").
pub const RERANK_DEPTH: usize = 12;

/// One first-stage candidate as a reranker sees it.
#[derive(Debug, Clone, Copy)]
pub struct Candidate<'a> {
    /// The passage.
    pub text: &'a str,
    /// Its file's title line ([`Retriever::title`]), when that is another line.
    pub title: Option<&'a str>,
    /// Its first-stage score as a share of the best candidate's (1 for the best).
    pub first_stage: f32,
}

/// Errors from a reranker.
#[derive(Debug, thiserror::Error)]
pub enum RerankError {
    /// The scorer failed (the model is not ready, its thread is gone…).
    #[error("reranker failed: {0}")]
    Scorer(String),
    /// The scorer returned a number of scores other than the number of passages.
    #[error("reranker returned {got} scores for {want} passages")]
    Count { got: usize, want: usize },
    #[error(transparent)]
    Index(#[from] IndexError),
}

/// Scores passages for a query; higher is better. Scores need only be comparable within one
/// call (log-likelihoods, probabilities, similarities).
pub trait Reranker: Send + Sync {
    /// A short name for logs and responses (`query-likelihood:qwen3-0.6b`).
    fn name(&self) -> &str;
    /// One score per candidate, in the order given.
    fn score(&self, query: &str, candidates: &[Candidate<'_>]) -> Result<Vec<f32>, RerankError>;
}

/// The `top_k` best passages for `query`: the first stage's best [`RERANK_DEPTH`] (or `top_k`,
/// if more) for `searched` (the query itself, or the query with its Korean translation:
/// [`crate::retrieval::translate`]) re-ordered by `reranker`'s scores for `query` (ties keep
/// the first stage's order). Each hit's `score` becomes the reranker's; coverage and
/// highlight stay the first stage's.
pub fn search_reranked(
    retriever: &Retriever,
    query: &str,
    searched: &str,
    top_k: usize,
    reranker: &dyn Reranker,
) -> Result<Vec<Hit>, RerankError> {
    let hits = retriever.search(searched, RERANK_DEPTH.max(top_k))?;
    if hits.is_empty() {
        return Ok(hits);
    }
    let best = hits.iter().map(|h| h.score).fold(f32::MIN, f32::max);
    let candidates: Vec<Candidate<'_>> = hits
        .iter()
        .map(|h| {
            let p = &retriever.passages()[h.passage];
            Candidate {
                text: &p.text,
                title: retriever.title(h.passage),
                first_stage: if best > 0.0 { h.score / best } else { 0.0 },
            }
        })
        .collect();
    let scores = reranker.score(query, &candidates)?;
    if scores.len() != hits.len() {
        return Err(RerankError::Count {
            got: scores.len(),
            want: hits.len(),
        });
    }
    let mut ranked: Vec<(usize, Hit)> = hits
        .into_iter()
        .zip(scores)
        .map(|(mut h, s)| {
            h.score = s;
            h
        })
        .enumerate()
        .collect();
    ranked.sort_by(|(ia, a), (ib, b)| b.score.total_cmp(&a.score).then(ia.cmp(ib)));
    Ok(ranked
        .into_iter()
        .map(|(_, h)| h)
        .take(top_k.clamp(1, crate::retrieval::index::MAX_TOP_K))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::retrieval::corpus::{Corpus, SourceFile};

    /// Scores a passage by whether it holds a word: a stand-in for a model.
    struct Holds(&'static str);

    impl Reranker for Holds {
        fn name(&self) -> &str {
            "holds"
        }
        fn score(
            &self,
            _query: &str,
            candidates: &[Candidate<'_>],
        ) -> Result<Vec<f32>, RerankError> {
            Ok(candidates
                .iter()
                .map(|c| if c.text.contains(self.0) { 1.0 } else { 0.0 })
                .collect())
        }
    }

    struct Broken;

    impl Reranker for Broken {
        fn name(&self) -> &str {
            "broken"
        }
        fn score(
            &self,
            _query: &str,
            _candidates: &[Candidate<'_>],
        ) -> Result<Vec<f32>, RerankError> {
            Ok(vec![1.0])
        }
    }

    fn retriever() -> Retriever {
        Retriever::new(Corpus::from_files(vec![SourceFile::from_text(
            "r.txt",
            "한라산 높이는 1,947m이다.\n한라산 정상에는 백록담이 있다.\n한라산 등산로는 두 곳이다.\n",
        )]))
        .unwrap()
    }

    #[test]
    fn the_reranker_orders_the_first_stage_candidates() {
        let r = retriever();
        let first = r.search("한라산 높이", 3).unwrap();
        assert_eq!(r.passages()[first[0].passage].start_line, 1);
        let hits = search_reranked(&r, "한라산 높이", "한라산 높이", 2, &Holds("백록담")).unwrap();
        assert_eq!(hits.len(), 2);
        assert_eq!(r.passages()[hits[0].passage].start_line, 2);
        assert_eq!(hits[0].score, 1.0);
        // Ties keep the first stage's order.
        assert_eq!(r.passages()[hits[1].passage].start_line, 1);
    }

    #[test]
    fn a_scorer_that_miscounts_is_an_error() {
        let err = search_reranked(&retriever(), "한라산", "한라산", 3, &Broken).unwrap_err();
        assert!(matches!(err, RerankError::Count { got: 1, want: 3 }));
        assert!(search_reranked(&retriever(), "무엇?", "무엇?", 3, &Broken)
            .unwrap()
            .is_empty());
    }
}
