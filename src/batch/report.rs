//! Scoring a batch output against a gold file, and the self-contained HTML report.
//!
//! The figures are those of the eval command, computed from what the batch returned: retrieval
//! hit@k over each row's `passages`, citation validity (every citation re-checked against the
//! corpus lines), the share of rows whose citations cover the gold evidence, verdict accuracy
//! with a confusion table, and abstention on unanswerable questions.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write;

use serde::Serialize;
use serde_json::Value;

use crate::answer::citations::verify_quote;
use crate::corpus::Corpus;
use crate::eval::{evidence_covered, judge_ranking, metrics, EvalItem, ItemResult, Metrics};

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

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 {
        0.0
    } else {
        a as f64 / b as f64
    }
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
    s.citation_validity = if s.citations_returned == 0 {
        1.0
    } else {
        ratio(s.citations_valid, s.citations_returned)
    };
    s.evidence_coverage = ratio(s.evidence_covered, s.evidence_items);
    s.verdict_accuracy = ratio(s.verdict_correct, s.verdict_items);
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
        });
        s.evidence_items += 1;
        let cited = citations(response);
        let pairs: Vec<(&str, &str)> = cited
            .iter()
            .map(|c| (str_of(c, "source"), str_of(c, "quote")))
            .collect();
        s.evidence_covered += usize::from(evidence_covered(item, &pairs));
    }
    if let Some(label) = &item.label {
        s.verdict_items += 1;
        let predicted = response["verdict"].as_str().unwrap_or("none").to_string();
        s.verdict_correct += usize::from(&predicted == label);
        *s.confusion
            .entry(label.clone())
            .or_default()
            .entry(predicted)
            .or_default() += 1;
    }
    if item.kind == "qa" {
        let abstained = response["abstained"].as_bool().unwrap_or(false);
        if item.answerable == Some(false) {
            s.unanswerable += 1;
            s.abstained_on_unanswerable += usize::from(abstained);
        } else if abstained {
            s.abstained_on_answerable += 1;
        }
    }
}

/// The figures as plain text (what `batch --gold` prints).
pub fn text(s: &Scores) -> String {
    let mut out = String::new();
    let m = &s.retrieval;
    let _ = writeln!(
        out,
        "rows {} (matched to gold {}, error rows {})",
        s.rows, s.matched, s.error_rows
    );
    let _ = writeln!(
        out,
        "retrieval: {} items, hit@1 {:.3}, hit@3 {:.3}, hit@5 {:.3}, MRR {:.3}",
        m.items, m.hit_at_1, m.hit_at_3, m.hit_at_5, m.mrr
    );
    let _ = writeln!(
        out,
        "citations: {} returned, {} valid ({:.1}%)",
        s.citations_returned,
        s.citations_valid,
        100.0 * s.citation_validity
    );
    let _ = writeln!(
        out,
        "evidence coverage: {}/{} ({:.1}%)",
        s.evidence_covered,
        s.evidence_items,
        100.0 * s.evidence_coverage
    );
    let _ = writeln!(
        out,
        "verdicts: {}/{} correct ({:.1}%)",
        s.verdict_correct,
        s.verdict_items,
        100.0 * s.verdict_accuracy
    );
    for (gold, row) in &s.confusion {
        let cells: Vec<String> = row.iter().map(|(p, n)| format!("{p}={n}")).collect();
        let _ = writeln!(out, "  gold {gold:<16} -> {}", cells.join(", "));
    }
    let _ = writeln!(
        out,
        "abstention: {}/{} unanswerable abstained; {} answerable abstained",
        s.abstained_on_unanswerable, s.unanswerable, s.abstained_on_answerable
    );
    let _ = writeln!(
        out,
        "latency ms: p50 {:.1}, p90 {:.1}, max {:.1}",
        s.latency_ms_p50, s.latency_ms_p90, s.latency_ms_max
    );
    out
}

/// Escapes text for HTML element content and attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}
