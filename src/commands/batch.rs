//! `factcheck batch`: many questions and claims from a JSONL or CSV file through the answer
//! pipeline ([`crate::batch`]), then the figures against a gold file and the reports.

use std::path::PathBuf;
use std::sync::Arc;

use super::{CommandError, CorpusArgs};
use crate::batch::input::Format;
use crate::batch::job::{self, BatchJob};
use crate::batch::pipeline::PipelineProcessor;
use crate::batch::{BatchOptions, Progress, Summary};
use crate::eval::text::batch_text;

/// Options of `batch`.
#[derive(clap::Args, Debug)]
pub struct BatchArgs {
    /// JSONL (or CSV with a header) of {"id", "question"} / {"id", "claim"} rows; `-` = stdin.
    pub input: PathBuf,
    /// Output JSONL; re-running with the same file resumes; `-` = stdout.
    #[arg(short, long, env = "FACTCHECK_BATCH_OUTPUT")]
    pub output: PathBuf,
    /// Input format (default: csv for a .csv file, jsonl otherwise).
    #[arg(long, env = "FACTCHECK_BATCH_FORMAT", value_parser = ["jsonl", "csv"])]
    pub format: Option<String>,
    /// Gold file (the eval format, matched by id): prints the figures.
    #[arg(long, env = "FACTCHECK_BATCH_GOLD")]
    pub gold: Option<PathBuf>,
    /// Write the figures as JSON here.
    #[arg(long, env = "FACTCHECK_BATCH_REPORT")]
    pub report: Option<PathBuf>,
    /// Write a self-contained HTML report here.
    #[arg(long, env = "FACTCHECK_BATCH_HTML")]
    pub html: Option<PathBuf>,
    /// Rows in flight at once (model work still runs one at a time on its thread).
    #[arg(long, env = "FACTCHECK_BATCH_CONCURRENCY", default_value_t = 4)]
    pub concurrency: usize,
    /// A GGUF model (without one: evidence mode).
    #[arg(long, env = "FACTCHECK_MODEL")]
    pub model: Option<PathBuf>,
    /// Pause before each row, in milliseconds (demos, interruption tests).
    #[arg(long, env = "FACTCHECK_BATCH_DELAY_MS", default_value_t = 0)]
    pub delay_ms: u64,
}

/// `factcheck batch`. An interrupted run exits with status 130 (run again to resume).
pub fn run(corpus: &CorpusArgs, args: BatchArgs) -> Result<(), CommandError> {
    let format = match args.format.as_deref() {
        Some("csv") => Format::Csv,
        Some(_) => Format::Jsonl,
        None => Format::from_path(&args.input),
    };
    let job = BatchJob {
        input: args.input,
        format,
        output: args.output,
        gold: args.gold,
        report: args.report,
        html: args.html,
        options: BatchOptions {
            concurrency: args.concurrency.max(1),
            delay: std::time::Duration::from_millis(args.delay_ms),
            progress: Progress::auto(),
        },
    };
    let answerer = Arc::new(corpus.answerer(args.model.clone(), true)?);
    let processor = PipelineProcessor::new(answerer.clone(), args.model.as_deref())
        .map_err(CommandError::HashModel)?;
    let corpus = answerer.retriever().corpus().clone();
    let rt = tokio::runtime::Runtime::new()?;
    let outcome = rt.block_on(job::execute(
        &job,
        &processor,
        &corpus,
        crate::server::shutdown_signal(),
    ))?;
    if let Some(scores) = &outcome.scores {
        eprint!("{}", batch_text(scores));
    }
    eprintln!("{}", summary_text(&outcome.summary));
    if outcome.summary.interrupted {
        std::process::exit(130);
    }
    if outcome.summary.errors > 0 {
        return Err(CommandError::RowsFailed(outcome.summary.errors));
    }
    Ok(())
}

/// The closing summary printed on stderr.
pub fn summary_text(s: &Summary) -> String {
    let state = if s.interrupted {
        "interrupted (run again to resume)"
    } else {
        "done"
    };
    format!(
        "batch {state}: {} rows, {} already done, {} answered, {} errors, {:.1} s",
        s.rows, s.skipped, s.answered, s.errors, s.seconds
    )
}
