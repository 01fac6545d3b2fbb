//! factcheck: an offline fact-check assistant.
//!
//! A question or a claim comes in; retrieval finds the passages of the corpus that bear on it; a
//! local quantized model (or, without one, an extractive fallback) writes the answer or verdict;
//! every citation is checked against the exact lines of the corpus file it names.
//!
//! Module map:
//! - [`corpus`]: loading the seed files, keeping original lines, reporting bad files.
//! - [`segment`]: cutting files into passages with stable ids and 1-based line ranges.
//! - [`analyzer`]: the Korean-aware tokenizer (Hangul bigrams, Latin/digit words) used by the index.
//! - [`index`]: the tantivy BM25 index over passages and the search API.
//! - [`rerank`]: the optional second stage (`"rerank": true`): a [`rerank::Reranker`] re-orders
//!   the first stage's best candidates.
//! - [`translit`]: English names and loanwords matched to the corpus's Hangul words.
//! - [`answer`]: grounded answers and claim verdicts: one [`answer::Request`] (a question or a
//!   claim) in, one [`answer::Response`] out of [`answer::Answerer::run`]; prompts, passage
//!   selection, generation or evidence mode, citation markers verified against the corpus,
//!   numeric signals.
//! - [`eval`]: the evaluation set and every figure scored against it (retrieval, answers, batch
//!   outputs) with their text output.
//! - [`batch`]: batch runs over JSONL/CSV input, resumable, in input order.
//! - [`commands`]: each subcommand's arguments, wiring and text or JSON output (`main.rs` only
//!   parses and dispatches).
//! - [`server`]: the HTTP API (axum), the OpenAI-compatible endpoint and the chat page.
//! - [`engine`]: the local model runtime (GGUF loading, generation, the model's owner thread).
//! - [`pull`]: downloading GGUF models from the Hugging Face hub.
//! - [`devtools`]: the throughput benchmark and GGUF files with random weights (tests, benches).

pub mod analyzer;
pub mod answer;
pub mod batch;
pub mod commands;
pub mod corpus;
pub mod devtools;
pub mod engine;
pub mod eval;
pub mod focus;
pub mod index;
pub mod pull;
pub mod rerank;
pub mod segment;
pub mod server;
pub mod text;
pub mod translit;
