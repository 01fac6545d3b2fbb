//! factcheck: an offline fact-check assistant.
//!
//! A question or a claim comes in; retrieval finds the passages of the corpus that bear on it; a
//! local quantized model (or, without one, an extractive fallback) writes the answer or verdict;
//! every citation is checked against the exact lines of the corpus file it names.
//!
//! Module map:
//! - [`retrieval`]: the corpus, passages, the Korean-aware analyzer, a query's words and their
//!   weights, the question's focus, the BM25 index and search, the optional reranker, English
//!   names in Hangul.
//! - [`markers`]: the citation-marker grammar (`[P3]`), shared by the model constraint and the
//!   parser.
//! - [`text`]: text helpers: normalisation, sentence boundaries, Hangul detection.
//! - [`answer`]: grounded answers and claim verdicts: one [`answer::Request`] (a question or a
//!   claim) in, one [`answer::Response`] out of [`answer::Answerer::run`]; prompts, passage
//!   selection, generation or evidence mode, citation markers verified against the corpus,
//!   signals from the quantities and terms found in text.
//! - [`eval`]: the evaluation set and every figure scored against it (retrieval, answers, batch
//!   outputs) with their text output.
//! - [`batch`]: batch runs over JSONL/CSV input, resumable, in input order.
//! - [`commands`]: each subcommand's arguments, wiring and text or JSON output (`main.rs` only
//!   parses and dispatches).
//! - [`server`]: the HTTP API (axum), the OpenAI-compatible endpoint and the chat page.
//! - [`engine`]: the local model runtime (GGUF loading, generation, the model's owner thread).
//! - [`pull`]: downloading GGUF models from the Hugging Face hub.
//! - [`devtools`]: the throughput benchmark and GGUF files with random weights (tests, benches).

pub mod answer;
pub mod batch;
pub mod commands;
pub mod devtools;
pub mod embed;
pub mod engine;
pub mod eval;
pub mod markers;
pub mod pull;
pub mod retrieval;
pub mod server;
pub mod text;
