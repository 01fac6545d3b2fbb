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
use crate::answer::matching::answer_matches_question;
use crate::answer::{
    AnswerError, Answerer, Citation, Kind, Mode, Response, Verdict, VerdictLogprobs,
};

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
    /// Answerable questions with a reference answer: whether the answer contains it
    /// ([`answer_matches_question`]: words the question says need not be repeated).
    pub answer_right: Option<bool>,
    /// The answer or the verdict's explanation, as returned.
    pub answer: String,
    /// End-to-end time for the item, milliseconds.
    pub ms: f64,
    /// Time to the first generated token, milliseconds (with a model).
    pub ttft_ms: Option<f64>,
    /// The odds the model gave abstaining over quoting (`ModelDebug::abstain_odds`).
    pub abstain_odds: Option<f32>,
    /// The bias taken from those odds (`ModelDebug::abstain_bias`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub abstain_bias: Option<f32>,
    /// How the model weighed the verdicts of a claim (`ModelDebug::verdict_logprobs`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verdict_logprobs: Option<VerdictLogprobs>,
    /// Why parts of the model's output were not kept or were changed (`ModelDebug::notes`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
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
    /// The abstention bias the model ran with (`Answerer::abstain_bias`), where it chose.
    pub abstain_bias: Option<f32>,
    /// Answerable questions whose answer contains the reference: `overall`, then per language.
    pub answers_right: BTreeMap<String, Coverage>,
    /// Claims by `label -> verdict`.
    pub verdict_confusion: BTreeMap<String, usize>,
    /// End-to-end time per item, milliseconds: median and 90th percentile.
    pub p50_ms: f64,
    pub p90_ms: f64,
    /// Time to the first token (items where a model generated): median, milliseconds.
    pub ttft_p50_ms: Option<f64>,
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
        let start = std::time::Instant::now();
        let mut first: Option<f64> = None;
        let response = a
            .run(&item.request(), top_k, &mut |p| {
                if first.is_none() && matches!(p, crate::answer::Progress::Delta(_)) {
                    first = Some(start.elapsed().as_secs_f64() * 1000.0);
                }
            })
            .await?;
        let ms = start.elapsed().as_secs_f64() * 1000.0;
        let (abstained, verdict, answer) = match &response {
            Response::Answer(r) => (Some(r.abstained), None, r.answer.clone()),
            Response::Verdict(r) => (None, Some(r.verdict), r.explanation.clone()),
        };
        let answer_right = match (&item.answer, abstained) {
            (Some(reference), Some(abstained)) if item.answerable == Some(true) => {
                Some(!abstained && answer_matches_question(&answer, reference, item.text()))
            }
            _ => None,
        };
        let debug = match &response {
            Response::Answer(r) => r.debug.as_ref(),
            Response::Verdict(r) => r.debug.as_ref(),
        };
        let abstain_odds = debug.and_then(|d| d.abstain_odds);
        let abstain_bias = debug.and_then(|d| d.abstain_bias);
        let verdict_logprobs = debug.and_then(|d| d.verdict_logprobs);
        let notes = debug.map(|d| d.notes.clone()).unwrap_or_default();
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
            answer_right,
            answer,
            ms,
            ttft_ms: first,
            abstain_odds,
            abstain_bias,
            verdict_logprobs,
            notes,
        });
    }
    Ok(report(items, results))
}

/// How many items `yes` counts (of those it judges), `overall` and per language.
fn by_language(
    results: &[AnswerItem],
    yes: impl Fn(&AnswerItem) -> Option<bool>,
) -> BTreeMap<String, Coverage> {
    let mut groups: BTreeMap<String, Coverage> = BTreeMap::new();
    for r in results {
        let Some(y) = yes(r) else { continue };
        for key in ["overall".to_string(), r.lang.clone()] {
            let c = groups.entry(key).or_default();
            c.items += 1;
            c.covered += usize::from(y);
        }
    }
    for c in groups.values_mut() {
        c.share = share(c.covered, c.items);
    }
    groups
}

fn report(items: &[EvalItem], results: Vec<AnswerItem>) -> AnswerReport {
    let citations: usize = results.iter().map(|r| r.citations).sum();
    let invalid: usize = results.iter().map(|r| r.invalid_citations).sum();
    let coverage = by_language(&results, |r| r.covered);
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
    let answers_right = by_language(&results, |r| r.answer_right);
    let mut verdict_confusion = BTreeMap::new();
    for r in &claims {
        let key = format!(
            "{} -> {}",
            r.label.map_or("?", |v| v.name()),
            r.verdict.map_or("?", |v| v.name())
        );
        *verdict_confusion.entry(key).or_insert(0) += 1;
    }
    let mut times: Vec<f64> = results.iter().map(|r| r.ms).collect();
    let mut ttfts: Vec<f64> = results.iter().filter_map(|r| r.ttft_ms).collect();
    times.sort_by(f64::total_cmp);
    ttfts.sort_by(f64::total_cmp);
    let pick = |v: &[f64], q: f64| {
        v.get(((v.len() as f64 - 1.0) * q).round() as usize)
            .copied()
    };
    AnswerReport {
        answers_right,
        verdict_confusion,
        p50_ms: pick(&times, 0.5).unwrap_or(0.0),
        p90_ms: pick(&times, 0.9).unwrap_or(0.0),
        ttft_p50_ms: pick(&ttfts, 0.5),
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
        abstain_bias: results.iter().find_map(|r| r.abstain_bias),
        results,
    }
}
