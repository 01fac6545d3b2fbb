//! The local model engine: validating and loading GGUF models with candle, generating text, and
//! the dedicated thread that owns the model. Only the model runtime lives here: downloading
//! models is [`crate::pull`], the benchmark and the random-weight fixtures [`crate::devtools`].
//!
//! Module map:
//! - [`config`]: model hyper-parameters read from the GGUF metadata.
//! - [`model`]: the decoder (qwen2, qwen3, llama, gemma3) on candle ops, with a snapshottable KV cache.
//! - [`tokenizer`]: the tokenizer built from the GGUF metadata (or a `tokenizer.json` beside it).
//! - [`template`]: chat templates rendered with minijinja, with a fallback per architecture.
//! - [`kernels`]: quantized matrix products (AVX-512 VNNI / AVX-VNNI / AVX2 / portable).
//! - [`linear`]: weight matrices: our kernels for quantized types, candle for the rest.
//! - [`loaded`]: a model, its tokenizer and template loaded together from one file.
//! - [`generate`]: the generation loop: sampling, stops, UTF-8-safe streaming, timings.
//! - [`constraint`]: constrained decoding (`TokenConstraint`, `MarkerConstraint`).
//! - [`quote_first`]: the quote-first answer form as a constraint (quotes verbatim by construction).
//! - [`score`]: teacher-forced scoring of given continuations (query likelihood for reranking).
//! - [`worker`]: the thread that owns the model, its job queue, and `EngineHandle` (with
//!   `wait_loaded`, which sleeps until loading ends).
//! - [`gguf_check`]: safe pre-validation of GGUF files before candle reads them.

pub mod config;
pub mod constraint;
pub mod generate;
pub mod gguf_check;
pub mod kernels;
pub mod linear;
pub mod loaded;
pub mod model;
pub mod quote_first;
pub mod score;
pub mod template;
pub mod tokenizer;
pub mod worker;

use std::path::{Path, PathBuf};

pub use constraint::{MarkerConstraint, TokenConstraint, TokenMask, Vocab};
pub use generate::{ChatMessage, Event, FinishReason, GenerateRequest, SamplingParams, Timings};
pub use loaded::{LoadedModel, ModelInfo};
pub use quote_first::{
    AbstainOdds, ChoiceLogprobs, Lead, QuoteFirst, QuoteFirstForm, QuoteFirstOutput, Quoted,
    ANSWER_WORDS,
};
pub use score::{ContinuationScore, ScoreItem, ScoreRequest};
pub use worker::{
    Backend, CandleBackend, EngineConfig, EngineHandle, EngineStatus, Job, JobStream, Work,
};

/// Everything that can go wrong in the engine. Each message names the thing at fault.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// The job queue is full; retry later (the server answers 503 with Retry-After).
    #[error("the model is busy: the request queue is full")]
    Busy,
    /// No model is loaded yet, or loading failed.
    #[error("the model is not ready: {0}")]
    NotReady(String),
    /// The engine thread has stopped.
    #[error("the model engine has stopped")]
    Stopped,
    /// The model file does not exist.
    #[error("model file not found: {0}")]
    ModelNotFound(PathBuf),
    /// Reading a file failed.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The GGUF file is malformed or lacks something the architecture needs.
    #[error("bad model file: {0}")]
    BadModel(String),
    /// `general.architecture` names an architecture we do not run.
    #[error("unsupported model architecture `{0}` (supported: qwen2, qwen3, llama, gemma3)")]
    UnsupportedArchitecture(String),
    /// Building or running the tokenizer failed.
    #[error("tokenizer: {0}")]
    Tokenizer(String),
    /// Rendering the chat template failed.
    #[error("chat template: {0}")]
    Template(String),
    /// The prompt plus `max_tokens` does not fit the model's context.
    #[error("context too long: {needed} tokens needed, the model allows {limit}")]
    ContextOverflow {
        /// Prompt tokens plus the tokens to generate.
        needed: usize,
        /// The model's context length.
        limit: usize,
    },
    /// A request parameter is out of range.
    #[error("invalid request: {0}")]
    InvalidRequest(String),
    /// A tensor operation failed.
    #[error("tensor operation failed: {0}")]
    Candle(#[from] candle_core::Error),
    /// A bug: an invariant did not hold.
    #[error("internal engine error: {0}")]
    Internal(String),
}

/// The engine's result type.
pub type Result<T, E = EngineError> = std::result::Result<T, E>;

/// Checks a GGUF file with the safe validator before candle parses it: candle panics or aborts
/// the process on crafted files (zero alignment, overflowing shapes, huge counts).
pub(crate) fn prevalidate(path: &Path) -> Result<()> {
    if !path.exists() {
        return Err(EngineError::ModelNotFound(path.to_path_buf()));
    }
    gguf_check::validate_file(path).map_err(|e| EngineError::BadModel(e.to_string()))?;
    Ok(())
}

/// Sets how many threads the model uses. Call it at the start of `main`, before any other
/// thread exists and before the first model is loaded.
///
/// Candle's own CPU pool is set to one thread (see [`linear`] for why: it stalls when a worker
/// is descheduled on a busy machine) and `RAYON_NUM_THREADS` to `n`: the quantized products
/// ([`kernels`]) run on the calling thread plus `n − 1` helper threads, and matrices candle
/// still multiplies are split into `n` row blocks on the rayon pool. Without a call, candle's
/// defaults apply to its own ops (one thread per core, its spinning pool) and the kernels use
/// one thread per core.
pub fn set_threads(n: usize) {
    let n = n.max(1);
    std::env::set_var("CANDLE_NUM_THREADS", "1");
    std::env::set_var("RAYON_NUM_THREADS", n.to_string());
    linear::set_split(n);
}
