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
//! - [`cli`]: the text and JSON output of the command-line subcommands.
//! - [`server`]: the HTTP API (axum).
//! - [`engine`]: the local model engine (GGUF loading, generation, the model's owner thread).

pub mod analyzer;
pub mod answer;
pub mod batch;
pub mod cli;
pub mod corpus;
pub mod engine;
pub mod eval;
pub mod focus;
pub mod index;
pub mod rerank;
pub mod segment;
pub mod server;
pub mod text;
pub mod translit;
