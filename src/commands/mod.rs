//! The subcommands of the `factcheck` binary, one file each: its arguments (clap), its wiring
//! and its output, as library code so that it can be tested. `src/main.rs` parses the command
//! line and calls the `run` of one of these.
//!
//! - [`answer`]: `ask` and `check` (one [`crate::answer::Request`] each).
//! - [`search`]: `search`, the best passages for a query.
//! - [`eval`]: `eval`, retrieval (and, with `--answers`, answer) figures on an evaluation set.
//! - [`batch`]: `batch`, many requests from a file, resumable.
//! - [`serve`]: `serve`, the HTTP server.
//! - [`pull`]: `pull`, a GGUF model from the Hugging Face hub.
//! - [`model`]: `generate`, `bench` and `dev random-model`, the model tools.
//!
//! This file holds what they share: the corpus options ([`CorpusArgs`]), loading the retriever,
//! the prompts and the answer pipeline, and the error type.

pub mod answer;
pub mod batch;
pub mod eval;
pub mod model;
pub mod pull;
pub mod search;
pub mod serve;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::answer::pipeline::MAX_ABSTAIN_BIAS;
use crate::answer::{AnswerConfig, AnswerError, Answerer, Prompts};
use crate::embed::Embedder;
use crate::engine::{EngineConfig, EngineError, EngineHandle};
use crate::eval::EvalError;
use crate::retrieval::corpus::{Corpus, CorpusError};
use crate::retrieval::index::{corpus_glossary, IndexError, Pipeline, Retriever, GLOSSARY_FILE};

/// Why a subcommand failed.
#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    /// The corpus folder cannot be read.
    #[error(transparent)]
    Corpus(#[from] CorpusError),
    /// The corpus folder holds no usable file; the text says what it holds instead.
    #[error("no usable .txt or .md files in the corpus folder {0}{1}")]
    EmptyCorpus(PathBuf, String),
    /// A glossary file cannot be read.
    #[error("cannot read {0}")]
    Glossary(PathBuf, #[source] std::io::Error),
    /// The glossary named by `--glossary` cannot be read.
    #[error("cannot read the glossary {0}")]
    GlossaryArg(PathBuf, #[source] std::io::Error),
    /// Indexing or searching failed.
    #[error(transparent)]
    Index(#[from] IndexError),
    /// The answer pipeline failed.
    #[error(transparent)]
    Answer(#[from] AnswerError),
    /// The evaluation file is unusable.
    #[error(transparent)]
    Eval(#[from] EvalError),
    /// The model engine failed (to start, or to generate).
    #[error(transparent)]
    Engine(#[from] EngineError),
    /// The model failed to load (`--model` with a command that needs it loaded).
    #[error("{0}")]
    ModelLoad(String),
    /// `eval --rerank` or `--translate` (the flag) without a model to run it.
    #[error("{0} needs --model FILE: it is the local model's work")]
    StageNeedsModel(&'static str),
    /// The sentence encoder (`--embedder`) cannot be loaded.
    #[error(transparent)]
    Embedder(#[from] crate::embed::EmbedError),
    /// A batch run cannot start or finish.
    #[error(transparent)]
    Batch(#[from] crate::batch::BatchError),
    /// Some batch rows failed.
    #[error("{0} rows failed; see their `error` in the output")]
    RowsFailed(usize),
    /// Downloading a model failed.
    #[error(transparent)]
    Pull(#[from] crate::pull::PullError),
    /// The model file cannot be hashed for provenance.
    #[error("cannot hash the model file")]
    HashModel(#[source] std::io::Error),
    /// The server cannot bind its address.
    #[error("cannot bind {0}")]
    Bind(String, #[source] std::io::Error),
    /// An input file cannot be read.
    #[error("cannot read {0}")]
    Read(PathBuf, #[source] std::io::Error),
    /// A token-id file has no `ids` array.
    #[error("{0} has no `ids` array of token ids")]
    NoIds(PathBuf),
    /// A file cannot be written.
    #[error("cannot write {0}")]
    Write(PathBuf, #[source] std::io::Error),
    /// Other input/output (the async runtime, the server, stdout).
    #[error(transparent)]
    Io(#[from] std::io::Error),
    /// Output cannot be serialized.
    #[error(transparent)]
    Json(#[from] serde_json::Error),
}

/// Options every corpus command shares (global on the command line).
#[derive(clap::Args, Debug, Clone)]
pub struct CorpusArgs {
    /// Folder holding the corpus (*.txt and *.md files, subfolders included).
    #[arg(long, global = true, env = "FACTCHECK_SEEDS", default_value = "seeds")]
    pub seeds: PathBuf,
    /// Folder holding the prompt templates (answer.jinja, check.jinja).
    #[arg(
        long,
        global = true,
        env = "FACTCHECK_PROMPTS",
        default_value = "prompts"
    )]
    pub prompts: PathBuf,
    /// The retrieval pipeline: `default`, `plain` (Hangul-bigram BM25 alone) or `layer` (every
    /// part on), each optionally followed by `+part` / `-part` (`default-thesaurus`). Parts:
    /// particles, stopwords, word_weights, thesaurus, builtin_glossary, focus, coverage, priors,
    /// near_repeats, context, skip_headings, ko_endings, lead_syllable, transliterate,
    /// proximity, codes, anchors, parts, sentences, surface, stemming, columns. Unset: the default, with
    /// `context` and `skip_headings` on and `surface` off when a sentence encoder runs.
    #[arg(long, global = true, env = "FACTCHECK_RETRIEVAL", value_parser = Pipeline::parse)]
    pub retrieval: Option<Pipeline>,
    /// A glossary (query expansion lines, data/thesaurus.txt's format) read on top of the
    /// built-in one; default: the corpus folder's glossary.thesaurus if it has one; `none`: no
    /// glossary of the corpus.
    #[arg(long, global = true, env = "FACTCHECK_GLOSSARY")]
    pub glossary: Option<PathBuf>,
    /// The sentence encoder for the dense retrieval stage: passages are also found by meaning,
    /// not only by shared words. A folder is EmbeddingGemma-300M's sentence-transformers folder
    /// (`scripts/fetch-gemma-embedder.sh`), a file multilingual-e5-small, 4-bit
    /// (`scripts/fetch-embedder.sh`). Unset: the first found of `embeddinggemma-300m/` and
    /// `e5-small-q4.bin`, each looked for in the models folder (`$FACTCHECK_MODELS_DIR`, default
    /// `models/`) and in the fetch scripts' cache (`$FACTCHECK_TEST_MODELS`, default
    /// `~/.cache/factcheck-test-models`); `none`: lexical retrieval only.
    #[arg(long, global = true, env = "FACTCHECK_EMBEDDER")]
    pub embedder: Option<PathBuf>,
    /// Nats taken from the model's odds of abstaining where it first chooses between quoting
    /// the passages and saying they hold no answer: above 0 it answers more, below 0 it
    /// abstains more. Unset: 3 for a model of under a billion weights (small models abstain on
    /// most answerable questions), else 0.
    #[arg(
        long,
        global = true,
        env = "FACTCHECK_ABSTAIN_BIAS",
        value_parser = parse_abstain_bias,
        allow_negative_numbers = true
    )]
    pub abstain_bias: Option<f32>,
}

/// `--abstain-bias`: a finite number of nats within ±[`MAX_ABSTAIN_BIAS`].
fn parse_abstain_bias(text: &str) -> Result<f32, String> {
    let v: f32 = text
        .trim()
        .parse()
        .map_err(|_| format!("`{text}` is not a number of nats"))?;
    if !v.is_finite() || v.abs() > MAX_ABSTAIN_BIAS {
        return Err(format!(
            "{text} nats is out of range: the bias must lie between -{MAX_ABSTAIN_BIAS} and {MAX_ABSTAIN_BIAS}"
        ));
    }
    Ok(v)
}

impl CorpusArgs {
    /// Loads the corpus and indexes it with the chosen pipeline and glossary, and the passages'
    /// vectors when an encoder is chosen.
    pub fn retriever(&self) -> Result<Retriever, CommandError> {
        let (retriever, encoder) = self.lexical_retriever()?;
        Ok(match encoder {
            Some(e) => retriever.with_embedder(e),
            None => retriever,
        })
    }

    /// [`CorpusArgs::retriever`] without the passages' vectors, and the chosen encoder (loaded)
    /// to embed them with.
    fn lexical_retriever(&self) -> Result<(Retriever, Option<Arc<Embedder>>), CommandError> {
        let seeds = &self.seeds;
        let corpus = Corpus::load(seeds)?;
        if corpus.files.is_empty() {
            return Err(CommandError::EmptyCorpus(seeds.clone(), why_empty(&corpus)));
        }
        let glossary = match &self.glossary {
            Some(path) if path.as_os_str() == "none" => None,
            Some(path) => Some(
                std::fs::read_to_string(path)
                    .map_err(|e| CommandError::GlossaryArg(path.clone(), e))?,
            ),
            None => corpus_glossary(seeds)
                .map_err(|e| CommandError::Glossary(seeds.join(GLOSSARY_FILE), e))?,
        };
        let embedder = self.embedder_path();
        let pipeline = self.retrieval.unwrap_or(match embedder {
            Some(_) => Pipeline::dense_default(),
            None => Pipeline::default(),
        });
        let mut retriever = Retriever::with_pipeline(corpus, pipeline)?;
        if let Some(text) = glossary {
            retriever = retriever.with_glossary(&text);
        }
        let encoder = match embedder {
            Some(path) => {
                let embedder = Embedder::load(&path)?;
                tracing::info!(encoder = %path.display(), "dense retrieval stage on");
                Some(Arc::new(embedder))
            }
            None => None,
        };
        Ok((retriever, encoder))
    }

    /// The sentence encoder to load: `--embedder` (`none`: no encoder), else the stronger one
    /// [`find_embedder`] finds in the models folder or the fetch scripts' cache.
    pub fn embedder_path(&self) -> Option<PathBuf> {
        if let Some(path) = &self.embedder {
            return (path.as_os_str() != "none").then(|| path.clone());
        }
        let env_dir = |var: &str| std::env::var_os(var).map(PathBuf::from);
        let home = env_dir("HOME").map(|h| h.join(".cache/factcheck-test-models"));
        let dirs: Vec<PathBuf> = [
            env_dir("FACTCHECK_MODELS_DIR").or_else(|| Some(PathBuf::from("models"))),
            env_dir("FACTCHECK_TEST_MODELS").or(home),
        ]
        .into_iter()
        .flatten()
        .collect();
        find_embedder(&dirs)
    }

    /// Loads the prompt templates: from the folder, or the built-in copies when the default
    /// folder is absent (running outside the repository).
    pub fn prompts(&self) -> Result<Prompts, CommandError> {
        let dir = &self.prompts;
        if dir == Path::new("prompts") && !dir.exists() {
            tracing::info!("no prompts/ folder here; using the built-in prompt templates");
            return Ok(Prompts::builtin());
        }
        Ok(Prompts::load(dir)?)
    }

    /// The answer pipeline over the corpus, with the model at `model` if given. With `wait`
    /// (the one-shot commands), loading finishes first and a failure is an error, and the
    /// passages are embedded before the first search; without (the server), both go on in the
    /// background while it serves, searches being lexical until the vectors are in.
    pub fn answerer(&self, model: Option<PathBuf>, wait: bool) -> Result<Answerer, CommandError> {
        let prompts = self.prompts()?;
        let retriever = if wait {
            Arc::new(self.retriever()?)
        } else {
            let (retriever, encoder) = self.lexical_retriever()?;
            let retriever = Arc::new(retriever);
            if let Some(e) = encoder {
                retriever.embed_in_background(e);
            }
            retriever
        };
        let engine = match model {
            // The engine validates the file (gguf_check) before candle reads it; a bad file
            // becomes `failed (reason)`, which `wait` turns into an error naming the file.
            Some(path) => EngineHandle::start(path, EngineConfig::default())?,
            None => EngineHandle::none(),
        };
        if wait {
            engine.wait_loaded().map_err(CommandError::ModelLoad)?;
        }
        let config = AnswerConfig {
            abstain_bias: self.abstain_bias,
            ..AnswerConfig::default()
        };
        Ok(Answerer::new(retriever, engine, prompts).with_config(config))
    }
}

/// What an empty corpus folder holds instead of usable files, for [`CommandError::EmptyCorpus`]:
/// the files of other formats (a few named) and the files that could not be read, with why.
fn why_empty(corpus: &Corpus) -> String {
    const NAMED: usize = 5;
    let mut parts = Vec::new();
    if !corpus.skipped.is_empty() {
        let mut names = corpus.skipped[..corpus.skipped.len().min(NAMED)].join(", ");
        if corpus.skipped.len() > NAMED {
            names.push_str(&format!(" and {} more", corpus.skipped.len() - NAMED));
        }
        parts.push(format!(
            "not text files, so not read: {names} (save them as .txt)"
        ));
    }
    for p in corpus.problems.iter().take(NAMED) {
        parts.push(format!("{} {}", p.file, p.reason));
    }
    match parts.is_empty() {
        true => String::new(),
        false => format!("; {}", parts.join("; ")),
    }
}

/// A model's name for responses and logs: its file name without the extension.
fn model_name(path: &std::path::Path) -> String {
    path.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "model".into())
}

/// Runs a future to completion on a small runtime of its own (the one-shot commands have none).
fn block_on<F: std::future::Future>(f: F) -> std::io::Result<F::Output> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    Ok(rt.block_on(f))
}

/// Pretty JSON with a final newline.
fn json_text<T: serde::Serialize>(v: &T) -> String {
    format!("{}\n", serde_json::to_string_pretty(v).unwrap_or_default())
}

/// The stronger sentence encoder in `dirs`: EmbeddingGemma's folder
/// ([`crate::embed::gemma::FOLDER`], with its weights) in any of them, else e5's file
/// ([`crate::embed::MODEL_FILE`]). Falling back to e5 is logged, with how to fetch the other.
pub fn find_embedder(dirs: &[PathBuf]) -> Option<PathBuf> {
    let gemma = dirs
        .iter()
        .map(|dir| dir.join(crate::embed::gemma::FOLDER))
        .find(|d| d.join(crate::embed::gemma::WEIGHTS).is_file());
    if gemma.is_some() {
        return gemma;
    }
    let e5 = dirs
        .iter()
        .map(|dir| dir.join(crate::embed::MODEL_FILE))
        .find(|p| p.is_file());
    if e5.is_some() {
        tracing::info!(
            "EmbeddingGemma-300M not found (scripts/fetch-gemma-embedder.sh fetches it); the \
             dense stage runs multilingual-e5-small, which ranks worse"
        );
    }
    e5
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(embedder: Option<&str>) -> CorpusArgs {
        CorpusArgs {
            seeds: PathBuf::from("seeds"),
            prompts: PathBuf::from("prompts"),
            retrieval: None,
            glossary: None,
            embedder: embedder.map(PathBuf::from),
            abstain_bias: None,
        }
    }

    #[test]
    fn an_abstain_bias_is_a_number_of_nats_in_range() {
        assert_eq!(parse_abstain_bias("3"), Ok(3.0));
        assert_eq!(parse_abstain_bias(" -2.5 "), Ok(-2.5));
        assert!(parse_abstain_bias("lots")
            .unwrap_err()
            .contains("not a number"));
        for bad in ["NaN", "inf", "25", "-20.5"] {
            assert!(
                parse_abstain_bias(bad)
                    .unwrap_err()
                    .contains("out of range"),
                "{bad}"
            );
        }
    }

    #[test]
    fn an_explicit_embedder_wins_and_none_turns_the_dense_stage_off() {
        assert_eq!(args(Some("none")).embedder_path(), None);
        assert_eq!(
            args(Some("/x/e5.bin")).embedder_path(),
            Some(PathBuf::from("/x/e5.bin"))
        );
        // Unset: only a model that exists is taken, EmbeddingGemma's folder first.
        let models = tempfile::tempdir().unwrap();
        let cache = tempfile::tempdir().unwrap();
        let dirs = [models.path().to_path_buf(), cache.path().to_path_buf()];
        let found = || find_embedder(&dirs);
        assert_eq!(found(), None);
        std::fs::write(cache.path().join(crate::embed::MODEL_FILE), b"e5").unwrap();
        assert_eq!(found(), Some(cache.path().join(crate::embed::MODEL_FILE)));
        // A Gemma folder without its weights is not taken.
        let gemma = models.path().join(crate::embed::gemma::FOLDER);
        std::fs::create_dir(&gemma).unwrap();
        assert_eq!(found(), Some(cache.path().join(crate::embed::MODEL_FILE)));
        std::fs::write(gemma.join(crate::embed::gemma::WEIGHTS), b"w").unwrap();
        assert_eq!(found(), Some(gemma));
    }
}
