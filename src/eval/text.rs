//! The text output of the evaluation reports: the retrieval table (`factcheck eval`), the
//! answer report (`factcheck eval --answers`) and the batch figures (`factcheck batch --gold`).

use std::fmt::Write;

use super::{AnswerReport, Metrics, RetrievalReport, Scores};

/// The retrieval report as a table; with `verbose`, every item with its rank.
pub fn retrieval_text(report: &RetrievalReport, verbose: bool) -> String {
    let mut out = String::new();
    if let Some(encoder) = &report.encoder {
        let _ = writeln!(out, "dense stage: {encoder}");
    }
    let leads = report.overall.lead_at_1.is_some();
    let _ = writeln!(
        out,
        "{:<10} {:>5} {:>6} {:>6} {:>6} {:>6}{}",
        "group",
        "items",
        "hit@1",
        "hit@3",
        "hit@5",
        "MRR",
        if leads { "  lead@1" } else { "" }
    );
    let mut row = |name: &str, m: &Metrics| {
        let lead = m.lead_at_1.map_or(String::new(), |l| format!(" {l:>7.3}"));
        let _ = writeln!(
            out,
            "{:<10} {:>5} {:>6.3} {:>6.3} {:>6.3} {:>6.3}{lead}",
            name, m.items, m.hit_at_1, m.hit_at_3, m.hit_at_5, m.mrr
        );
    };
    row("overall", &report.overall);
    for (lang, m) in &report.by_lang {
        row(lang, m);
    }
    let _ = writeln!(
        out,
        "({} items without evidence not scored)",
        report.skipped
    );
    if verbose {
        for res in &report.results {
            let rank = res.first_hit.map_or("-".to_string(), |k| k.to_string());
            let lead = match res.lead {
                Some(false) if res.hit_at[0] => "  (lead sentence misses)",
                _ => "",
            };
            let _ = writeln!(
                out,
                "{:<6} {:<3} rank {:<2} top: {}{lead}",
                res.id,
                res.lang,
                rank,
                res.top.join(", ")
            );
        }
    }
    out
}

/// The answer report as text; with `verbose`, every item.
pub fn answers_text(report: &AnswerReport, verbose: bool) -> String {
    let mut out = String::new();
    let mode = report.results.first().map_or("none", |r| r.mode.describe());
    let _ = writeln!(out, "answers ({} items, mode {mode})", report.items);
    let _ = writeln!(
        out,
        "citation validity   {:.3} ({}/{} valid; {} rejected before returning)",
        report.citation_validity,
        report.valid_citations,
        report.citations,
        report.rejected_citations
    );
    for (group, c) in &report.coverage {
        let _ = writeln!(
            out,
            "evidence coverage   {group:<8} {:.3} ({}/{})",
            c.share, c.covered, c.items
        );
    }
    for (group, c) in &report.answers_right {
        let _ = writeln!(
            out,
            "answers right       {group:<8} {:.3} ({}/{} answerable questions)",
            c.share, c.covered, c.items
        );
    }
    let _ = writeln!(
        out,
        "verdict accuracy    {:.3} over {} claims (meaningful with a model)",
        report.verdict_accuracy, report.claims
    );
    if !report.verdict_confusion.is_empty() {
        let cells: Vec<String> = report
            .verdict_confusion
            .iter()
            .map(|(k, n)| format!("{k}: {n}"))
            .collect();
        let _ = writeln!(out, "verdicts (label -> verdict)  {}", cells.join(", "));
    }
    let bias = report.abstain_bias.map_or(String::new(), |b| {
        format!(" (model's odds of abstaining less {b:.1} nats)")
    });
    let _ = writeln!(
        out,
        "abstention          {:.3} of {} unanswerable questions; {} answerable questions abstained{bias}",
        report.abstention_on_unanswerable, report.unanswerable, report.abstained_on_answerable
    );
    let ttft = report.ttft_p50_ms.map_or(String::new(), |t| {
        format!("; first token p50 {:.1} s", t / 1000.0)
    });
    let _ = writeln!(
        out,
        "latency per item    p50 {:.1} s, p90 {:.1} s{ttft}",
        report.p50_ms / 1000.0,
        report.p90_ms / 1000.0
    );
    if verbose {
        for r in &report.results {
            let covered = r
                .covered
                .map_or("-", |c| if c { "covered" } else { "MISSED" });
            let kind = super::set::file_word(r.kind);
            let right = match (r.answer_right, r.verdict, r.label) {
                (Some(true), _, _) => "right".to_string(),
                (Some(false), _, _) => "WRONG".to_string(),
                (None, Some(v), Some(l)) => format!("{} (label {})", v.name(), l.name()),
                _ => "-".to_string(),
            };
            let mut odds = r
                .abstain_odds
                .map(|o| format!(" odds {o:+.1}"))
                .unwrap_or_default();
            if let Some(v) = r.verdict_logprobs {
                let _ = write!(
                    odds,
                    " verdicts {:.1}/{:.1}/{:.1}",
                    v.supported, v.refuted, v.not_enough_info
                );
            }
            let _ = writeln!(
                out,
                "{:<6} {:<3} {:<6} citations {} invalid {} {covered} {right} {:.1}s{odds}  {}",
                r.id,
                r.lang,
                kind,
                r.citations,
                r.invalid_citations,
                r.ms / 1000.0,
                r.answer.replace('\n', " ")
            );
            for note in &r.notes {
                let _ = writeln!(out, "       note: {}", note.replace('\n', " "));
            }
        }
    }
    out
}

/// The figures as plain text (what `batch --gold` prints).
pub fn batch_text(s: &Scores) -> String {
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
