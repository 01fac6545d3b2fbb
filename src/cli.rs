//! Output of the command-line subcommands, as library code so it can be tested: search results
//! as text or JSON, answers and claim checks, the evaluation reports, the model download report, and the shutdown signal
//! the server waits for.

use std::fmt::Write;
use std::path::Path;

use crate::answer::{
    AnswerError, Answerer, AskResponse, CheckResponse, Citation, RejectedCitations, Request,
    Response, Side,
};
use crate::engine::pull::{self, PullOutcome, Verification};
use crate::eval::{load_set, score_answers, score_retrieval, text, EvalError};
use crate::index::{IndexError, Retriever, DEFAULT_TOP_K, MAX_TOP_K};

/// Search results for `query`, as numbered text blocks or as the API's JSON.
pub fn search_output(
    r: &Retriever,
    query: &str,
    top_k: usize,
    json: bool,
) -> Result<String, IndexError> {
    let hits = r.search(query, top_k.clamp(1, MAX_TOP_K))?;
    let views: Vec<_> = hits.iter().map(|h| r.view(h)).collect();
    if json {
        let v = serde_json::json!({ "passages": views });
        return Ok(format!(
            "{}\n",
            serde_json::to_string_pretty(&v).unwrap_or_default()
        ));
    }
    let mut out = String::new();
    if views.is_empty() {
        out.push_str("no passage matches\n");
    }
    for (i, v) in views.iter().enumerate() {
        let _ = writeln!(
            out,
            "{}. {} lines {}-{} (score {:.2})\n   > {}\n",
            i + 1,
            v.source,
            v.start_line,
            v.end_line,
            v.score,
            v.highlight
        );
    }
    Ok(out)
}

/// The retrieval report for an evaluation file: a table, or JSON.
pub fn eval_output(
    r: &Retriever,
    set: &Path,
    verbose: bool,
    json: bool,
) -> Result<String, EvalError> {
    let items = load_set(set)?;
    let report = score_retrieval(r, &items)?;
    if json {
        return Ok(format!(
            "{}\n",
            serde_json::to_string_pretty(&report).unwrap_or_default()
        ));
    }
    Ok(text::retrieval_text(&report, verbose))
}

/// The `pull --list` text: every preset with its repository and file.
pub fn preset_list() -> String {
    let mut out = String::new();
    for p in pull::PRESETS {
        let default = if p.name == pull::DEFAULT_PRESET {
            " (default)"
        } else {
            ""
        };
        let _ = writeln!(
            out,
            "{:<14} {}{default}\n{:<14} {} / {}",
            p.name, p.description, "", p.repo, p.file
        );
    }
    out
}

/// What `pull` prints after a download: the checksum verdict, the file, and the model's shape.
pub fn pull_report(outcome: &PullOutcome) -> String {
    let mut out = String::new();
    if outcome.already_present {
        let _ = writeln!(
            out,
            "{} is already present and valid",
            outcome.path.display()
        );
    } else {
        match &outcome.verification {
            Some(Verification::Verified { sha256, source }) => {
                let _ = writeln!(out, "sha256 {sha256} verified ({source})");
            }
            Some(Verification::Unverified { sha256, reason }) => {
                let _ = writeln!(out, "sha256 {sha256} could NOT be verified: {reason}");
            }
            None => {}
        }
        let _ = writeln!(
            out,
            "saved {} ({} bytes)",
            outcome.path.display(),
            outcome.bytes
        );
    }
    let s = &outcome.summary;
    let context = s
        .context_length
        .map_or("unknown".to_string(), |c| c.to_string());
    let _ = writeln!(
        out,
        "model: {} with {} layers, {} tensors, context {context}",
        s.architecture,
        s.block_count.unwrap_or(0),
        s.tensor_count
    );
    out
}

/// Completes on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutting down");
}

/// Runs an answer-pipeline future to completion on a small runtime of its own (the CLI has none).
/// Why an answer command could not print its result.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// The answer pipeline failed.
    #[error(transparent)]
    Answer(#[from] AnswerError),
    /// The evaluation file is unusable.
    #[error(transparent)]
    Eval(#[from] EvalError),
    /// The async runtime could not start.
    #[error("cannot start the async runtime: {0}")]
    Runtime(#[from] std::io::Error),
}

fn block_on<F: std::future::Future>(f: F) -> std::io::Result<F::Output> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    Ok(rt.block_on(f))
}

fn json_text<T: serde::Serialize>(v: &T) -> String {
    format!("{}\n", serde_json::to_string_pretty(v).unwrap_or_default())
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

/// `factcheck ask` and `factcheck check`: the answer or verdict with its citations, as text or
/// as the API's JSON.
pub fn answer_output(
    a: &Answerer,
    request: &Request,
    top_k: usize,
    json: bool,
) -> Result<String, CliError> {
    let resp = block_on(a.run(request, top_k.clamp(1, MAX_TOP_K), &mut |_| {}))??;
    if json {
        return Ok(json_text(&resp));
    }
    Ok(match &resp {
        Response::Answer(r) => answer_text(r),
        Response::Verdict(r) => verdict_text(r),
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
    if !resp.signals.is_empty() {
        let _ = writeln!(out, "signals:");
        for s in &resp.signals {
            let status = serde_json::to_value(s.status).unwrap_or_default();
            let ev: Vec<String> = s
                .evidence
                .iter()
                .map(|e| format!("{} [{}]", e.text, e.passage))
                .collect();
            let _ = writeln!(
                out,
                "  {} ({}): {} {}",
                s.claim_text,
                s.unit,
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

/// `factcheck eval --answers`: the answer-pipeline report, as a table or JSON.
pub fn answers_eval_output(
    a: &Answerer,
    set: &Path,
    verbose: bool,
    json: bool,
) -> Result<String, CliError> {
    let items = load_set(set)?;
    let report = block_on(score_answers(a, &items, DEFAULT_TOP_K))??;
    if json {
        return Ok(json_text(&report));
    }
    Ok(text::answers_text(&report, verbose))
}
