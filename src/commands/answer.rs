//! `factcheck ask` and `factcheck check`: one request through the answer pipeline, printed as
//! text (the answer or verdict, the numeric signals, the citations) or as the API's JSON.

use std::fmt::Write;
use std::path::PathBuf;

use super::{block_on, json_text, CommandError, CorpusArgs};
use crate::answer::{
    Answerer, AskResponse, CheckResponse, Citation, ModelDebug, RejectedCitations, Request,
    Response, Side,
};
use crate::retrieval::index::{DEFAULT_TOP_K, MAX_TOP_K};

/// Options of `ask` and `check`.
#[derive(clap::Args, Debug)]
pub struct AnswerArgs {
    /// Passages to retrieve (1..=50).
    #[arg(long, env = "FACTCHECK_TOP_K", default_value_t = DEFAULT_TOP_K)]
    pub top_k: usize,
    /// A GGUF model (without one: evidence mode).
    #[arg(long, env = "FACTCHECK_MODEL")]
    pub model: Option<PathBuf>,
    /// Print the API's JSON instead of text.
    #[arg(long, env = "FACTCHECK_JSON")]
    pub json: bool,
    /// Also print what the model wrote, the prompt's token count and why anything it wrote
    /// was not kept.
    #[arg(long, env = "FACTCHECK_VERBOSE")]
    pub verbose: bool,
}

/// `factcheck ask` / `factcheck check`: loads the pipeline (waiting for the model) and prints the
/// response to `request`.
pub fn run(corpus: &CorpusArgs, request: Request, args: AnswerArgs) -> Result<(), CommandError> {
    let a = corpus.answerer(args.model, true)?;
    let out = answer_output(&a, &request, args.top_k, args.json, args.verbose)?;
    print!("{out}");
    Ok(())
}

/// `factcheck ask` and `factcheck check`: the answer or verdict with its citations, as text or
/// as the API's JSON.
pub fn answer_output(
    a: &Answerer,
    request: &Request,
    top_k: usize,
    json: bool,
    verbose: bool,
) -> Result<String, CommandError> {
    let resp = block_on(a.run(request, top_k.clamp(1, MAX_TOP_K), &mut |_| {}))??;
    if json {
        return Ok(json_text(&resp));
    }
    let (text, debug) = match &resp {
        Response::Answer(r) => (answer_text(r), r.debug.as_ref()),
        Response::Verdict(r) => (verdict_text(r), r.debug.as_ref()),
    };
    Ok(if verbose {
        format!("{text}{}", debug_text(debug))
    } else {
        text
    })
}

fn answer_text(resp: &AskResponse) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{}\n", resp.answer);
    let _ = writeln!(
        out,
        "mode: {}{}",
        resp.mode.describe(),
        if resp.abstained { ", abstained" } else { "" }
    );
    if let Some(n) = &resp.notice {
        let _ = writeln!(out, "note: {n}");
    }
    if let Some(w) = &resp.weak_evidence {
        let _ = writeln!(out, "weak evidence: {w}");
    }
    if !resp.citations.is_empty() {
        let _ = writeln!(out, "citations:");
        citation_lines(&mut out, &resp.citations);
    }
    rejected_line(&mut out, &resp.rejected_citations);
    out
}

fn verdict_text(resp: &CheckResponse) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "verdict: {}", resp.verdict.name());
    let _ = writeln!(out, "{}\n", resp.explanation);
    let _ = writeln!(out, "mode: {}", resp.mode.describe());
    if let Some(n) = &resp.notice {
        let _ = writeln!(out, "note: {n}");
    }
    if let Some(w) = &resp.weak_evidence {
        let _ = writeln!(out, "weak evidence: {w}");
    }
    if !resp.signals.is_empty() {
        let _ = writeln!(out, "signals:");
        for s in &resp.signals {
            let status = serde_json::to_value(s.status).unwrap_or_default();
            let ev: Vec<String> = s
                .evidence
                .iter()
                .map(|e| format!("{} [{}]", e.text, e.passage))
                .collect();
            let kind = serde_json::to_value(s.kind).unwrap_or_default();
            let kind = kind.as_str().unwrap_or("");
            let what = match s.unit.is_empty() {
                true => kind.to_string(),
                false => format!("{kind}, {}", s.unit),
            };
            let _ = writeln!(
                out,
                "  {} ({what}): {} {}",
                s.claim_text,
                status.as_str().unwrap_or(""),
                ev.join(", ")
            );
        }
    }
    if !resp.citations.is_empty() {
        let _ = writeln!(out, "citations:");
        citation_lines(&mut out, &resp.citations);
    }
    rejected_line(&mut out, &resp.rejected_citations);
    out
}

/// The model's output and notes, for `--verbose`.
pub fn debug_text(debug: Option<&ModelDebug>) -> String {
    let mut out = String::new();
    match debug {
        None => {
            let _ = writeln!(out, "model output: none (no model wrote this response)");
        }
        Some(d) => {
            let tokens = d.prompt_tokens.map_or("?".to_string(), |n| n.to_string());
            let _ = writeln!(out, "prompt tokens: {tokens}");
            let _ = writeln!(out, "model output:\n{}", d.output);
            for n in &d.notes {
                let _ = writeln!(out, "note: {n}");
            }
        }
    }
    out
}

fn citation_lines(out: &mut String, citations: &[Citation]) {
    for (i, c) in citations.iter().enumerate() {
        let side = match c.side {
            Some(Side::Supports) => " (supports)",
            Some(Side::Refutes) => " (refutes)",
            None => "",
        };
        let _ = writeln!(
            out,
            "  [{}] {} lines {}-{}{side}: “{}”",
            i + 1,
            c.source,
            c.start_line,
            c.end_line,
            c.quote
        );
    }
}

fn rejected_line(out: &mut String, r: &RejectedCitations) {
    if r.count > 0 {
        let items: Vec<String> = r
            .items
            .iter()
            .map(|x| {
                format!(
                    "{} {}",
                    x.marker,
                    serde_json::to_value(x.reason)
                        .unwrap_or_default()
                        .as_str()
                        .unwrap_or("")
                )
            })
            .collect();
        let _ = writeln!(
            out,
            "rejected citations: {} ({})",
            r.count,
            items.join(", ")
        );
    }
}
