//! `factcheck eval`: retrieval figures on an evaluation set (with `--rerank`, through the second
//! stage) and, with `--answers`, the answer pipeline's figures (see [`crate::eval`]), as text or
//! JSON.

use std::path::{Path, PathBuf};

use super::{block_on, json_text, CommandError, CorpusArgs};
use crate::answer::Answerer;
use crate::eval::{load_set, score_answers, score_reranked, text, EvalError, Stages};
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
    /// Score retrieval with questions not in Korean searched together with the model's Korean
    /// translation of them, as ask/check do with a model (needs --model; on with --answers
    /// --model; with --rerank, the first stage searches the translation too).
    #[arg(long, env = "FACTCHECK_EVAL_TRANSLATE")]
    pub translate: bool,
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
        translate,
    } = args;
    if translate && model.is_none() {
        return Err(CommandError::StageNeedsModel("--translate"));
    }
    if rerank || translate && !answers {
        let path = model.ok_or(CommandError::StageNeedsModel("--rerank"))?;
        let name = super::model_name(&path);
        let a = corpus.answerer(Some(path), true)?;
        let reranker = QueryLikelihood::new(a.engine().clone(), &name);
        let stages = Stages {
            reranker: rerank.then_some(&reranker as &dyn Reranker),
            translator: translate.then_some(a.engine()),
        };
        print!(
            "{}",
            eval_output(a.retriever(), stages, &set, verbose, json)?
        );
        return Ok(());
    }
    if answers {
        let with_model = model.is_some();
        let a = corpus.answerer(model, true)?;
        if !json {
            // What the pipeline searches: with a model, translated questions too.
            let stages = Stages {
                reranker: None,
                translator: with_model.then_some(a.engine()),
            };
            print!(
                "{}",
                eval_output(a.retriever(), stages, &set, verbose, false)?
            );
            println!();
        }
        print!("{}", answers_eval_output(&a, &set, verbose, json)?);
    } else {
        let r = corpus.retriever()?;
        print!(
            "{}",
            eval_output(&r, Stages::default(), &set, verbose, json)?
        );
    }
    Ok(())
}

/// The retrieval report for an evaluation file (through the model `stages` given): a table, or
/// JSON.
pub fn eval_output(
    r: &Retriever,
    stages: Stages<'_>,
    set: &Path,
    verbose: bool,
    json: bool,
) -> Result<String, EvalError> {
    let items = load_set(set)?;
    let report = score_reranked(r, stages, &items)?;
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
