//! Output of the command-line subcommands, as library code so it can be tested: search results
//! as text or JSON, the evaluation report, the model download report, and the shutdown signal
//! the server waits for.

use std::fmt::Write;
use std::path::Path;

use crate::engine::pull::{self, PullOutcome, Verification};
use crate::eval::{load_set, score_retrieval, EvalError, Metrics};
use crate::index::{IndexError, Retriever, MAX_TOP_K};

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
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<10} {:>5} {:>6} {:>6} {:>6} {:>6}",
        "group", "items", "hit@1", "hit@3", "hit@5", "MRR"
    );
    let mut row = |name: &str, m: &Metrics| {
        let _ = writeln!(
            out,
            "{:<10} {:>5} {:>6.3} {:>6.3} {:>6.3} {:>6.3}",
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
            let _ = writeln!(
                out,
                "{:<6} {:<3} rank {:<2} top: {}",
                res.id,
                res.lang,
                rank,
                res.top.join(", ")
            );
        }
    }
    Ok(out)
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
