//! Retrieval: from a folder of Korean (and English) news articles to the passages that bear on a
//! question or a claim.
//!
//! Module map, in the order the data flows:
//! - [`corpus`]: loading the corpus folder's text files, keeping original lines, reporting bad
//!   files and listing files of other formats.
//! - [`segment`]: cutting files into passages with stable ids and 1-based line ranges.
//! - [`outline`]: a file's headings, numbered lists and the agenda items its lines refer to:
//!   the section a passage stands under.
//! - [`table`]: tables written with pipes: their header, rule and rows, and a row read with its
//!   column names.
//! - [`analyzer`]: the Korean-aware tokenizer (Hangul bigrams, particles, Latin/digit words) for
//!   passages and queries alike.
//! - [`anchors`]: the identifiers a request pins itself to (codes, numbered items, years) and
//!   whether the corpus names them.
//! - [`query`]: a query's content words (interrogatives and function words dropped), their
//!   expansions and weights: the query plan, and BM25's weighted query tokens.
//! - [`thesaurus`]: the glossary that expands query words (built in, plus the corpus's own).
//! - [`translit`]: English names and loanwords matched to the corpus's Hangul words.
//! - [`focus`]: the question's focus (what form of answer it asks for) and whether a passage has
//!   that form.
//! - [`parts`]: a question that asks for each of two things, searched as one question per thing.
//! - [`pipeline`]: which parts of the ranking are on (`--retrieval`).
//! - [`score`]: the scoring formulas (idf, coverage, proximity, overlap, the quoted sentence).
//! - [`index`]: the tantivy BM25 index over passages and the search API.
//! - [`dense`]: the optional dense stage: passages as sentence vectors, fused with the lexical
//!   ranking (`--embedder FILE`).
//! - [`rerank`]: the optional second stage (`"rerank": true`): a [`rerank::Reranker`] re-orders
//!   the first stage's best candidates.
//! - [`likelihood`]: the reranker that ships: the local model's likelihood of the question after
//!   each candidate passage.
//! - [`translate`]: a question not in Korean searched together with the local model's Korean
//!   translation of it.

pub mod analyzer;
pub mod anchors;
pub mod corpus;
pub mod dense;
pub mod focus;
pub mod index;
pub mod likelihood;
pub mod outline;
pub mod parts;
pub mod pipeline;
pub mod query;
pub mod rerank;
pub mod score;
pub mod segment;
pub mod table;
pub mod thesaurus;
pub mod translate;
pub mod translit;
