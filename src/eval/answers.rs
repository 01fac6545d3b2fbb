//! Scoring of the answer pipeline (`factcheck eval --answers`): runs `ask` over the
//! questions and `check` over the claims of an evaluation set and reports citation validity
//! (every returned citation re-verified with [`verify_citation`]), the share of items with
//! evidence whose citations cover the gold evidence (overall and per language; for `need: all`
//! every listed file must be covered), verdict accuracy on claims and abstention on unanswerable
//! questions. The last two only mean something with a real model.

use std::collections::BTreeMap;

use serde::Serialize;

use super::{citation_validity, evidence_covered, share, EvalItem};
use crate::answer::citations::verify_citation;
use crate::answer::{AnswerError, Answerer, Citation, Kind, Mode, Response, Verdict};

/// Coverage of the gold evidence for a group of items.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Coverage {
    pub items: usize,
    pub covered: usize,
    pub share: f64,
}

/// The outcome for one item.
#[derive(Debug, Clone, Serialize)]
pub struct AnswerItem {
    pub id: String,
    pub lang: String,
    pub kind: Kind,
    pub mode: Mode,
    pub citations: usize,
    pub invalid_citations: usize,
    pub rejected_citations: usize,
    /// Whether the citations cover the gold evidence (items with evidence only).
    pub covered: Option<bool>,
    pub abstained: Option<bool>,
    pub verdict: Option<Verdict>,
    pub label: Option<Verdict>,
}

/// The whole report.
#[derive(Debug, Clone, Serialize)]
pub struct AnswerReport {
    pub items: usize,
    pub citations: usize,
    pub valid_citations: usize,
    pub citation_validity: f64,
    pub rejected_citations: usize,
    /// `overall`, then one entry per language.
    pub coverage: BTreeMap<String, Coverage>,
    pub claims: usize,
    pub verdict_accuracy: f64,
    pub unanswerable: usize,
    pub abstention_on_unanswerable: f64,
    pub abstained_on_answerable: usize,
    pub results: Vec<AnswerItem>,
}

/// Whether `citations` cover the item's evidence (see [`evidence_covered`]).
pub fn citations_cover(item: &EvalItem, citations: &[Citation]) -> bool {
    let cited: Vec<(&str, &str)> = citations
        .iter()
        .map(|c| (c.source.as_str(), c.quote.as_str()))
        .collect();
    evidence_covered(item, &cited)
}

/// Runs the pipeline over `items` (at most `top_k` passages each) and scores it.
pub async fn score_answers(
    a: &Answerer,
    items: &[EvalItem],
    top_k: usize,
) -> Result<AnswerReport, AnswerError> {
    let corpus = a.retriever().corpus();
    let mut results = Vec::new();
    for item in items {
        let response = a.run(&item.request(), top_k, &mut |_| {}).await?;
        let (abstained, verdict) = match &response {
            Response::Answer(r) => (Some(r.abstained), None),
            Response::Verdict(r) => (None, Some(r.verdict)),
        };
        let (mode, citations) = (response.mode(), response.citations());
        let rejected = response.rejected_citations().count;
        let invalid = citations
            .iter()
            .filter(|c| verify_citation(corpus, c).is_err())
            .count();
        results.push(AnswerItem {
            id: item.id.clone(),
            lang: item.lang.clone(),
            kind: item.kind,
            mode,
            citations: citations.len(),
            invalid_citations: invalid,
            rejected_citations: rejected,
            covered: (!item.evidence.is_empty()).then(|| citations_cover(item, citations)),
            abstained,
            verdict,
            label: item.label,
        });
    }
    Ok(report(items, results))
}

fn report(items: &[EvalItem], results: Vec<AnswerItem>) -> AnswerReport {
    let citations: usize = results.iter().map(|r| r.citations).sum();
    let invalid: usize = results.iter().map(|r| r.invalid_citations).sum();
    let mut coverage: BTreeMap<String, Coverage> = BTreeMap::new();
    for r in &results {
        let Some(covered) = r.covered else { continue };
        for key in ["overall".to_string(), r.lang.clone()] {
            let c = coverage.entry(key).or_default();
            c.items += 1;
            c.covered += usize::from(covered);
        }
    }
    for c in coverage.values_mut() {
        c.share = share(c.covered, c.items);
    }
    let claims: Vec<&AnswerItem> = results.iter().filter(|r| r.kind == Kind::Claim).collect();
    let correct = claims
        .iter()
        .filter(|r| r.verdict.is_some() && r.verdict == r.label)
        .count();
    let unanswerable: Vec<&str> = items
        .iter()
        .filter(|i| i.unanswerable())
        .map(|i| i.id.as_str())
        .collect();
    let abstained_unanswerable = results
        .iter()
        .filter(|r| unanswerable.contains(&r.id.as_str()) && r.abstained == Some(true))
        .count();
    let abstained_on_answerable = results
        .iter()
        .filter(|r| !unanswerable.contains(&r.id.as_str()) && r.abstained == Some(true))
        .count();
    AnswerReport {
        items: results.len(),
        citations,
        valid_citations: citations - invalid,
        citation_validity: citation_validity(citations - invalid, citations),
        rejected_citations: results.iter().map(|r| r.rejected_citations).sum(),
        coverage,
        claims: claims.len(),
        verdict_accuracy: share(correct, claims.len()),
        unanswerable: unanswerable.len(),
        abstention_on_unanswerable: share(abstained_unanswerable, unanswerable.len()),
        abstained_on_answerable,
        results,
    }
}
