//! Batch runs: many questions and claims from a JSONL or CSV file, answered in input order,
//! safe to interrupt and resume.
//!
//! Rows are processed with bounded concurrency (`futures`' ordered buffering, so output order is
//! input order) by a [`Processor`] — the answer pipeline in the binary, a fake in tests. Each
//! output row is written whole and flushed before the next; a re-run with the same output file
//! skips the ids already there. Bad rows become error rows and the run goes on.

pub mod html;
pub mod input;
pub mod job;
pub mod output;
pub mod pipeline;

use std::collections::HashSet;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use futures::future::BoxFuture;
use futures::StreamExt;
use serde::Serialize;
use serde_json::{json, Value};

pub use input::{BatchRow, Row};
pub use output::{open_for_resume, Sink};

/// Errors that stop a batch run.
#[derive(Debug, thiserror::Error)]
pub enum BatchError {
    /// The input as a whole is unusable (unreadable, bad CSV header, duplicate ids).
    #[error("input: {0}")]
    Input(String),
    /// The output file cannot be read, repaired or written.
    #[error("output {path}: {reason}")]
    Output { path: PathBuf, reason: String },
}

/// Answers one row; `Err` is a message for the row's error entry.
pub trait Processor: Send + Sync {
    fn process<'a>(&'a self, row: &'a BatchRow) -> BoxFuture<'a, Result<Value, String>>;
    /// Where answers come from (model file and hash, corpus hash, prompt version).
    fn provenance(&self) -> Value;
}

/// How to run.
#[derive(Debug, Clone)]
pub struct BatchOptions {
    /// Rows in flight at once.
    pub concurrency: usize,
    /// Pause before each row (demos and interruption tests).
    pub delay: Duration,
    /// Draw a progress bar (stderr is a terminal) or print plain summary lines.
    pub progress: Progress,
}

/// How progress is shown on stderr.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    Bar,
    Lines,
    Quiet,
}

impl Progress {
    /// A bar on a terminal, plain lines otherwise (CI logs).
    pub fn auto() -> Progress {
        if std::io::stderr().is_terminal() {
            Progress::Bar
        } else {
            Progress::Lines
        }
    }
}

/// The outcome of a run.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Summary {
    /// Rows in the input.
    pub rows: usize,
    /// Rows skipped because the output already had them.
    pub skipped: usize,
    /// Rows answered now.
    pub answered: usize,
    /// Error rows written now (bad input or a failed answer).
    pub errors: usize,
    /// True when the run stopped early (Ctrl-C); re-run to finish.
    pub interrupted: bool,
    pub seconds: f64,
}

/// Runs every row not yet in `done`, writing results to `sink` in input order. Stops early, with
/// every finished row written, when `stop` completes.
pub async fn run(
    rows: Vec<Row>,
    done: &HashSet<String>,
    processor: &dyn Processor,
    sink: &mut Sink,
    opts: &BatchOptions,
    stop: impl std::future::Future<Output = ()>,
) -> Result<Summary, BatchError> {
    let start = Instant::now();
    let mut summary = Summary {
        rows: rows.len(),
        ..Summary::default()
    };
    let todo: Vec<Row> = rows
        .into_iter()
        .filter(|r| !done.contains(r.id()))
        .collect();
    summary.skipped = summary.rows - todo.len();
    let mut meter = Meter::new(opts.progress, todo.len());
    let provenance = processor.provenance();
    let delay = opts.delay;
    let mut results = futures::stream::iter(todo)
        .map(|row| async move {
            if !delay.is_zero() {
                tokio::time::sleep(delay).await;
            }
            let started = Instant::now();
            let result = match &row {
                Row::Good(r) => Some(processor.process(r).await),
                Row::Bad(_) => None,
            };
            (row, result, started.elapsed().as_secs_f64() * 1000.0)
        })
        .buffered(opts.concurrency.max(1));
    tokio::pin!(stop);
    loop {
        let next = tokio::select! {
            next = results.next() => next,
            _ = &mut stop => {
                summary.interrupted = true;
                break;
            }
        };
        let Some((row, result, elapsed_ms)) = next else {
            break;
        };
        let (mut line, failed) = output_row(&row, result, &provenance);
        line["elapsed_ms"] = json!((elapsed_ms * 10.0).round() / 10.0);
        sink.write_row(&line)?;
        if failed {
            summary.errors += 1;
        } else {
            summary.answered += 1;
        }
        meter.tick(failed);
    }
    meter.finish();
    summary.seconds = start.elapsed().as_secs_f64();
    Ok(summary)
}

/// The output line for a row, and whether it is an error row.
pub fn output_row(
    row: &Row,
    result: Option<Result<Value, String>>,
    provenance: &Value,
) -> (Value, bool) {
    match (row, result) {
        (Row::Good(r), Some(Ok(response))) => (
            json!({
                "id": r.id, "line": r.line, "kind": r.request.kind.name(), "input": r.input,
                "response": response, "provenance": provenance, "error": null,
            }),
            false,
        ),
        (Row::Good(r), result) => {
            let message = match result {
                Some(Err(m)) => m,
                _ => "not processed".into(),
            };
            (
                json!({
                    "id": r.id, "line": r.line, "kind": r.request.kind.name(), "input": r.input,
                    "provenance": provenance,
                    "error": {"code": "failed", "message": message},
                }),
                true,
            )
        }
        (Row::Bad(b), _) => (
            json!({
                "id": b.id, "line": b.line, "input": b.input,
                "error": {"code": "invalid_row", "message": b.reason},
            }),
            true,
        ),
    }
}

/// Progress on stderr: an indicatif bar on a terminal, a summary line every few seconds otherwise.
struct Meter {
    mode: Progress,
    bar: Option<indicatif::ProgressBar>,
    total: usize,
    done: usize,
    errors: usize,
    start: Instant,
    last_line: Instant,
}

impl Meter {
    fn new(mode: Progress, total: usize) -> Meter {
        let bar = (mode == Progress::Bar).then(|| {
            let bar = indicatif::ProgressBar::new(total as u64);
            if let Ok(style) = indicatif::ProgressStyle::with_template(
                "{bar:30} {pos}/{len} rows  {per_sec}  ETA {eta}  {msg}",
            ) {
                bar.set_style(style);
            }
            bar
        });
        let now = Instant::now();
        Meter {
            mode,
            bar,
            total,
            done: 0,
            errors: 0,
            start: now,
            last_line: now,
        }
    }

    fn tick(&mut self, failed: bool) {
        self.done += 1;
        self.errors += usize::from(failed);
        if let Some(bar) = &self.bar {
            bar.inc(1);
            if self.errors > 0 {
                bar.set_message(format!("{} errors", self.errors));
            }
        } else if self.mode == Progress::Lines && self.last_line.elapsed() >= Duration::from_secs(5)
        {
            self.last_line = Instant::now();
            eprintln!("{}", self.line());
        }
    }

    fn line(&self) -> String {
        let secs = self.start.elapsed().as_secs_f64().max(1e-9);
        let rate = self.done as f64 / secs;
        let eta = if rate > 0.0 {
            (self.total - self.done) as f64 / rate
        } else {
            0.0
        };
        format!(
            "batch: {}/{} rows, {} errors, {rate:.1} rows/s, ETA {eta:.0} s",
            self.done, self.total, self.errors
        )
    }

    fn finish(&self) {
        match &self.bar {
            Some(bar) => bar.finish(),
            None if self.mode == Progress::Lines => eprintln!("{}", self.line()),
            None => {}
        }
    }
}
