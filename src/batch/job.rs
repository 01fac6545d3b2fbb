//! A whole batch job: load and check the input (and the gold
//! file) before any work, resume into the output file, run, then score and write the reports.

use std::path::{Path, PathBuf};

use serde_json::Value;

use super::input::{self, Format};
use super::{html, open_for_resume, run, BatchError, BatchOptions, Processor, Sink, Summary};
use crate::eval::{self, load_set, EvalItem, Scores};
use crate::retrieval::corpus::Corpus;

/// What to run and where the results go.
#[derive(Debug, Clone)]
pub struct BatchJob {
    /// Input file, or `-` for standard input.
    pub input: PathBuf,
    pub format: Format,
    /// Output file, or `-` for standard output (no resume, no reports).
    pub output: PathBuf,
    /// Gold file in the evaluation format, matched by id.
    pub gold: Option<PathBuf>,
    /// Where to write the figures as JSON.
    pub report: Option<PathBuf>,
    /// Where to write the HTML report.
    pub html: Option<PathBuf>,
    pub options: BatchOptions,
}

/// What a finished (or interrupted) command produced.
#[derive(Debug)]
pub struct Outcome {
    pub summary: Summary,
    pub scores: Option<Scores>,
}

fn is_stdio(p: &Path) -> bool {
    p.as_os_str() == "-"
}

/// Runs the job. Input problems (unreadable file, bad CSV header, duplicate ids, a bad gold
/// file) are reported before any row is processed.
pub async fn execute(
    job: &BatchJob,
    processor: &dyn Processor,
    corpus: &Corpus,
    stop: impl std::future::Future<Output = ()>,
) -> Result<Outcome, BatchError> {
    let to_stdout = is_stdio(&job.output);
    if to_stdout && (job.gold.is_some() || job.report.is_some() || job.html.is_some()) {
        return Err(BatchError::Input(
            "--gold, --report and --html need an output file (not `-`)".into(),
        ));
    }
    let rows = input::load(&job.input, job.format)?;
    let gold: Option<Vec<EvalItem>> = match &job.gold {
        Some(path) => Some(load_set(path).map_err(|e| BatchError::Input(e.to_string()))?),
        None => None,
    };
    let (mut sink, done) = if to_stdout {
        (Sink::Stdout, Default::default())
    } else {
        open_for_resume(&job.output)?
    };
    let summary = run(rows, &done, processor, &mut sink, &job.options, stop).await?;
    drop(sink);
    let mut scores = None;
    if !to_stdout && (gold.is_some() || job.report.is_some() || job.html.is_some()) {
        let written = read_output(&job.output)?;
        let s = gold
            .as_ref()
            .map(|g| eval::batch::score(&written, g, corpus));
        if let (Some(path), Some(s)) = (&job.report, &s) {
            let json = serde_json::to_string_pretty(s).unwrap_or_default();
            write(path, &json)?;
        }
        if let Some(path) = &job.html {
            write(path, &html::render(&written, s.as_ref(), corpus))?;
        }
        scores = s;
    }
    Ok(Outcome { summary, scores })
}

/// Every row of an output file.
pub fn read_output(path: &Path) -> Result<Vec<Value>, BatchError> {
    let text = std::fs::read_to_string(path).map_err(|e| BatchError::Output {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })?;
    Ok(text
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect())
}

fn write(path: &Path, text: &str) -> Result<(), BatchError> {
    std::fs::write(path, text).map_err(|e| BatchError::Output {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })
}
