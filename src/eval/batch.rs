//! Scoring a batch output against a gold set.
//!
//! The figures are those of the eval command, computed from what the batch returned: retrieval
//! hit@k over each row's `passages`, citation validity (every citation re-checked against the
//! corpus lines), the share of rows whose citations cover the gold evidence, verdict accuracy
//! with a confusion table, and abstention on unanswerable questions.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;
use serde_json::Value;

use super::{
    citation_validity, evidence_covered, judge_ranking, metrics, share, EvalItem, ItemResult,
    Metrics,
};
use crate::answer::citations::verify_quote;
use crate::answer::Kind;
use crate::retrieval::corpus::Corpus;

/// Every figure of a scored batch.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Scores {
    /// Output rows, and those with a gold item of the same id.
    pub rows: usize,
    pub matched: usize,
    pub error_rows: usize,
    pub retrieval: Metrics,
    pub citations_returned: usize,
    pub citations_valid: usize,
    /// Valid / returned (1 when none were returned).
    pub citation_validity: f64,
    /// Gold items with evidence, and those whose citations cover it.
    pub evidence_items: usize,
    pub evidence_covered: usize,
    pub evidence_coverage: f64,
    /// Claims with a gold label, and those whose verdict equals it.
    pub verdict_items: usize,
    pub verdict_correct: usize,
    pub verdict_accuracy: f64,
    /// gold label → predicted verdict → count.
    pub confusion: BTreeMap<String, BTreeMap<String, usize>>,
    /// Unanswerable questions, and those answered with an abstention.
    pub unanswerable: usize,
    pub abstained_on_unanswerable: usize,
    /// Answerable questions that were wrongly abstained on.
    pub abstained_on_answerable: usize,
    /// Per-row latency percentiles, milliseconds.
    pub latency_ms_p50: f64,
    pub latency_ms_p90: f64,
    pub latency_ms_max: f64,
}

fn citations(response: &Value) -> Vec<&Value> {
    response["citations"]
        .as_array()
        .map(|a| a.iter().collect())
        .unwrap_or_default()
}

fn str_of<'a>(v: &'a Value, key: &str) -> &'a str {
    v[key].as_str().unwrap_or("")
}

fn usize_of(v: &Value, key: &str) -> usize {
    v[key].as_u64().unwrap_or(0) as usize
}

/// Scores output rows against gold items (matched by id) and the corpus.
pub fn score(rows: &[Value], gold: &[EvalItem], corpus: &Corpus) -> Scores {
    let by_id: HashMap<&str, &EvalItem> = gold.iter().map(|g| (g.id.as_str(), g)).collect();
    let mut s = Scores {
        rows: rows.len(),
        ..Scores::default()
    };
    let mut ranking: Vec<ItemResult> = Vec::new();
    let mut latencies: Vec<f64> = Vec::new();
    for row in rows {
        if !row["error"].is_null() {
            s.error_rows += 1;
        }
        latencies.extend(row["elapsed_ms"].as_f64());
        let response = &row["response"];
        for c in citations(response) {
            s.citations_returned += 1;
            let (start, end) = (usize_of(c, "start_line"), usize_of(c, "end_line"));
            let (source, quote) = (str_of(c, "source"), str_of(c, "quote"));
            s.citations_valid +=
                usize::from(verify_quote(corpus, source, start, end, quote).is_ok());
        }
        let Some(item) = row["id"].as_str().and_then(|id| by_id.get(id)) else {
            continue;
        };
        s.matched += 1;
        score_item(&mut s, &mut ranking, item, response);
    }
    s.citation_validity = citation_validity(s.citations_valid, s.citations_returned);
    s.evidence_coverage = share(s.evidence_covered, s.evidence_items);
    s.verdict_accuracy = share(s.verdict_correct, s.verdict_items);
    s.retrieval = metrics(&ranking.iter().collect::<Vec<_>>());
    latencies.sort_by(f64::total_cmp);
    let pct = |p: f64| {
        latencies
            .get(((latencies.len() as f64 - 1.0) * p).round() as usize)
            .copied()
            .unwrap_or(0.0)
    };
    (s.latency_ms_p50, s.latency_ms_p90, s.latency_ms_max) = (pct(0.5), pct(0.9), pct(1.0));
    s
}

fn score_item(s: &mut Scores, ranking: &mut Vec<ItemResult>, item: &EvalItem, response: &Value) {
    if !item.evidence.is_empty() {
        let passages = response["passages"]
            .as_array()
            .map_or(&[][..], Vec::as_slice);
        let ranked: Vec<(&str, &str)> = passages
            .iter()
            .map(|p| (str_of(p, "source"), str_of(p, "text")))
            .collect();
        let (first_hit, hit_at) = judge_ranking(item, &ranked);
        ranking.push(ItemResult {
            id: item.id.clone(),
            lang: item.lang.clone(),
            first_hit,
            hit_at,
            top: Vec::new(),
            lead: None,
        });
        s.evidence_items += 1;
        let cited = citations(response);
        let pairs: Vec<(&str, &str)> = cited
            .iter()
            .map(|c| (str_of(c, "source"), str_of(c, "quote")))
            .collect();
        s.evidence_covered += usize::from(evidence_covered(item, &pairs));
    }
    if let Some(label) = item.label {
        s.verdict_items += 1;
        let predicted = response["verdict"].as_str().unwrap_or("none").to_string();
        s.verdict_correct += usize::from(predicted == label.name());
        *s.confusion
            .entry(label.name().to_string())
            .or_default()
            .entry(predicted)
            .or_default() += 1;
    }
    if item.kind == Kind::Question {
        let abstained = response["abstained"].as_bool().unwrap_or(false);
        if item.unanswerable() {
            s.unanswerable += 1;
            s.abstained_on_unanswerable += usize::from(abstained);
        } else if abstained {
            s.abstained_on_answerable += 1;
        }
    }
}
