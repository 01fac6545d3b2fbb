//! Retrieval: a tantivy BM25 index over the passages, searched with the Korean analyzer.
//!
//! [`Retriever`] owns the corpus, its passages and the in-memory index. A query is analysed into
//! tokens and run as a boolean OR of term queries (tantivy's `QueryParser` would turn a word that
//! yields several bigrams into a phrase query). BM25 candidates are then re-scored: the passage's
//! prior (lists and fragments count less), and near-repeats of a better hit are dropped, so that
//! captions printed twice or boilerplate do not crowd real content out. Each hit carries its
//! best-matching sentence, the future quote and highlight.

use std::collections::{HashMap, HashSet};
use std::ops::Range;
use std::sync::{Arc, Mutex, OnceLock};

use serde::Serialize;
use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, BoostQuery, Occur, Query, TermQuery};
use tantivy::schema::{
    Field, IndexRecordOption, NumericOptions, Schema, TextFieldIndexing, TextOptions, Value,
};
use tantivy::{doc, Index, IndexReader, TantivyDocument, Term};

use crate::retrieval::analyzer::{analyze, hangul_word_forms, KoTokenizer, Options};
use crate::retrieval::anchors::{anchors, Anchor, AnchorKind, Entries, Names, PassageNames};
use crate::retrieval::corpus::Corpus;
use crate::retrieval::dense::{fuse, DenseIndex, DenseTexts, Fusion};
use crate::retrieval::focus::{has_form, Expect, Focus};
use crate::retrieval::parts;
pub use crate::retrieval::pipeline::Pipeline;
use crate::retrieval::query::{
    flat_query_tokens, query_plan_with, weighted_query_tokens, QueryWord,
};
pub use crate::retrieval::score::{
    add_surface, best_sentence, coverage, idf, jaccard, proximity, PROXIMITY_WINDOW,
};
use crate::retrieval::segment::{segment_corpus, Passage};
use crate::retrieval::thesaurus::{Thesaurus, THESAURUS};
use crate::retrieval::translit::{is_place_kind, place_kind, Transliterations};
use crate::text::{has_hangul, sentence_spans};

/// The glossary file a corpus folder may carry (read on top of the built-in glossary): the
/// corpus's own names and phrases, user-editable. Not a text file, so it is not indexed.
pub const GLOSSARY_FILE: &str = "glossary.thesaurus";

/// The text of `dir`'s [`GLOSSARY_FILE`], if the folder has one.
pub fn corpus_glossary(dir: &std::path::Path) -> std::io::Result<Option<String>> {
    match std::fs::read_to_string(dir.join(GLOSSARY_FILE)) {
        Ok(text) => Ok(Some(text)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

/// Name under which the Korean analyzer is registered with tantivy.
pub const ANALYZER: &str = "ko_bigram";
/// Name of the analyzer of the surface fields ([`Pipeline::surface`]): plain Hangul bigrams.
const SURFACE_ANALYZER: &str = "ko_bigram_surface";
/// Largest `top_k` a search accepts.
pub const MAX_TOP_K: usize = 50;
/// Passages retrieved when a request does not say (API, batch, command line, evaluation).
pub const DEFAULT_TOP_K: usize = 5;
/// Candidates fetched from BM25 before re-scoring.
const CANDIDATES: usize = 64;
/// Score factor of a passage without the form of answer the question asks for: no list for
/// `…기업들은?`, no number for `얼마`, no date for `언제` (see [`crate::retrieval::focus`]).
pub(crate) const MISSING_FORM: f32 = 0.4;
/// Exponent of the coverage factor in the final score.
const COVERAGE_EXP: f32 = 0.5;
/// Hits whose token sets overlap a better hit's this much (Jaccard) are dropped as repeats.
const NEAR_REPEAT: f32 = 0.8;
/// Score bonus when every adjacent pair of query words stands near each other.
pub const PROXIMITY_BONUS: f32 = 0.3;

/// Weight of a query token matched in a passage's context (title, section heading) relative to
/// one matched in its text.
pub const CONTEXT_WEIGHT: f32 = 0.5;
/// Weight of the surface match beside the layer's score, each divided by its best
/// ([`Pipeline::surface`]; BENCHMARKS.md, "The surface match").
pub const SURFACE_WEIGHT: f32 = 0.5;
/// Hits whose quoting sentence the dense stage chooses ([`Pipeline::sentences`]): the ones the
/// answer side quotes (the lead quote is the first's; evidence mode quotes up to three).
pub const SENTENCE_HITS: usize = 3;

/// Whether `p` is searched under `pipeline`: not a repeat of an earlier passage, and not a
/// heading that only heads its section ([`Passage::only_heads`]) when headings only give
/// context.
fn searched(pipeline: Pipeline, p: &Passage) -> bool {
    p.duplicate_of.is_none() && !(pipeline.skip_headings && p.only_heads())
}

/// What `pipeline` searches of passage `p` by its words: what it reads as
/// ([`Passage::reads_as`]: a table's row with its column names) where [`Pipeline::columns`]
/// is on, else its text as written.
fn searched_text(pipeline: Pipeline, p: &Passage) -> &str {
    match pipeline.columns {
        true => p.reads_as(),
        false => &p.text,
    }
}

/// What the sentence encoder reads of passage `p`: its text as written, a Markdown heading
/// without its `#` marks. A table's row stays as written: read as `column: cell` pairs it lost
/// an item of the Markdown set's held-out file and gained none (BENCHMARKS.md, "Tables").
fn encoder_text(p: &Passage) -> &str {
    crate::retrieval::outline::markdown_heading(&p.text).unwrap_or(&p.text)
}

/// Errors from building or searching the index.
#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    /// tantivy failed (an internal error: the index lives in memory).
    #[error("search index failure: {0}")]
    Tantivy(#[from] tantivy::TantivyError),
    /// The blocking search task did not finish (it panicked or the runtime is shutting down).
    #[error("search task failed: {0}")]
    Task(String),
}

/// One search result.
#[derive(Debug, Clone)]
pub struct Hit {
    /// Index into [`Retriever::passages`].
    pub passage: usize,
    /// Final score (BM25 × prior × coverage).
    pub score: f32,
    /// The idf-weighted share of the query's words that the passage matches, in `(0, 1]`: a
    /// confidence signal (a low value means the passage only shares a few words with the query).
    pub coverage: f32,
    /// Byte range, within the passage text, of its best-matching sentence.
    pub highlight: Range<usize>,
    /// The passage's cosine to the request, with a dense stage.
    pub similarity: Option<f32>,
}

/// Where the dense stage stands ([`Retriever::dense_status`]); clients read it as
/// `{"status": "none" | "embedding" | "ready", "encoder"?: name}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", content = "encoder", rename_all = "lowercase")]
pub enum DenseStatus {
    /// No encoder.
    None,
    /// This encoder is embedding the passages; searches are lexical meanwhile.
    Embedding(String),
    /// Searches fuse this encoder's cosines.
    Ready(String),
}

/// A candidate during ranking: passage index, score, coverage.
type Scored = (usize, f32, f32);

/// A hit as the API and CLI show it.
#[derive(Debug, Clone, Serialize)]
pub struct HitView<'a> {
    pub id: &'a str,
    pub source: &'a str,
    pub start_line: usize,
    pub end_line: usize,
    pub text: &'a str,
    pub score: f32,
    pub highlight: &'a str,
    /// The passage's cosine to the query, with the dense stage (omitted without it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub similarity: Option<f32>,
}

/// The corpus, its passages and their index.
pub struct Retriever {
    corpus: Corpus,
    passages: Vec<Passage>,
    /// Tokens of each passage, with the pipeline's analyzer options.
    token_sets: Vec<HashSet<String>>,
    /// Tokens of each passage with the analyzer's default options, what the answer pipeline
    /// matches against; empty when the pipeline's options are the defaults ([`Self::token_sets`]
    /// then serve).
    default_token_sets: Vec<HashSet<String>>,
    /// Each passage's tokens in order, for the proximity score (empty unless the pipeline uses
    /// proximity).
    token_lists: Vec<Vec<String>>,
    /// Tokens of each passage's context (empty sets unless the pipeline uses context).
    context_sets: Vec<HashSet<String>>,
    pipeline: Pipeline,
    /// The built-in glossary plus the corpus's own, when it has one.
    glossary: Option<Thesaurus>,
    /// The passages' sentence vectors, once an encoder has embedded them
    /// ([`Retriever::with_embedder`], [`Retriever::embed_in_background`]).
    dense: OnceLock<DenseIndex>,
    /// The encoder embedding the passages in the background, until it is done.
    pending: Mutex<Option<String>>,
    /// The corpus's Hangul words by consonant skeleton (empty unless the pipeline transliterates).
    translit: Transliterations,
    /// The codes, numbered items and years the corpus names anywhere.
    names: Names,
    /// What each passage names ([`PassageNames`]).
    passage_names: Vec<PassageNames>,
    /// Those any title or heading names: what some document or section of the corpus is about.
    documented: Names,
    /// The names the corpus's entries are about (an encyclopedia's articles).
    entries: Entries,
    /// The script the corpus is written in ([`Script`]): a request may be in another.
    script: Script,
    opts: Options,
    body: Field,
    context: Field,
    /// The passage and its context under the surface analyzer ([`Pipeline::surface`]; empty
    /// unless the pipeline uses it).
    surface_body: Field,
    surface_context: Field,
    pid: Field,
    reader: IndexReader,
}

impl Retriever {
    /// Segments the corpus and indexes every passage that is not a repeat of an earlier one.
    pub fn new(corpus: Corpus) -> Result<Retriever, IndexError> {
        Retriever::with_pipeline(corpus, Pipeline::default())
    }

    /// Like [`Retriever::new`] with a chosen ranking pipeline.
    pub fn with_pipeline(corpus: Corpus, pipeline: Pipeline) -> Result<Retriever, IndexError> {
        let opts = pipeline.analyzer();
        let passages = segment_corpus(&corpus);
        let mut schema = Schema::builder();
        let indexing = TextFieldIndexing::default()
            .set_tokenizer(ANALYZER)
            .set_index_option(IndexRecordOption::WithFreqsAndPositions);
        let body = schema.add_text_field(
            "body",
            TextOptions::default().set_indexing_options(indexing.clone()),
        );
        let context = schema.add_text_field(
            "context",
            TextOptions::default().set_indexing_options(indexing.clone()),
        );
        let surface_indexing = indexing.set_tokenizer(SURFACE_ANALYZER);
        let surface_body = schema.add_text_field(
            "surface_body",
            TextOptions::default().set_indexing_options(surface_indexing.clone()),
        );
        let surface_context = schema.add_text_field(
            "surface_context",
            TextOptions::default().set_indexing_options(surface_indexing),
        );
        let pid = schema.add_u64_field("pid", NumericOptions::default().set_stored());
        let index = Index::create_in_ram(schema.build());
        index.tokenizers().register(ANALYZER, KoTokenizer { opts });
        index.tokenizers().register(
            SURFACE_ANALYZER,
            KoTokenizer {
                opts: Pipeline::PLAIN.analyzer(),
            },
        );
        let mut writer = index.writer_with_num_threads::<TantivyDocument>(1, 15_000_000)?;
        for (i, p) in passages.iter().enumerate() {
            if searched(pipeline, p) {
                let ctx = if pipeline.context {
                    p.context.as_str()
                } else {
                    ""
                };
                // Headings only give context to the surface match, as under `skip_headings`.
                let (surface, surface_ctx) = match pipeline.surface && !p.only_heads() {
                    true => (p.text.as_str(), p.context.as_str()),
                    false => ("", ""),
                };
                writer.add_document(doc!(
                    body => searched_text(pipeline, p),
                    context => ctx,
                    surface_body => surface,
                    surface_context => surface_ctx,
                    pid => i as u64,
                ))?;
            }
        }
        writer.commit()?;
        let reader = index.reader()?;
        let token_lists: Vec<Vec<String>> = if pipeline.proximity {
            passages
                .iter()
                .map(|p| analyze(searched_text(pipeline, p), opts))
                .collect()
        } else {
            Vec::new()
        };
        let token_sets = match pipeline.proximity {
            true => token_lists
                .iter()
                .map(|tokens| tokens.iter().cloned().collect())
                .collect(),
            false => passages
                .iter()
                .map(|p| {
                    analyze(searched_text(pipeline, p), opts)
                        .into_iter()
                        .collect()
                })
                .collect(),
        };
        let default_token_sets = if opts == Options::default() {
            Vec::new()
        } else {
            passages
                .iter()
                .map(|p| {
                    analyze(searched_text(pipeline, p), Options::default())
                        .into_iter()
                        .collect()
                })
                .collect()
        };
        let translit = if pipeline.transliterate {
            let words: Vec<String> = passages
                .iter()
                .flat_map(|p| hangul_word_forms(&p.text))
                .collect();
            Transliterations::new(words.iter().map(String::as_str))
        } else {
            Transliterations::default()
        };
        let context_sets = passages
            .iter()
            .map(|p| match pipeline.context {
                true => analyze(&p.context, opts).into_iter().collect(),
                false => HashSet::new(),
            })
            .collect();
        let names = Names::of_texts(
            corpus
                .files
                .iter()
                .flat_map(|f| f.lines.iter().map(String::as_str)),
        );
        let entries = Entries::of_files(corpus.files.iter().map(|f| f.lines.as_slice()));
        let passage_names = passages
            .iter()
            .map(|p| PassageNames::of(&p.text, &p.context, &entries))
            .collect();
        let documented = Names::of_texts(passages.iter().map(|p| p.context.as_str()));
        let script = corpus_script(&passages, pipeline);
        Ok(Retriever {
            names,
            passage_names,
            documented,
            entries,
            script,
            corpus,
            passages,
            token_sets,
            default_token_sets,
            token_lists,
            context_sets,
            pipeline,
            glossary: None,
            dense: OnceLock::new(),
            pending: Mutex::new(None),
            translit,
            opts,
            body,
            context,
            surface_body,
            surface_context,
            pid,
            reader,
        })
    }

    /// The anchors of `request`, of the given kinds, that no line of the corpus names, so that
    /// the corpus cannot be about them ([`Names::unnamed`]).
    pub fn unnamed_anchors(&self, request: &str, kinds: &[AnchorKind]) -> Vec<Anchor> {
        self.names.unnamed(request, kinds)
    }

    /// The anchors of `request`, of the given kinds, that the corpus names: what a passage about
    /// another of their family is not about ([`Names::other_than`]).
    pub fn named_anchors(&self, request: &str, kinds: &[AnchorKind]) -> Vec<Anchor> {
        let mut named: Vec<Anchor> = anchors(request)
            .into_iter()
            .filter(|a| kinds.contains(&a.kind) && self.names.names(a))
            .collect();
        if kinds.contains(&AnchorKind::Subject) {
            named.extend(self.entries.named_in(request));
        }
        named
    }

    /// Whether the passage with id `id` is about something else than `asked`
    /// ([`PassageNames::about_other`]); false for an id that is no passage's.
    pub fn is_about_other(&self, id: &str, asked: &[Anchor]) -> bool {
        self.passages
            .iter()
            .position(|p| p.id == id)
            .is_some_and(|i| self.passage_names[i].about_other(asked, &self.documented))
    }

    /// The corpus this retriever was built from.
    pub fn corpus(&self) -> &Corpus {
        &self.corpus
    }

    /// Whether `hit` bears on its request: it covers at least `min_coverage` of the request's
    /// words, or the encoder finds it as near as a passage that answers in other words
    /// ([`crate::retrieval::dense::Fusion::sure_cosine`]).
    pub fn bears(&self, hit: &Hit, min_coverage: f32) -> bool {
        let sure = self.dense.get().and_then(|d| d.fusion().sure_cosine);
        hit.coverage >= min_coverage
            || matches!((hit.similarity, sure), (Some(c), Some(t)) if c >= t)
    }

    /// Why no hit bears on its request ([`Retriever::bears`] at `min_coverage`), for the user
    /// who sees a request go unanswered; `None` when the best hit bears on it.
    pub fn why_weak(&self, hits: &[Hit], min_coverage: f32) -> Option<String> {
        let Some(best) = hits.first() else {
            return Some("no passage shares a word with the request".to_string());
        };
        if self.bears(best, min_coverage) {
            return None;
        }
        let mut why = format!(
            "the best passage ({}) holds {:.1}% of the request's words, under the {:.1}% needed",
            self.passages[best.passage].id,
            100.0 * best.coverage,
            100.0 * min_coverage
        );
        let sure = self.dense.get().and_then(|d| d.fusion().sure_cosine);
        if let (Some(c), Some(t)) = (best.similarity, sure) {
            why.push_str(&format!(
                ", and the sentence encoder places it at cosine {c:.3}, under the {t:.3} at which \
                 it vouches for a passage"
            ));
        }
        Some(why)
    }

    /// Whether a glossary was read on top of the built-in one (the corpus's own or `--glossary`).
    pub fn has_glossary(&self) -> bool {
        self.glossary.is_some()
    }

    /// Adds a user glossary (the thesaurus format) for query expansion: on top of the built-in
    /// one, or alone when the pipeline leaves the built-in one out.
    pub fn with_glossary(mut self, text: &str) -> Retriever {
        self.glossary = Some(if self.pipeline.builtin_glossary {
            Thesaurus::with_extra(text)
        } else {
            Thesaurus::parse(text)
        });
        self
    }

    /// Adds the dense stage: every searched passage is embedded with `embedder` (with its file's
    /// title line, [`crate::embed::Embedder::passage_text`]), and searches fuse cosine and
    /// lexical scores ([`crate::retrieval::dense`]).
    pub fn with_embedder(mut self, embedder: Arc<crate::embed::Embedder>) -> Retriever {
        let texts = self.dense_texts(&embedder);
        self.dense = OnceLock::from(DenseIndex::build(embedder, &texts));
        self
    }

    /// [`Retriever::with_embedder`] on a thread of its own, for a server that must listen at
    /// once: embedding a new corpus with the bigger encoder takes minutes (cached vectors take
    /// a moment). Searches are lexical until the vectors are in; [`Retriever::dense_status`]
    /// says which. The handle is for callers that want to wait.
    pub fn embed_in_background(
        self: &Arc<Self>,
        embedder: Arc<crate::embed::Embedder>,
    ) -> std::thread::JoinHandle<()> {
        let texts = self.dense_texts(&embedder);
        *self.pending.lock().unwrap_or_else(|e| e.into_inner()) = Some(embedder.name().into());
        let me = Arc::clone(self);
        std::thread::spawn(move || {
            let built = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                DenseIndex::build(embedder, &texts)
            }));
            match built {
                Ok(index) => {
                    tracing::info!(encoder = index.model(), "dense retrieval stage ready");
                    let _ = me.dense.set(index);
                }
                // Not left "embedding" for ever: the status falls back to none.
                Err(_) => tracing::error!("embedding the passages failed; searches stay lexical"),
            }
            *me.pending.lock().unwrap_or_else(|e| e.into_inner()) = None;
        })
    }

    /// What each searched passage gives the encoder (its text with its file's title line, or
    /// with the title and the agenda item it stands under: [`Passage::under_item`]), and with
    /// [`Pipeline::sentences`] and an encoder that chooses sentences
    /// ([`Fusion::sentences`]) each of its sentences when it has several, under its file's
    /// title and its section's heading ([`Retriever::section_title`]).
    fn dense_texts(&self, embedder: &crate::embed::Embedder) -> DenseTexts {
        let mut texts = DenseTexts::default();
        let sentences = self.pipeline.sentences && Fusion::of(embedder.kind()).sentences;
        for (i, p) in self.passages.iter().enumerate() {
            let on = searched(self.pipeline, p);
            let title = self.title(i);
            let section = self.section_title(i);
            let sentence_title = section.as_deref().or(title);
            // A transcript's line is read under the agenda item it settles: alone, `의사일정
            // 제4항은 가결되었음을 선포합니다` does not say what passed.
            let passage_title = match p.under_item {
                true => sentence_title,
                false => title,
            };
            texts
                .passages
                .push(on.then(|| embedder.passage_text(passage_title, encoder_text(p))));
            // Split only where the sentences are embedded; one sentence is the passage itself.
            let spans = if on && sentences {
                sentence_spans(&p.text)
            } else {
                Vec::new()
            };
            texts.sentences.push(if spans.len() > 1 {
                spans
                    .into_iter()
                    .map(|r| embedder.passage_text(sentence_title, &p.text[r]))
                    .collect()
            } else {
                Vec::new()
            });
        }
        texts
    }

    /// The dense stage's encoder, once its vectors are in.
    pub fn embedder_name(&self) -> Option<&str> {
        self.dense.get().map(DenseIndex::model)
    }

    /// The dense stage: `ready` (with its encoder), `embedding` (searches are lexical until it
    /// is done) or `none`.
    pub fn dense_status(&self) -> DenseStatus {
        if let Some(name) = self.embedder_name() {
            return DenseStatus::Ready(name.to_string());
        }
        match self
            .pending
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
        {
            Some(name) => DenseStatus::Embedding(name),
            None => DenseStatus::None,
        }
    }

    /// The title line of passage `i`'s file ([`crate::retrieval::outline::title_line`], without
    /// Markdown's `#` marks), unless that line is the passage itself.
    pub fn title(&self, i: usize) -> Option<&str> {
        let p = &self.passages[i];
        self.corpus
            .file(&p.source)
            .and_then(|f| crate::retrieval::outline::title_line(&f.lines).map(|t| &f.lines[t]))
            .filter(|t| t.trim() != p.text.trim())
            .map(|t| crate::retrieval::outline::heading_text(t))
    }

    /// Passage `i`'s file title and the heading of the section it stands in, as one title
    /// (`제품기획회의 회의록 - 1. 차세대 공기청정기 개발 착수`); `None` outside a section. A
    /// sentence is read under it by the encoder: alone, `목표 제조원가는 대당 23만 원이다` does not
    /// say whose cost it is, and its agenda item does. A whole passage is read under the file's
    /// title alone: with the heading too, a generic one (`특징`, `이름`) drew the encyclopedia's
    /// questions away from their lines (BENCHMARKS.md, "Sentences read under their section's
    /// heading").
    pub fn section_title(&self, i: usize) -> Option<String> {
        let (title, heading) = self.passages[i].context.split_once('\n')?;
        Some(format!("{title} - {heading}"))
    }

    /// Whether `request` is written in another script than the corpus: no Hangul in it over a
    /// Korean corpus (an English question over Korean articles), or Hangul in every line of it
    /// over a [`Script::Latin`] one (a Korean question over English reports). Its words then
    /// match only the odd name, code or figure, and the dense stage reads it by
    /// [`Fusion::for_other_script`]. A request with its translation under it (a model loaded;
    /// [`crate::retrieval::translate`]) is not.
    pub fn in_other_script(&self, request: &str) -> bool {
        match self.script {
            Script::Korean => !has_hangul(request),
            Script::Latin => {
                has_hangul(request)
                    && request
                        .lines()
                        .all(|l| has_hangul(l) || !l.chars().any(char::is_alphabetic))
            }
            Script::Mixed => false,
        }
    }

    /// The script the corpus is written in.
    pub fn script(&self) -> Script {
        self.script
    }

    fn thesaurus(&self) -> &Thesaurus {
        static NONE: Thesaurus = Thesaurus::empty();
        match &self.glossary {
            Some(glossary) => glossary,
            None if self.pipeline.builtin_glossary => &THESAURUS,
            None => &NONE,
        }
    }

    /// The word groups of the corpus's glossary and the built-in thesaurus, whatever the
    /// pipeline: what says two words are the same thing outside ranking
    /// ([`crate::answer::terms`]).
    pub fn synonyms(&self) -> &Thesaurus {
        self.glossary.as_ref().unwrap_or(&THESAURUS)
    }

    /// The ranking pipeline this retriever runs.
    pub fn pipeline(&self) -> Pipeline {
        self.pipeline
    }

    /// Every passage, in file and line order.
    pub fn passages(&self) -> &[Passage] {
        &self.passages
    }

    /// The tokens of passage `i` (an index into [`Retriever::passages`]) with the analyzer's
    /// default options, analysed once when the index was built: what the answer pipeline matches
    /// a claim's figures (the consistency signals) against.
    pub fn passage_tokens(&self, i: usize) -> &HashSet<String> {
        self.default_token_sets
            .get(i)
            .unwrap_or(&self.token_sets[i])
    }

    /// The `top_k` best passages for `query` (fewer when fewer match; none for a query without
    /// searchable words). `top_k` is clamped to `1..=MAX_TOP_K`.
    pub fn search(&self, query: &str, top_k: usize) -> Result<Vec<Hit>, IndexError> {
        let top_k = top_k.clamp(1, MAX_TOP_K);
        let hits = self.search_whole(query, top_k)?;
        let Some(parts) = self.pipeline.parts.then(|| parts::split(query)).flatten() else {
            return Ok(hits);
        };
        let part_hits = parts
            .iter()
            .map(|part| self.search_whole(part, parts::PART_RANK))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(parts::merge(hits, part_hits, top_k))
    }

    /// [`Retriever::search`] for the query as one question (no [`parts`]).
    fn search_whole(&self, query: &str, top_k: usize) -> Result<Vec<Hit>, IndexError> {
        let pipe = self.pipeline;
        // Read once: a background embedding may finish during this search.
        let dense = self.dense.get();
        let focus = if pipe.focus {
            crate::retrieval::focus::focus(query)
        } else {
            Focus::default()
        };
        let expect = focus.expect;
        let plan = self.plan_with(query, &focus);
        let weighted = if pipe.word_weights {
            weighted_query_tokens(&plan)
        } else {
            flat_query_tokens(&plan)
        };
        if weighted.is_empty() {
            return Ok(Vec::new());
        }
        let tokens: Vec<String> = weighted.iter().map(|(t, _)| t.clone()).collect();
        // The codes and numbered items the query names that the corpus has: a passage about
        // others of their kind is about another product or meeting. Years are left out: a
        // passage dated otherwise still often ranks where it should (a report of 2025 on the
        // year before).
        let asked: Vec<Anchor> = match pipe.anchors {
            true => self.named_anchors(query, &[AnchorKind::Code, AnchorKind::Numbered]),
            false => Vec::new(),
        };
        let other = |i: usize| !asked.is_empty() && self.passage_names[i].other_than(&asked);
        let searcher = self.reader.searcher();
        let limit = CANDIDATES.max(top_k * 2);
        let context = pipe.context.then_some(self.context);
        let found = self.bm25(&searcher, &weighted, self.body, context, limit)?;
        let weights = self.idf_weights(&searcher, &tokens)?;
        // A query of several lines (a question and its translation) is as covered as its best
        // covered line: the English words of a translated question are in no passage of a
        // Korean corpus, and with the highest idf of all they would weigh every passage's
        // coverage down to where the answer pipeline abstains.
        let lines = self.line_plans(query);
        let line_tokens: Vec<String> = lines
            .iter()
            .flatten()
            .flat_map(|w| w.tokens.iter())
            .filter(|t| !tokens.contains(t))
            .cloned()
            .collect();
        let line_weights = self.idf_weights(&searcher, &line_tokens)?;
        let idfs: HashMap<&str, f32> = weights
            .iter()
            .chain(&line_weights)
            .map(|(t, w)| (t.as_str(), *w))
            .collect();
        // The share of the query a passage (with its context) matches.
        let cover_of = |i: usize| {
            let (text, ctx) = (&self.token_sets[i], &self.context_sets[i]);
            let has = |t: &str| text.contains(t) || ctx.contains(t);
            lines
                .iter()
                .map(|l| coverage(l, has, &idfs))
                .fold(coverage(&plan, has, &idfs), f32::max)
        };
        let mut scored = Vec::with_capacity(found.len());
        for (i, bm25) in found {
            let cover = cover_of(i);
            let mut score = bm25;
            if pipe.priors {
                score *= self.passages[i].kind.prior(dense.is_some());
            }
            if pipe.coverage {
                score *= cover.powf(COVERAGE_EXP);
            }
            if !has_form(&self.passages[i].text, expect) || other(i) {
                score *= MISSING_FORM;
            }
            if pipe.proximity {
                score *= 1.0 + PROXIMITY_BONUS * proximity(&plan, &self.token_lists[i]);
            }
            scored.push((i, score, cover));
        }
        if pipe.surface {
            let surface = self.surface_scores(&searcher, query, limit)?;
            scored = add_surface(&scored, &surface, SURFACE_WEIGHT)
                .into_iter()
                .map(|(i, score, cover)| (i, score, cover.unwrap_or_else(|| cover_of(i))))
                .collect();
        }
        let mut sims = Vec::new();
        let query_vector = dense.map(|d| d.query_vector(query));
        if let Some(dense) = dense {
            let lexical: Vec<(usize, f32)> = scored.iter().map(|s| (s.0, s.1)).collect();
            let covers: HashMap<usize, f32> = scored.iter().map(|s| (s.0, s.2)).collect();
            let form = |i: usize| {
                if has_form(&self.passages[i].text, expect) && !other(i) {
                    1.0
                } else {
                    MISSING_FORM
                }
            };
            sims = dense.similarities(query_vector.as_deref().unwrap_or_default());
            let fusion = match self.in_other_script(query) {
                true => dense.fusion().for_other_script(),
                false => dense.fusion(),
            };
            scored = fuse(&lexical, &sims, fusion, form)
                .into_iter()
                .map(|(i, score)| {
                    let cover = covers.get(&i).copied().unwrap_or_else(|| cover_of(i));
                    (i, score, cover)
                })
                .collect();
        }
        scored.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        let kept = if pipe.near_repeats {
            self.drop_near_repeats(scored, top_k)
        } else {
            scored.truncate(top_k);
            scored
        };
        // The index holds sentence vectors only under `sentences` (see `dense_texts`).
        let sentence_stage = dense.zip(query_vector.as_deref());
        let hits = kept
            .into_iter()
            .enumerate()
            .map(|(rank, (passage, score, coverage))| Hit {
                passage,
                score,
                coverage,
                highlight: self.highlight(
                    passage,
                    &weights,
                    expect,
                    sentence_stage.filter(|_| rank < SENTENCE_HITS),
                ),
                similarity: sims.get(passage).copied().flatten(),
            })
            .collect();
        Ok(hits)
    }

    /// The sentence of passage `i` a hit is quoted by: the one whose words carry the most of
    /// the query's weight ([`best_sentence`]), or with the dense stage (`dense`: its index and
    /// the query's vector) the one the encoder places nearest the query (each sentence read
    /// under the file's title and its section's heading, and embedded with the passages). The
    /// query's words miss the sentence that answers in other words, and favour the one that
    /// restates the question (asked what Musk said SoftBank has, they chose `머스크는 …
    /// 스타게이트 프로젝트를 두고 … 돈이 없다`, the sentence before `소프트뱅크는 100억 달러 …
    /// 미만의 돈을 갖고 있다`).
    fn highlight(
        &self,
        i: usize,
        weights: &[(String, f32)],
        expect: Expect,
        dense: Option<(&DenseIndex, &[f32])>,
    ) -> Range<usize> {
        let text = &self.passages[i].text;
        let Some(cos) = dense.and_then(|(d, q)| d.sentence_similarities(i, q)) else {
            return best_sentence(text, weights, expect, self.opts);
        };
        // Vectors are stored only for passages of several sentences (`dense_texts`); a count
        // that disagrees with the split falls back to the words.
        let spans = sentence_spans(text);
        if cos.len() != spans.len() {
            return best_sentence(text, weights, expect, self.opts);
        }
        let nearest = (0..cos.len()).fold(0, |best, k| if cos[k] > cos[best] { k } else { best });
        spans[nearest].clone()
    }

    /// [`Retriever::search`] on tokio's blocking pool: with the dense stage a search runs the
    /// encoder over the question (milliseconds of CPU), which must not stall the async workers.
    pub async fn search_off_runtime(
        self: &std::sync::Arc<Self>,
        query: &str,
        top_k: usize,
    ) -> Result<Vec<Hit>, IndexError> {
        let (r, q) = (self.clone(), query.to_string());
        tokio::task::spawn_blocking(move || r.search(&q, top_k))
            .await
            .map_err(|e| IndexError::Task(e.to_string()))?
    }

    /// The content words of `query` with their expansions, as this retriever searches them (its
    /// pipeline, the corpus's glossary, English names in the corpus's Hangul spelling).
    pub fn query_plan(&self, query: &str) -> Vec<QueryWord> {
        let focus = if self.pipeline.focus {
            crate::retrieval::focus::focus(query)
        } else {
            Focus::default()
        };
        self.plan_with(query, &focus)
    }

    /// The plan of each line of `query`, with its own focus, when it has more than one (none
    /// otherwise).
    fn line_plans(&self, query: &str) -> Vec<Vec<QueryWord>> {
        let lines: Vec<&str> = query.lines().filter(|l| !l.trim().is_empty()).collect();
        if lines.len() < 2 {
            return Vec::new();
        }
        let focus = |l: &str| {
            if self.pipeline.focus {
                crate::retrieval::focus::focus(l)
            } else {
                Focus::default()
            }
        };
        lines.iter().map(|l| self.plan_with(l, &focus(l))).collect()
    }

    fn plan_with(&self, query: &str, focus: &Focus) -> Vec<QueryWord> {
        let mut plan = query_plan_with(query, focus, self.pipeline.plan(), self.thesaurus());
        if self.pipeline.transliterate {
            self.transliterate(query, &mut plan);
        }
        plan
    }

    /// Adds to each capitalised Latin word of `plan` (a name, as `query` writes it) the corpus's
    /// Hangul words it may name, as expansions; two such words in a row are also tried as one
    /// (`Samguk Sagi` → 삼국사기), and so is a name with the Korean word for the kind of place
    /// an English word beside it names (`Mount Halla` → 한라산, `Nakdong River` → 낙동강:
    /// [`crate::retrieval::translit::PLACE_KINDS`]). Lowercase words are left alone: an
    /// ordinary English word's skeleton (lasted: l-s-t) meets unrelated Korean words.
    fn transliterate(&self, query: &str, plan: &mut [QueryWord]) {
        let names: HashSet<String> = latin_names(query)
            .iter()
            .map(|w| crate::retrieval::analyzer::normalize(w))
            .collect();
        let latin = |w: &QueryWord| {
            names.contains(&w.word) && w.word.chars().all(|c| c.is_ascii_alphabetic() || c == '-')
        };
        for i in 0..plan.len() {
            // A kind of place is an English word, not a name (`Mount` meets 먼저's skeleton).
            if !latin(&plan[i]) || is_place_kind(&plan[i].word) {
                continue;
            }
            let mut found: Vec<&str> = self.translit.lookup(&plan[i].word);
            if let Some(next) = plan.get(i + 1).filter(|w| latin(w)) {
                found.extend(
                    self.translit
                        .lookup(&format!("{}{}", plan[i].word, next.word)),
                );
            }
            let heads = [
                i.checked_sub(1)
                    .and_then(|j| place_kind(&plan[j].word, true)),
                plan.get(i + 1).and_then(|w| place_kind(&w.word, false)),
            ];
            for korean in heads.into_iter().flatten() {
                found.extend(self.translit.lookup(&format!("{}{korean}", plan[i].word)));
            }
            for w in found {
                let tokens = analyze(w, self.opts);
                if !tokens.is_empty() && !plan[i].expansions.contains(&tokens) {
                    plan[i].expansions.push(tokens);
                }
            }
        }
    }

    /// The corpus's Hangul spellings of the names `query` writes in Latin letters (capitalised
    /// words, and two such words in a row: `Samguk Sagi`), the closest by romanisation
    /// ([`Transliterations::spell`]); a name with more than [`MAX_SPELLINGS`] equally close
    /// ones is left out. Empty unless the pipeline transliterates.
    pub fn spellings(&self, query: &str) -> Vec<(String, Vec<String>)> {
        if !self.pipeline.transliterate {
            return Vec::new();
        }
        let names = latin_names(query);
        let mut out: Vec<(String, Vec<String>)> = Vec::new();
        let mut add = |name: String, found: Vec<&str>| {
            if !found.is_empty() && found.len() <= MAX_SPELLINGS {
                out.push((name, found.into_iter().map(str::to_string).collect()));
            }
        };
        let mut i = 0;
        while i < names.len() {
            if let Some(next) = names.get(i + 1) {
                // A place named with its kind (`Mount Paektu` → 백두산, `Han River` → 한강).
                let placed = match (place_kind(names[i], true), place_kind(next, false)) {
                    (Some(korean), _) => self.translit.spell(&format!("{next}{korean}")),
                    (_, Some(korean)) => self.translit.spell(&format!("{}{korean}", names[i])),
                    _ => Vec::new(),
                };
                if !placed.is_empty() {
                    add(format!("{} {next}", names[i]), placed);
                    i += 2;
                    continue;
                }
                // A pair is one name only when it spells otherwise than its second word alone
                // (`Samguk Sagi` → 삼국사기; `How Pyeongtaek` is 평택 as `Pyeongtaek` is).
                let pair = self.translit.spell(&format!("{}{next}", names[i]));
                if !pair.is_empty() && pair != self.translit.spell(next) {
                    add(format!("{} {next}", names[i]), pair);
                    i += 2;
                    continue;
                }
            }
            if !is_place_kind(names[i]) {
                add(names[i].to_string(), self.translit.spell(names[i]));
            }
            i += 1;
        }
        out
    }

    /// A hit as shown to clients.
    pub fn view(&self, hit: &Hit) -> HitView<'_> {
        let p = &self.passages[hit.passage];
        HitView {
            id: &p.id,
            source: &p.source,
            start_line: p.start_line,
            end_line: p.end_line,
            text: &p.text,
            score: hit.score,
            highlight: &p.text[hit.highlight.clone()],
            similarity: hit.similarity,
        }
    }

    /// Keeps the best `top_k` candidates, dropping any that nearly repeats a better one.
    fn drop_near_repeats(&self, scored: Vec<Scored>, top_k: usize) -> Vec<Scored> {
        let mut kept: Vec<Scored> = Vec::with_capacity(top_k);
        for (i, s, c) in scored {
            let repeat = kept
                .iter()
                .any(|&(k, _, _)| jaccard(&self.token_sets[i], &self.token_sets[k]) >= NEAR_REPEAT);
            if !repeat {
                kept.push((i, s, c));
                if kept.len() == top_k {
                    break;
                }
            }
        }
        kept
    }

    /// The best `limit` passages for `query` by plain BM25 over the surface fields
    /// ([`Pipeline::surface`]): each distinct token of the query under the plain analyzer once,
    /// in the passage at weight 1 and in its context at [`CONTEXT_WEIGHT`].
    fn surface_scores(
        &self,
        searcher: &tantivy::Searcher,
        query: &str,
        limit: usize,
    ) -> Result<Vec<(usize, f32)>, IndexError> {
        let plan = query_plan_with(
            query,
            &Focus::default(),
            Pipeline::PLAIN.plan(),
            self.thesaurus(),
        );
        let tokens = flat_query_tokens(&plan);
        self.bm25(
            searcher,
            &tokens,
            self.surface_body,
            Some(self.surface_context),
            limit,
        )
    }

    /// The best `limit` passages (index, BM25) for the weighted `tokens` in field `body`, and
    /// in field `context` at [`CONTEXT_WEIGHT`] of their weight when given; none for no tokens.
    fn bm25(
        &self,
        searcher: &tantivy::Searcher,
        tokens: &[(String, f32)],
        body: Field,
        context: Option<Field>,
        limit: usize,
    ) -> Result<Vec<(usize, f32)>, IndexError> {
        if tokens.is_empty() {
            return Ok(Vec::new());
        }
        let clause = |field: Field, t: &str, w: f32| -> (Occur, Box<dyn Query>) {
            let term = Term::from_field_text(field, t);
            let q = TermQuery::new(term, IndexRecordOption::WithFreqs);
            (Occur::Should, Box::new(BoostQuery::new(Box::new(q), w)))
        };
        let mut clauses: Vec<(Occur, Box<dyn Query>)> =
            tokens.iter().map(|(t, w)| clause(body, t, *w)).collect();
        if let Some(context) = context {
            clauses.extend(
                tokens
                    .iter()
                    .map(|(t, w)| clause(context, t, *w * CONTEXT_WEIGHT)),
            );
        }
        let found = searcher.search(
            &BooleanQuery::new(clauses),
            &TopDocs::with_limit(limit).order_by_score(),
        )?;
        let mut scores = Vec::with_capacity(found.len());
        for (bm25, addr) in found {
            let doc: TantivyDocument = searcher.doc(addr)?;
            if let Some(i) = doc.get_first(self.pid).and_then(|v| v.as_u64()) {
                scores.push((i as usize, bm25));
            }
        }
        Ok(scores)
    }

    fn idf_weights(
        &self,
        searcher: &tantivy::Searcher,
        tokens: &[String],
    ) -> Result<Vec<(String, f32)>, IndexError> {
        let n = searcher.num_docs() as f32;
        tokens
            .iter()
            .map(|t| {
                let df = searcher.doc_freq(&Term::from_field_text(self.body, t))? as f32;
                Ok((t.clone(), idf(n, df)))
            })
            .collect()
    }
}

/// The share of a corpus's searched passages that must hold Hangul for the corpus to be
/// Korean ([`Retriever::in_other_script`]): the seed articles' English-only lines (bylines,
/// captions) are about 4% of them.
pub const KOREAN_CORPUS: f32 = 0.9;

/// The script a corpus is written in, by the share of its searched passages that hold Hangul.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Script {
    /// At least [`KOREAN_CORPUS`] of them.
    Korean,
    /// At most 1 − [`KOREAN_CORPUS`] of them, and it has passages: English text (with a Korean
    /// name here and there).
    Latin,
    /// Anything between, or no passages: no request is in another script.
    Mixed,
}

/// The [`Script`] of the passages `pipeline` searches.
fn corpus_script(passages: &[Passage], pipeline: Pipeline) -> Script {
    let (searched, korean) = passages
        .iter()
        .filter(|p| searched(pipeline, p))
        .fold((0usize, 0usize), |(n, k), p| {
            (n + 1, k + usize::from(has_hangul(&p.text)))
        });
    let share = korean as f32 / searched.max(1) as f32;
    match searched {
        0 => Script::Mixed,
        _ if share >= KOREAN_CORPUS => Script::Korean,
        _ if share <= 1.0 - KOREAN_CORPUS => Script::Latin,
        _ => Script::Mixed,
    }
}

/// Most corpus spellings a Latin name may have for [`Retriever::spellings`] to offer them.
pub const MAX_SPELLINGS: usize = 2;

/// The words of `query` that look like names written in Latin letters: capitalised, letters
/// and hyphens only (`Jikji`, `Sun-sin`), in order.
fn latin_names(query: &str) -> Vec<&str> {
    query
        .split_whitespace()
        .map(|w| w.trim_matches(|c: char| !c.is_alphanumeric()))
        .filter(|w| w.starts_with(|c: char| c.is_ascii_uppercase()))
        .filter(|w| w.chars().all(|c| c.is_ascii_alphabetic() || c == '-'))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn context_lets_a_section_answer_for_its_title() {
        use crate::retrieval::corpus::SourceFile;
        let manual = |name: &str, model: &str, period: &str| {
            let text = format!(
                "{model} 청소기 설명서\n\n필터 관리\n필터는 {period}마다 새것으로 바꾸어 주십시오.\n"
            );
            SourceFile::from_text(name, &text)
        };
        let files = vec![
            manual("a.txt", "알파", "6개월"),
            manual("b.txt", "베타", "12개월"),
        ];
        let query = "베타 필터 교체 주기";
        // Without context the two filter lines tie, and neither says 베타.
        let r = Retriever::new(Corpus::from_files(files.clone())).unwrap();
        let top = &r.passages()[r.search(query, 1).unwrap()[0].passage];
        assert_ne!((top.source.as_str(), top.start_line), ("b.txt", 4));
        let pipeline = Pipeline::parse("default+context+skip_headings").unwrap();
        let r = Retriever::with_pipeline(Corpus::from_files(files), pipeline).unwrap();
        let hits = r.search(query, 5).unwrap();
        let top = &r.passages()[hits[0].passage];
        assert_eq!((top.source.as_str(), top.start_line), ("b.txt", 4));
        // Heading lines are not hits of their own.
        assert!(hits.iter().all(|h| r.passages()[h.passage].start_line != 3));
    }

    #[test]
    fn a_sentence_is_read_under_its_title_and_its_section_heading() {
        use crate::retrieval::corpus::SourceFile;
        let text = "제품기획회의 회의록\n\n일시: 3월 12일\n\n1. 차세대 공기청정기 개발 착수\n\
                    출시 목표는 2026년 1분기로 하고, 사양은 다음 회의에서 정한다.\n";
        let files = vec![SourceFile::from_text("m.txt", text)];
        let r = Retriever::new(Corpus::from_files(files)).unwrap();
        let at = |line: usize| {
            r.passages()
                .iter()
                .position(|p| p.start_line == line)
                .unwrap()
        };
        assert_eq!(
            r.section_title(at(6)).as_deref(),
            Some("제품기획회의 회의록 - 1. 차세대 공기청정기 개발 착수")
        );
        // Outside a section the title alone stands over a line, as for the whole passage.
        assert_eq!(r.section_title(at(3)), None);
        assert_eq!(r.title(at(3)), Some("제품기획회의 회의록"));
        assert_eq!(r.section_title(at(1)), None);
    }

    #[test]
    fn a_table_row_is_searched_with_its_column_names() {
        use crate::retrieval::corpus::SourceFile;
        let text = "# 매출 보고\n\n## 3분기\n| 지역 | 매출 | 영업이익 |\n| --- | --- | --- |\n\
                    | 영남권 | 94억 원 | 8억 원 |\n\n영남권 영업소는 부산에 있다.\n";
        let r = Retriever::new(Corpus::from_files(vec![SourceFile::from_text(
            "s.md", text,
        )]))
        .unwrap();
        let row = r.passages().iter().position(|p| p.start_line == 6).unwrap();
        assert_eq!(r.section_title(row).as_deref(), Some("매출 보고 - 3분기"));
        // The row holds neither `매출` nor `영업이익`; its header does.
        let hits = r.search("영남권 영업이익", 1).unwrap();
        assert_eq!(r.passages()[hits[0].passage].start_line, 6);
        assert_eq!(
            &r.passages()[hits[0].passage].text[hits[0].highlight.clone()],
            "| 영남권 | 94억 원 | 8억 원 |"
        );
    }

    #[test]
    fn a_request_is_in_another_script_than_a_korean_or_an_english_corpus() {
        use crate::retrieval::corpus::SourceFile;
        let mixed = Retriever::new(Corpus::from_files(vec![SourceFile::from_text(
            "k.txt",
            "직지\n\n현재 소장처: 프랑스 국립도서관\nBy Reuters\n",
        )]))
        .unwrap();
        // One English line in ten would not keep a corpus from being Korean; one in three does.
        assert!(!mixed.in_other_script("직지는 어디에 있나?"));
        assert!(!mixed.in_other_script("Where is the Jikji kept today?"));
        let english = Retriever::new(Corpus::from_files(vec![SourceFile::from_text(
            "e.txt",
            "Jikji\n\nHeld today by the National Library of France.\n",
        )]))
        .unwrap();
        assert!(!english.in_other_script("Where is the Jikji kept today?"));
        // Over English text a Korean request is in the other script, unless its English
        // translation stands under it.
        assert_eq!(english.script(), Script::Latin);
        assert!(english.in_other_script("직지는 지금 어디에 있나?"));
        assert!(english.in_other_script("Jikji는 지금 어디에 있나?"));
        assert!(!english.in_other_script("직지는 지금 어디에 있나?\nWhere is the Jikji now?"));
        assert_eq!(mixed.script(), Script::Mixed);
        assert!(!mixed.in_other_script("直指"));
        let korean = Retriever::new(Corpus::from_files(vec![SourceFile::from_text(
            "k.txt",
            "직지\n\n현재 소장처: 프랑스 국립도서관\n1377년 청주 흥덕사에서 찍었다.\n",
        )]))
        .unwrap();
        assert!(korean.in_other_script("Where is the Jikji kept today?"));
        assert!(!korean.in_other_script("직지는 어디에 있나?"));
        // A question with its Korean translation under it reads as Korean.
        assert!(!korean.in_other_script("Where is the Jikji kept today?\n직지는 어디에 있나?"));
    }

    #[test]
    fn the_surface_match_finds_what_particles_hide() {
        use crate::retrieval::corpus::SourceFile;
        let files = || {
            vec![SourceFile::from_text(
                "a.txt",
                "회의 안건은 예산이다.\n\n서울에서 열렸다.\n",
            )]
        };
        let lines = |pipeline: &str| -> Vec<usize> {
            let pipeline = Pipeline::parse(pipeline).unwrap();
            let r = Retriever::with_pipeline(Corpus::from_files(files()), pipeline).unwrap();
            let hits = r.search("회의에서", 5).unwrap();
            assert!(hits.iter().all(|h| h.coverage > 0.0 && h.score > 0.0));
            hits.iter()
                .map(|h| r.passages()[h.passage].start_line)
                .collect()
        };
        // Stripped, `회의에서` is `회의`; on the surface its `에서` also meets `서울에서`, a
        // candidate the layer never had, which comes with a coverage of its own.
        assert_eq!(lines("default-surface"), [1]);
        assert_eq!(lines("default"), [1, 3]);
        assert!(Pipeline::default().surface && !Pipeline::dense_default().surface);
    }

    #[test]
    fn without_an_encoder_only_coverage_makes_a_hit_bear() {
        use crate::retrieval::corpus::SourceFile;
        let files = vec![SourceFile::from_text(
            "a.txt",
            "재택근무는 주 2일까지 할 수 있다.\n",
        )];
        let r = Retriever::new(Corpus::from_files(files)).unwrap();
        let hit = r.search("재택근무 일수", 1).unwrap()[0].clone();
        assert_eq!(hit.similarity, None);
        assert!(r.bears(&hit, hit.coverage));
        assert!(!r.bears(&hit, hit.coverage + 0.01));
        // A cosine, however high, counts only where an encoder set the bar.
        let near = Hit {
            similarity: Some(1.0),
            ..hit.clone()
        };
        assert!(!r.bears(&near, hit.coverage + 0.01));
    }

    #[test]
    fn latin_names_get_the_corpus_spelling() {
        use crate::retrieval::corpus::SourceFile;
        let text =
            "직지심체요절\n\n『직지』는 청주 흥덕사에서 인쇄되었다.\n삼국사기는 김부식이 엮었다.\n";
        let files = vec![SourceFile::from_text("jikji.txt", text)];
        let r = Retriever::new(Corpus::from_files(files.clone())).unwrap();
        // Spellings as string slices, for comparing with literals.
        fn plain(spelt: &[(String, Vec<String>)]) -> Vec<(&str, Vec<&str>)> {
            spelt
                .iter()
                .map(|(n, h)| (n.as_str(), h.iter().map(String::as_str).collect()))
                .collect()
        }
        let spelt = r.spellings("Where is the Jikji kept, and who wrote the Samguk Sagi?");
        let how = r.spellings("How Jikji?");
        assert_eq!(how, [("Jikji".to_string(), vec!["직지".to_string()])]);
        assert_eq!(
            plain(&spelt),
            [("Jikji", vec!["직지"]), ("Samguk Sagi", vec!["삼국사기"])]
        );
        // Lowercase words and names the corpus does not hold get nothing.
        assert!(r.spellings("where is the jikji kept in Paris?").is_empty());
        // A place named with its kind is the one Korean word that writes both.
        let text =
            "백두산\n\n백두산의 천지는 가장 깊은 곳이 약 384m이다.\n낙동강은 길이가 510km이다.\n";
        let places = Retriever::new(Corpus::from_files(vec![SourceFile::from_text(
            "baekdusan.txt",
            text,
        )]))
        .unwrap();
        let spelt =
            places.spellings("How deep is the lake of Mount Paektu, and the Nakdong River?");
        assert_eq!(
            plain(&spelt),
            [
                ("Mount Paektu", vec!["백두산"]),
                ("Nakdong River", vec!["낙동강"])
            ]
        );
        let hits = places
            .search("How deep is the lake on Mount Paektu?", 3)
            .unwrap();
        assert!(hits
            .iter()
            .all(|h| places.passages()[h.passage].text.contains("백두산")));
        assert!(!hits.is_empty());
        let plain =
            Retriever::with_pipeline(Corpus::from_files(files), Pipeline::parse("plain").unwrap())
                .unwrap();
        assert!(plain.spellings("Where is the Jikji kept?").is_empty());
    }

    #[test]
    fn a_translated_query_is_as_covered_as_its_translation() {
        use crate::retrieval::corpus::SourceFile;
        let text =
            "고객센터 안내\n\n고객센터 전화: 1577-3456\n평일 오전 9시부터 오후 6시까지 받습니다.\n";
        let files = vec![SourceFile::from_text("faq.txt", text)];
        let r = Retriever::new(Corpus::from_files(files)).unwrap();
        let korean = "고객센터 전화번호는?";
        let alone = r.search(korean, 1).unwrap()[0].coverage;
        let both = r
            .search(
                &format!("What is the customer service phone number?\n{korean}"),
                1,
            )
            .unwrap();
        // The English words are in no passage; they do not lower the coverage.
        assert_eq!(r.passages()[both[0].passage].start_line, 3);
        assert!(
            (both[0].coverage - alone).abs() < 1e-6,
            "{} vs {alone}",
            both[0].coverage
        );
        let english = r
            .search("What is the customer service phone number?", 1)
            .unwrap();
        assert!(english.first().is_none_or(|h| h.coverage < alone));
    }
}
