//! Agreement with llama.cpp on real GGUF files: the engine must compute what llama.cpp computes.
//!
//! Random weights cannot show a wrong computation; these tests run the real models fetched by
//! `../shared/models/fetch.sh` against llama.cpp's recorded outputs in `../shared/reference/`
//! (and the extra references in `tests/reference/`, made with `scripts/make-reference.py`).
//! Each section is a module: tokenizer ids, chat templates, teacher-forced top-k log-probabilities,
//! greedy continuations, and long prompts (more than one prefill chunk, past gemma3's sliding
//! window). A test whose model cannot be had prints why and passes, unless
//! `FACTCHECK_REQUIRE_MODELS=1`; the EmbeddingGemma tests ([`gemma`]) skip without their folder
//! even then, since CI does not fetch it.

#[path = "../common/mod.rs"]
mod common;

mod answers;
mod embed;
mod gemma;
mod greedy;
mod long;
mod rerank;
mod template;
mod tokenizer;
mod topk;

/// The models with recorded references in `../shared/reference/`.
pub const REFERENCE_MODELS: [&str; 3] = ["qwen2.5-coder-0.5b", "gemma3-270m", "smollm2-135m"];
