//! Scoring retrieval against an evaluation set.
//!
//! A passage covers an evidence quote when it comes from the same file and its text, compared
//! after NFC and whitespace folding, contains the quote or shares a contiguous run of at least 60%
//! of the quote's characters. `hit@k`: one of the first k passages covers an evidence quote (for
//! `need: all`, every listed file is covered within the first max(k, files) passages). MRR: 1/rank
//! of the first covering passage. Items without evidence are not scored for retrieval.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::{EvalError, EvalItem, Evidence};
use crate::engine::EngineHandle;
use crate::retrieval::index::Retriever;
use crate::retrieval::rerank::{search_reranked, Reranker};
use crate::retrieval::translate;
use crate::text::{char_len, comparable, longest_common_run};

/// Passages looked at for MRR.
const DEPTH: usize = 10;

/// Whether a passage (or citation) from `source` with `text` covers the evidence quote.
pub fn covers(source: &str, text: &str, ev: &Evidence) -> bool {
    if source != ev.source {
        return false;
    }
    let text = comparable(text);
    let quote = comparable(&ev.quote);
    if quote.is_empty() {
        return false;
    }
    if text.contains(&quote) {
        return true;
    }
    let need = (char_len(&quote) * 6).div_ceil(10);
    longest_common_run(&text, &quote) >= need
}

/// Whether cited `(source, quote)` pairs cover an item's evidence: some quote covers an evidence
/// quote, and for `need: all`, every listed file has a covered quote.
pub fn evidence_covered(item: &EvalItem, cited: &[(&str, &str)]) -> bool {
    let covered: BTreeSet<&str> = item
        .evidence
        .iter()
        .filter(|e| cited.iter().any(|(source, quote)| covers(source, quote, e)))
        .map(|e| e.source.as_str())
        .collect();
    if item.needs_all() {
        item.evidence
            .iter()
            .all(|e| covered.contains(e.source.as_str()))
    } else {
        !covered.is_empty()
    }
}

/// Retrieval figures for a group of items.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Metrics {
    pub items: usize,
    pub hit_at_1: f64,
    pub hit_at_3: f64,
    pub hit_at_5: f64,
    pub mrr: f64,
    /// The share of items whose first passage covers an evidence quote in the very sentence
    /// it is quoted by (its highlight, the answer side's lead quote); `None` where the ranking
    /// came without highlights (batch responses).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lead_at_1: Option<f64>,
}

/// The outcome for one item.
#[derive(Debug, Clone, Serialize)]
pub struct ItemResult {
    pub id: String,
    pub lang: String,
    /// 1-based rank of the first covering passage within the first 10, if any.
    pub first_hit: Option<usize>,
    pub hit_at: [bool; 3],
    /// Ids of the first passages returned.
    pub top: Vec<String>,
    /// Whether the first passage's quoting sentence (its highlight) covers an evidence quote;
    /// `None` where highlights are not known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lead: Option<bool>,
}

/// The whole retrieval report.
#[derive(Debug, Clone, Serialize)]
pub struct RetrievalReport {
    /// The dense stage's encoder, when the retriever has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encoder: Option<String>,
    pub overall: Metrics,
    pub by_lang: BTreeMap<String, Metrics>,
    /// Items without evidence, not scored.
    pub skipped: usize,
    pub results: Vec<ItemResult>,
}

/// Runs retrieval for every item with evidence and scores it.
pub fn score_retrieval(
    retriever: &Retriever,
    items: &[EvalItem],
) -> Result<RetrievalReport, EvalError> {
    score_reranked(retriever, Stages::default(), items)
}

/// The model stages of retrieval an evaluation runs, beyond the first stage.
#[derive(Clone, Copy, Default)]
pub struct Stages<'a> {
    /// Re-orders the first stage's candidates ([`search_reranked`]).
    pub reranker: Option<&'a dyn Reranker>,
    /// Translates questions not in Korean for the first stage ([`translate`]); a reranker
    /// still scores the question itself.
    pub translator: Option<&'a EngineHandle>,
}

/// [`score_retrieval`] with the model `stages`.
pub fn score_reranked(
    retriever: &Retriever,
    stages: Stages<'_>,
    items: &[EvalItem],
) -> Result<RetrievalReport, EvalError> {
    let mut results = Vec::new();
    for item in items.iter().filter(|i| !i.evidence.is_empty()) {
        let files: BTreeSet<&str> = item.evidence.iter().map(|e| e.source.as_str()).collect();
        let depth = DEPTH.max(files.len());
        let searched = match stages.translator {
            Some(engine) => translate::search_query_blocking(engine, retriever, item.text())?,
            None => item.text().to_string(),
        };
        let hits = match stages.reranker {
            Some(r) => search_reranked(retriever, item.text(), &searched, depth, r)?,
            None => retriever.search(&searched, depth)?,
        };
        let ranked: Vec<(&str, &str)> = hits
            .iter()
            .map(|h| {
                let p = &retriever.passages()[h.passage];
                (p.source.as_str(), p.text.as_str())
            })
            .collect();
        let (first_hit, hit_at) = judge_ranking(item, &ranked);
        let lead = hits.first().is_some_and(|h| {
            let p = &retriever.passages()[h.passage];
            let sentence = p.text.get(h.highlight.clone()).unwrap_or("");
            item.evidence.iter().any(|e| covers(&p.source, sentence, e))
        });
        results.push(ItemResult {
            id: item.id.clone(),
            lang: item.lang.clone(),
            first_hit,
            hit_at,
            lead: Some(lead),
            top: hits
                .iter()
                .take(3)
                .map(|h| retriever.passages()[h.passage].id.clone())
                .collect(),
        });
    }
    let mut by_lang = BTreeMap::new();
    let langs: BTreeSet<&str> = results.iter().map(|r| r.lang.as_str()).collect();
    for lang in langs {
        let group: Vec<&ItemResult> = results.iter().filter(|r| r.lang == lang).collect();
        by_lang.insert(lang.to_string(), metrics(&group));
    }
    Ok(RetrievalReport {
        encoder: retriever.embedder_name().map(str::to_string),
        overall: metrics(&results.iter().collect::<Vec<_>>()),
        by_lang,
        skipped: items.len() - results.len(),
        results,
    })
}

/// Judges a ranked list of `(source, text)` passages against an item's evidence: the 1-based
/// rank of the first covering passage, and hit@1, hit@3, hit@5 (with the `need: all` rule).
pub fn judge_ranking(item: &EvalItem, ranked: &[(&str, &str)]) -> (Option<usize>, [bool; 3]) {
    let files: BTreeSet<&str> = item.evidence.iter().map(|e| e.source.as_str()).collect();
    let covered: Vec<Vec<&str>> = ranked
        .iter()
        .map(|(source, text)| {
            item.evidence
                .iter()
                .filter(|e| covers(source, text, e))
                .map(|e| e.source.as_str())
                .collect()
        })
        .collect();
    let hit = |k: usize| -> bool {
        if item.needs_all() {
            let depth = k.max(files.len()).min(covered.len());
            let seen: BTreeSet<&str> = covered[..depth].iter().flatten().copied().collect();
            files.iter().all(|f| seen.contains(f))
        } else {
            covered.iter().take(k).any(|c| !c.is_empty())
        }
    };
    let first = covered.iter().position(|c| !c.is_empty()).map(|r| r + 1);
    (first, [hit(1), hit(3), hit(5)])
}

/// hit@k rates and MRR of a group of item results.
pub fn metrics(group: &[&ItemResult]) -> Metrics {
    let n = group.len();
    if n == 0 {
        return Metrics::default();
    }
    let rate = |k: usize| group.iter().filter(|r| r.hit_at[k]).count() as f64 / n as f64;
    let mrr = group
        .iter()
        .map(|r| r.first_hit.map_or(0.0, |k| 1.0 / k as f64))
        .sum::<f64>()
        / n as f64;
    let leads: Vec<bool> = group.iter().filter_map(|r| r.lead).collect();
    Metrics {
        items: n,
        hit_at_1: rate(0),
        hit_at_3: rate(1),
        hit_at_5: rate(2),
        mrr,
        lead_at_1: (!leads.is_empty())
            .then(|| leads.iter().filter(|l| **l).count() as f64 / leads.len() as f64),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(source: &str, quote: &str) -> Evidence {
        Evidence {
            source: source.into(),
            quote: quote.into(),
            line: None,
        }
    }

    #[test]
    fn lead_at_1_counts_the_items_whose_quoting_sentence_is_known() {
        let result = |hit: bool, lead: Option<bool>| ItemResult {
            id: "x".into(),
            lang: "ko".into(),
            first_hit: hit.then_some(1),
            hit_at: [hit; 3],
            top: Vec::new(),
            lead,
        };
        let group = [
            result(true, Some(true)),
            result(true, Some(false)),
            result(false, Some(false)),
            result(true, None),
        ];
        let m = metrics(&group.iter().collect::<Vec<_>>());
        assert_eq!(m.hit_at_1, 0.75);
        assert_eq!(m.lead_at_1, Some(1.0 / 3.0));
        let unknown = [result(true, None)];
        assert_eq!(metrics(&unknown.iter().collect::<Vec<_>>()).lead_at_1, None);
    }

    #[test]
    fn coverage_by_containment_or_long_run() {
        let text = "소프트뱅크는 약 230억 달러의 현금과  약 1,720억 달러의 순자산을 보유";
        assert!(covers(
            "a.txt",
            text,
            &ev("a.txt", "230억 달러의 현금과 약 1,720억")
        ));
        assert!(!covers("b.txt", text, &ev("a.txt", "230억 달러의 현금")));
        // 6 of 10 characters in one run is enough; 5 is not.
        assert!(covers("a", "abcdefXXXX", &ev("a", "abcdefghij")));
        assert!(!covers("a", "abcdeXXXXX", &ev("a", "abcdefghij")));
        assert!(!covers("a", "text", &ev("a", "  ")));
    }
}
