//! Questions in another language than the corpus's: the local model writes the question in
//! the corpus's language (names spelt the way Korean text spells them: `Hallasan` → `한라산`),
//! and the first stage searches the question and its translation together. Lexical retrieval
//! cannot match an English question to a Korean passage except through glossary lines written
//! for its words, nor a Korean question to English text at all; a translation gives it the
//! passage's own words. One short generation (~20 tokens) per question, only when a model is
//! loaded and the question is in another script than the corpus: over a Korean corpus a
//! question that is not Korean, and only when the corpus has no glossary of its own (a glossary
//! is the user's own mapping of English words to the corpus's spelling, sharper than a small
//! model's translation: on the seed articles, whose glossary covers their English questions, the
//! translation cost English hit@1 0.75 → 0.25 on dev; on the out-of-domain corpora, without one,
//! it gained: BENCHMARKS.md); over English text ([`Script::Latin`]) a Korean question, into
//! English. A corpus of both scripts translates as a Korean one.

use crate::engine::constraint::{TokenConstraint, TokenMask, Vocab};
use crate::engine::{ChatMessage, EngineError, EngineHandle, Event, GenerateRequest};
use crate::retrieval::index::{Retriever, Script};

/// Most tokens of a translation.
const MAX_TOKENS: usize = 64;

/// What the model is told, for a Korean corpus.
const SYSTEM: &str = "You translate questions into Korean. Reply with the Korean question \
only, on one line. Write names of people, places and companies the way Korean news writes \
them, in Hangul.";

/// What the model is told, for an English corpus.
const SYSTEM_ENGLISH: &str = "You translate questions into English. Reply with the English \
question only, on one line. Write names of people, places and companies in Latin letters.";

/// The language a request is translated into: the corpus's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    Korean,
    English,
}

/// What `query` is translated into for `retriever`'s corpus, if anything (see the module
/// docs).
fn target(retriever: &Retriever, query: &str) -> Option<Target> {
    match retriever.script() {
        Script::Latin => crate::text::is_korean(query).then_some(Target::English),
        Script::Korean | Script::Mixed => {
            (!retriever.has_glossary() && needs_translation(query)).then_some(Target::Korean)
        }
    }
}

/// Whether `query` needs translating for a Korean corpus: it has letters and no Hangul (the
/// same test that makes its answer English, [`crate::text::is_korean`]).
fn needs_translation(query: &str) -> bool {
    query.chars().any(char::is_alphabetic) && !crate::text::is_korean(query)
}

/// The chat that asks for `query` in Korean, with the corpus's Hangul spellings of the names it
/// writes in Latin letters ([`Retriever::spellings`]): a small model left to spell them itself
/// wrote `Pyeongtaek` as `파이언타크` (평택) and `Jikji` as `청주` (직지), and the search then
/// looked for words the corpus does not hold.
pub fn prompt(query: &str, spellings: &[(String, Vec<String>)]) -> Vec<ChatMessage> {
    vec![
        ChatMessage::new("system", SYSTEM),
        ChatMessage::new("user", "How tall is Mount Halla?"),
        ChatMessage::new("assistant", "한라산의 높이는 얼마인가?"),
        ChatMessage::new("user", &with_spellings(query.trim(), spellings)),
    ]
}

/// The chat that asks for a Korean `query` in English.
fn prompt_english(query: &str) -> Vec<ChatMessage> {
    vec![
        ChatMessage::new("system", SYSTEM_ENGLISH),
        ChatMessage::new("user", "한라산의 높이는 얼마인가?"),
        ChatMessage::new("assistant", "How tall is Mount Halla?"),
        ChatMessage::new("user", query.trim()),
    ]
}

/// `query` followed by the line of spellings the translation should use, when there are any.
fn with_spellings(query: &str, spellings: &[(String, Vec<String>)]) -> String {
    if spellings.is_empty() {
        return query.to_string();
    }
    let listed: Vec<String> = spellings
        .iter()
        .map(|(name, hangul)| format!("{name} = {}", hangul.join(" / ")))
        .collect();
    format!(
        "{query}\n(spellings in the documents: {})",
        listed.join(", ")
    )
}

/// The translation part of `searched`, what [`search_query`] returned for `query`; empty when
/// it was searched untranslated.
pub fn translation_in<'a>(searched: &'a str, query: &str) -> &'a str {
    searched.strip_prefix(query).unwrap_or_default().trim()
}

/// The query to search: `query` and, when it has one, its translation, as one query (measured
/// against fusing the two rankings by reciprocal rank, which did worse on every set).
fn with_translation(query: &str, translation: Option<&str>) -> String {
    match translation.map(str::trim).filter(|t| !t.is_empty()) {
        Some(t) => format!("{query}\n{t}"),
        None => query.to_string(),
    }
}

/// The request that translates `query` for `retriever`'s corpus into `target`, with the
/// corpus's spellings of its names for a Korean one: greedy, one line, ended where it starts
/// to loop ([`NoLoops`]), not through the prompt-prefix cache (which holds the answer prompt's
/// instructions).
fn request(retriever: &Retriever, query: &str, target: Target) -> GenerateRequest {
    let messages = match target {
        Target::Korean => {
            let spellings = retriever.spellings(query);
            if !spellings.is_empty() {
                tracing::debug!(?spellings, "names spelt as the corpus spells them");
            }
            prompt(query, &spellings)
        }
        Target::English => prompt_english(query),
    };
    let mut req = GenerateRequest::new(messages);
    req.max_tokens = MAX_TOKENS;
    req.stop = vec!["\n".into()];
    req.use_prefix_cache = false;
    req.constraint = Some(Box::new(NoLoops));
    req
}

/// Longest run of words a loop repeats (`기술 기술 기술`, `의 경우 의 경우 의 경우`).
const LOOP_WORDS: usize = 4;
/// Times in a row a run of words must come for the text to be looping.
const LOOP_TIMES: usize = 3;

/// Ends a translation once its last whole words repeat one run of up to [`LOOP_WORDS`] words
/// [`LOOP_TIMES`] times in a row: greedy decoding of a small model can fall into such a loop
/// (`파이언타크에서 기술 기술 기술 …` for a question about a ceremony), which would spend the
/// rest of [`MAX_TOKENS`] and flood the query with one word.
struct NoLoops;

impl TokenConstraint for NoLoops {
    fn allowed(&mut self, generated: &str, vocab: &Vocab) -> Option<TokenMask> {
        // Whole words only: the last one may still be growing.
        let done = generated
            .rsplit_once(char::is_whitespace)
            .map_or("", |(w, _)| w);
        let words: Vec<&str> = done.split_whitespace().collect();
        loops_at_end(&words).then(|| TokenMask::Allow(vocab.eos_ids()))
    }
}

/// Whether `words` end with one run of up to [`LOOP_WORDS`] words [`LOOP_TIMES`] times.
fn loops_at_end(words: &[&str]) -> bool {
    (1..=LOOP_WORDS).any(|n| {
        words.len() >= n * LOOP_TIMES && {
            let tail = &words[words.len() - n..];
            (1..LOOP_TIMES).all(|k| {
                let end = words.len() - k * n;
                &words[end - n..end] == tail
            })
        }
    })
}

/// `text` with every run of up to [`LOOP_WORDS`] words that comes twice or more in a row kept
/// once (`기술 기술 기술` → `기술`), and without the piece of a word [`NoLoops`] cut off after a
/// loop (it sees a loop only once the next word has begun).
fn without_loops(text: &str) -> String {
    let mut words: Vec<&str> = text.split_whitespace().collect();
    if words.len() > 1 && loops_at_end(&words[..words.len() - 1]) {
        words.pop();
    }
    let mut i = 0;
    while i < words.len() {
        let repeated = (1..=LOOP_WORDS)
            .find(|&n| i + 2 * n <= words.len() && words[i..i + n] == words[i + n..i + 2 * n]);
        match repeated {
            Some(n) => {
                words.drain(i + n..i + 2 * n);
            }
            None => i += 1,
        }
    }
    words.join(" ")
}

/// Adds one event of the translation job to `text`; true when the job is done.
fn absorb(text: &mut String, ev: Event) -> Result<bool, EngineError> {
    match ev {
        Event::Delta(d) => text.push_str(&d),
        Event::Done { .. } => return Ok(true),
        Event::Error(e) => return Err(e),
        Event::Started { .. } | Event::Scores(_) => {}
    }
    Ok(false)
}

/// What `retriever` searches for `query`: the query itself, or, where a translation applies
/// (see the module docs), the query and `engine`'s translation of it into the corpus's language.
pub async fn search_query(
    engine: &EngineHandle,
    retriever: &Retriever,
    query: &str,
) -> Result<String, EngineError> {
    let Some(target) = target(retriever, query) else {
        return Ok(query.to_string());
    };
    let mut stream = engine.submit(request(retriever, query, target))?;
    let mut text = String::new();
    while let Some(ev) = stream.recv().await {
        if absorb(&mut text, ev)? {
            break;
        }
    }
    Ok(searched(query, &text))
}

/// [`search_query`] for callers outside an async runtime.
pub fn search_query_blocking(
    engine: &EngineHandle,
    retriever: &Retriever,
    query: &str,
) -> Result<String, EngineError> {
    let Some(target) = target(retriever, query) else {
        return Ok(query.to_string());
    };
    let mut stream = engine.submit(request(retriever, query, target))?;
    let mut text = String::new();
    while let Some(ev) = stream.blocking_recv() {
        if absorb(&mut text, ev)? {
            break;
        }
    }
    Ok(searched(query, &text))
}

/// The searched query for `query` and the model's `translation` of it (logged).
fn searched(query: &str, translation: &str) -> String {
    tracing::debug!(translation = %translation.trim(), "request translated for retrieval");
    with_translation(query, Some(&without_loops(translation)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_translation_is_read_back_from_the_searched_query() {
        let q = "How tall is Mount Halla?";
        assert_eq!(
            translation_in(&with_translation(q, Some(" 한라산은 얼마나 높나? ")), q),
            "한라산은 얼마나 높나?"
        );
        assert_eq!(translation_in(&with_translation(q, None), q), "");
    }

    #[test]
    fn a_request_is_translated_into_its_corpus_language() {
        use crate::retrieval::corpus::{Corpus, SourceFile};
        let corpus = |text: &str| {
            Retriever::new(Corpus::from_files(vec![SourceFile::from_text(
                "a.txt", text,
            )]))
            .unwrap()
        };
        let korean =
            corpus("직지\n\n현재 소장처: 프랑스 국립도서관\n1377년 청주 흥덕사에서 찍었다.\n");
        let english =
            corpus("Jikji\n\nHeld today by the National Library of France.\nPrinted in 1377.\n");
        assert_eq!(
            target(&korean, "Where is the Jikji kept?"),
            Some(Target::Korean)
        );
        assert_eq!(target(&korean, "직지는 어디에 있나?"), None);
        assert_eq!(
            target(&english, "직지는 어디에 있나?"),
            Some(Target::English)
        );
        // An English question over English text is searched as written.
        assert_eq!(target(&english, "Where is the Jikji kept?"), None);
        let english_prompt = prompt_english("직지는 어디에 있나?");
        assert_eq!(
            english_prompt.last().unwrap().content,
            "직지는 어디에 있나?"
        );
    }

    #[test]
    fn only_questions_without_hangul_are_translated() {
        assert!(needs_translation("How tall is Mount Halla?"));
        assert!(
            !needs_translation("What did 손정의 say about Stargate?"),
            "answered in Korean, searched as written"
        );
        assert!(!needs_translation("한라산의 높이는?"));
        assert!(!needs_translation("소프트뱅크의 OpenAI 투자액은?"));
        assert!(!needs_translation("2025?"));
    }

    #[test]
    fn a_looping_translation_is_ended_and_kept_once() {
        let words = |t: &'static str| -> Vec<&'static str> { t.split_whitespace().collect() };
        assert!(loops_at_end(&words("평택에서 기술 기술 기술")));
        assert!(loops_at_end(&words("가 의 경우 의 경우 의 경우")));
        assert!(!loops_at_end(&words("평택에서 기술 기술")));
        assert!(!loops_at_end(&words("몇 명이 몇 명을 보았나?")));
        assert!(!loops_at_end(&[]));
        assert_eq!(
            without_loops("평택에서 기술 기술 기술 기술"),
            "평택에서 기술"
        );
        assert_eq!(without_loops("평택에서 기술 기술 기술 기"), "평택에서 기술");
        assert_eq!(without_loops("A B A B 끝"), "A B 끝");
        assert_eq!(
            without_loops("한라산의 높이는 얼마인가?"),
            "한라산의 높이는 얼마인가?"
        );

        let v = Vocab::from_pieces(&[b"x".to_vec(), Vec::new()], &[1]);
        let mut c = NoLoops;
        assert_eq!(
            c.allowed("평택 기술 기술 기술", &v),
            None,
            "the last word may grow"
        );
        assert_eq!(
            c.allowed("평택 기술 기술 기술 ", &v),
            Some(TokenMask::Allow(vec![1]))
        );
        assert_eq!(c.allowed("평택에서 열린 ", &v), None);
    }

    #[test]
    fn names_are_given_their_corpus_spelling() {
        assert_eq!(with_spellings("Where is it?", &[]), "Where is it?");
        let spelt = [
            ("Jikji".to_string(), vec!["직지".to_string()]),
            ("Gim".to_string(), vec!["김".to_string(), "금".to_string()]),
        ];
        assert_eq!(
            with_spellings("Where is the Jikji?", &spelt),
            "Where is the Jikji?\n(spellings in the documents: Jikji = 직지, Gim = 김 / 금)"
        );
        let chat = prompt("Where is the Jikji?", &spelt[..1]);
        assert_eq!(chat.len(), 4);
        assert!(chat[3].content.ends_with("Jikji = 직지)"));
    }

    #[test]
    fn the_search_holds_both() {
        assert_eq!(with_translation("Q?", Some(" 질문? ")), "Q?\n질문?");
        assert_eq!(with_translation("Q?", Some("")), "Q?");
        assert_eq!(with_translation("Q?", None), "Q?");
    }
}
