//! Evidence mode: answers without a model. The answer is the best evidence sentences (the
//! highlights of the top hits, at most three, from hits whose query coverage is high enough),
//! quoted verbatim, each with its citation. A claim gets `verdict: "unverified"` with the
//! evidence found and the numeric signals. Also the abstention response shared by both modes.

use super::citations::{quote_lines, sanitize, verify_citation};
use super::context::{self, ContextPassage};
use super::signals::{self, EvidenceText, Signal, SignalKind, Status};
use super::terms;
use super::{
    abstention_text, is_korean, Answerer, AskResponse, CheckResponse, Citation, Mode, Progress,
    RejectedCitations, SentenceView, Side, Timings, Verdict,
};
use crate::retrieval::analyzer::normalize;
use crate::retrieval::index::Hit;

/// The response that says the corpus does not answer.
pub fn abstain(question: &str, mode: Mode, passages: Vec<ContextPassage>) -> AskResponse {
    AskResponse {
        answer: abstention_text(question).to_string(),
        abstained: true,
        mode,
        citations: Vec::new(),
        rejected_citations: RejectedCitations::default(),
        sentences: Vec::new(),
        passages,
        timings: Timings::default(),
        notice: None,
        weak_evidence: None,
        debug: None,
    }
}

/// The hits evidence mode quotes: the best few with enough coverage.
fn evidence_hits<'h>(a: &Answerer, hits: &'h [Hit]) -> Vec<&'h Hit> {
    let cfg = a.config();
    let Some(top) = hits.first() else {
        return Vec::new();
    };
    let floor = cfg
        .extractive_min_coverage
        .max(top.coverage * cfg.extractive_relative);
    hits.iter()
        .filter(|h| a.retriever().bears(h, floor))
        .take(cfg.extractive_sentences)
        .collect()
}

/// The label of the hit's passage in `ctx`, adding the passage to `ctx` when the budget left
/// it out (so every citation's passage is listed).
fn label_for(a: &Answerer, hit: &Hit, ctx: &mut Vec<ContextPassage>) -> String {
    if let Some(p) = ctx.iter().find(|p| p.passage == hit.passage) {
        return p.label.clone();
    }
    let mut extra = context::select(a.retriever(), std::slice::from_ref(hit), a.config().budget);
    let label = crate::markers::label(ctx.len() + 1);
    if let Some(mut p) = extra.pop() {
        p.label = label.clone();
        ctx.push(p);
    }
    label
}

/// Verified citations of the evidence hits' best sentences.
fn evidence_citations(a: &Answerer, hits: &[Hit], ctx: &mut Vec<ContextPassage>) -> Vec<Citation> {
    let corpus = a.retriever().corpus();
    let mut out: Vec<Citation> = Vec::new();
    for hit in evidence_hits(a, hits) {
        let p = &a.retriever().passages()[hit.passage];
        let Some(quote) = p.text.get(hit.highlight.clone()) else {
            continue;
        };
        if quote.trim().is_empty() || out.iter().any(|c| c.quote == quote) {
            continue;
        }
        let label = label_for(a, hit, ctx);
        let Some(cp) = ctx.iter().find(|c| c.label == label) else {
            continue;
        };
        let (start_line, end_line) = quote_lines(corpus, cp, quote);
        let c = Citation {
            id: p.id.clone(),
            label,
            source: p.source.clone(),
            start_line,
            end_line,
            quote: quote.to_string(),
            side: None,
        };
        if verify_citation(corpus, &c).is_ok() {
            out.push(c);
        }
    }
    out
}

/// Evidence mode answer.
pub fn ask(
    a: &Answerer,
    question: &str,
    hits: &[Hit],
    mut ctx: Vec<ContextPassage>,
    progress: &mut (dyn FnMut(Progress) + Send),
) -> AskResponse {
    let citations = evidence_citations(a, hits, &mut ctx);
    if citations.is_empty() {
        return abstain(question, Mode::Extractive, ctx);
    }
    let sentences: Vec<SentenceView> = citations
        .iter()
        .enumerate()
        .map(|(i, c)| SentenceView {
            text: sanitize(&c.quote),
            supported: true,
            citations: vec![i],
        })
        .collect();
    let answer = sentences
        .iter()
        .map(|s| s.text.as_str())
        .collect::<Vec<_>>()
        .join("\n");
    progress(Progress::Delta(answer.clone()));
    for c in &citations {
        progress(Progress::Citation(c.clone()));
    }
    AskResponse {
        answer,
        abstained: false,
        mode: Mode::Extractive,
        citations,
        rejected_citations: RejectedCitations::default(),
        sentences,
        passages: ctx,
        timings: Timings::default(),
        notice: None,
        weak_evidence: None,
        debug: None,
    }
}

/// Signals of `claim` against the full text of the context passages (a table's row with its
/// columns' names, as retrieval reads it): its figures
/// ([`signals::compare_translated`]; `translation`: the model's Korean translation of a claim in
/// another language, or empty), then its words that the evidence replaces ([`terms::compare`]).
pub fn signals_for(
    a: &Answerer,
    claim: &str,
    translation: &str,
    ctx: &[ContextPassage],
) -> Vec<Signal> {
    let passages = a.retriever().passages();
    let evidence: Vec<EvidenceText> = ctx
        .iter()
        .map(|p| EvidenceText {
            label: &p.label,
            passage_id: &p.id,
            source: &p.source,
            text: passages[p.passage].reads_as(),
            row: passages[p.passage].fields.is_some(),
            tokens: a.retriever().passage_tokens(p.passage),
        })
        .collect();
    let mut found = signals::compare_translated(claim, translation, &evidence);
    let in_corpus = |key: &str| passages.iter().any(|p| normalize(&p.text).contains(key));
    found.extend(terms::compare(
        claim,
        &evidence,
        a.retriever().synonyms(),
        &in_corpus,
    ));
    found
}

/// The side a citation is on according to the signals: its passage gives a figure that agrees
/// (supports) or disagrees (refutes) with the claim.
pub fn side_from_signals(c: &Citation, signals: &[Signal]) -> Option<Side> {
    let mut side = None;
    for e in signals.iter().flat_map(|s| &s.evidence) {
        if e.passage_id == c.id {
            if !e.agrees {
                return Some(Side::Refutes);
            }
            side = Some(Side::Supports);
        }
    }
    side
}

/// A one-line summary of the signals, in the claim's language.
pub fn describe_signals<'a>(signals: impl IntoIterator<Item = &'a Signal>, korean: bool) -> String {
    signals
        .into_iter()
        .filter(|s| s.status != Status::NotFound)
        .map(|s| {
            let figures: Vec<&str> = s.evidence.iter().map(|e| e.text.as_str()).collect();
            let status = match (s.status, korean) {
                (Status::Match, true) => "일치",
                (Status::Mismatch, true) => "불일치",
                (Status::Conflicting, true) => "자료 간 상충",
                (Status::Match, false) => "matches",
                (Status::Mismatch, false) => "does not match",
                (Status::Conflicting, false) => "conflicting sources",
                (Status::NotFound, _) => "",
            };
            format!("{} → {} ({})", s.claim_text, figures.join(", "), status)
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// Evidence mode claim check: no verdict, the evidence and the signals.
pub fn check(
    a: &Answerer,
    claim: &str,
    hits: &[Hit],
    mut ctx: Vec<ContextPassage>,
    signals: Vec<Signal>,
    progress: &mut (dyn FnMut(Progress) + Send),
) -> CheckResponse {
    let mut citations = evidence_citations(a, hits, &mut ctx);
    for c in &mut citations {
        c.side = side_from_signals(c, &signals);
        progress(Progress::Citation(c.clone()));
    }
    let korean = is_korean(claim);
    let figures = describe_signals(
        signals.iter().filter(|s| s.kind != SignalKind::Term),
        korean,
    );
    let words = describe_signals(
        signals.iter().filter(|s| s.kind == SignalKind::Term),
        korean,
    );
    let explanation = match (korean, citations.len()) {
        (true, 0) => {
            "모델이 로드되지 않아 판정하지 않았습니다. 관련 근거를 찾지 못했습니다.".to_string()
        }
        (false, 0) => "No model is loaded, so no verdict was made. No relevant evidence was found."
            .to_string(),
        (true, n) => {
            format!("모델이 로드되지 않아 판정하지 않았습니다. 관련 근거 문장 {n}개를 인용합니다.")
        }
        (false, n) => format!(
            "No model is loaded, so no verdict was made. {n} evidence sentence(s) are quoted."
        ),
    };
    let explanation = match (figures.is_empty(), korean) {
        (true, _) => explanation,
        (false, true) => format!("{explanation} 수치 비교: {figures}."),
        (false, false) => format!("{explanation} Figures: {figures}."),
    };
    let explanation = match (words.is_empty(), korean) {
        (true, _) => explanation,
        (false, true) => format!("{explanation} 표현 비교: {words}."),
        (false, false) => format!("{explanation} Wording: {words}."),
    };
    CheckResponse {
        verdict: Verdict::Unverified,
        explanation,
        citations,
        rejected_citations: RejectedCitations::default(),
        signals,
        mode: Mode::Extractive,
        passages: ctx,
        timings: Timings::default(),
        notice: None,
        weak_evidence: None,
        debug: None,
    }
}
