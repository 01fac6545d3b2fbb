//! `factcheck eval`: retrieval figures on an evaluation set (with `--rerank`, through the second
//! stage) and, with `--answers`, the answer pipeline's figures (see [`crate::eval`]), as text or
//! JSON.

use std::path::{Path, PathBuf};

use super::{block_on, json_text, CommandError, CorpusArgs};
use crate::answer::Answerer;
use crate::eval::{load_set, score_answers, score_reranked, text, EvalError};
use crate::retrieval::index::{Retriever, DEFAULT_TOP_K};
use crate::retrieval::likelihood::QueryLikelihood;
use crate::retrieval::rerank::Reranker;

/// Options of `eval`.
#[derive(clap::Args, Debug)]
pub struct EvalArgs {
    /// The evaluation set.
    #[arg(long, env = "FACTCHECK_EVAL_SET")]
    pub set: PathBuf,
    /// Also list every item with its rank.
    #[arg(long, env = "FACTCHECK_VERBOSE")]
    pub verbose: bool,
    /// Print the report as JSON.
    #[arg(long, env = "FACTCHECK_JSON")]
    pub json: bool,
    /// Also run ask/check over the set and score the answers and their citations.
    #[arg(long, env = "FACTCHECK_EVAL_ANSWERS")]
    pub answers: bool,
    /// A GGUF model for --answers (without one: evidence mode) and --rerank.
    #[arg(long, env = "FACTCHECK_MODEL")]
    pub model: Option<PathBuf>,
    /// Score retrieval with the second stage: the model re-orders the first stage's best
    /// candidates by query likelihood (needs --model; not with --answers).
    #[arg(long, env = "FACTCHECK_EVAL_RERANK", conflicts_with = "answers")]
    pub rerank: bool,
}

/// `factcheck eval`.
pub fn run(corpus: &CorpusArgs, args: EvalArgs) -> Result<(), CommandError> {
    let EvalArgs {
        set,
        verbose,
        json,
        answers,
        model,
        rerank,
    } = args;
    if rerank {
        let path = model.ok_or(CommandError::RerankNeedsModel)?;
        let name = super::model_name(&path);
        let a = corpus.answerer(Some(path), true)?;
        let reranker = QueryLikelihood::new(a.engine().clone(), &name);
        print!(
            "{}",
            eval_output(a.retriever(), Some(&reranker), &set, verbose, json)?
        );
        return Ok(());
    }
    if answers {
        let a = corpus.answerer(model, true)?;
        if !json {
            print!(
                "{}",
                eval_output(a.retriever(), None, &set, verbose, false)?
            );
            println!();
        }
        print!("{}", answers_eval_output(&a, &set, verbose, json)?);
    } else {
        let r = corpus.retriever()?;
        print!("{}", eval_output(&r, None, &set, verbose, json)?);
    }
    Ok(())
}

/// The retrieval report for an evaluation file (with the second stage when `reranker` is
/// given): a table, or JSON.
pub fn eval_output(
    r: &Retriever,
    reranker: Option<&dyn Reranker>,
    set: &Path,
    verbose: bool,
    json: bool,
) -> Result<String, EvalError> {
    let items = load_set(set)?;
    let report = score_reranked(r, reranker, &items)?;
    if json {
        return Ok(format!(
            "{}\n",
            serde_json::to_string_pretty(&report).unwrap_or_default()
        ));
    }
    Ok(text::retrieval_text(&report, verbose))
}

/// `factcheck eval --answers`: the answer-pipeline report, as a table or JSON.
pub fn answers_eval_output(
    a: &Answerer,
    set: &Path,
    verbose: bool,
    json: bool,
) -> Result<String, CommandError> {
    let items = load_set(set)?;
    let report = block_on(score_answers(a, &items, DEFAULT_TOP_K))??;
    if json {
        return Ok(json_text(&report));
    }
    Ok(text::answers_text(&report, verbose))
}
