//! Queries: from a question or a claim to the words retrieval looks for. A query is cut into its
//! content words ([`QueryWord`]): interrogatives (무엇, 얼마…), English function words and, when
//! asked, question-final light predicates (하나, 있나요…) are dropped; each word keeps the
//! [analyzer](crate::retrieval::analyzer)'s tokens, the tokens of its [thesaurus](THESAURUS)
//! expansions and a weight (less for the question's [focus](crate::retrieval::focus)). The plan
//! then becomes BM25's weighted query tokens. The word lists that say what carries no content
//! live here; the particles stripped from every word are the analyzer's.

use crate::retrieval::analyzer::{analyze, normalize, Options};
use crate::retrieval::focus::Focus;
use crate::retrieval::thesaurus::{Thesaurus, THESAURUS};
use crate::text::has_hangul;

/// Words that ask rather than tell (a word starting with one is an interrogative): no
/// content in a query, and what makes a question ask for a thing rather than yes or no
/// ([`crate::answer::quoted::asks_yes_no`]).
pub(crate) const KO_QUESTION_WORDS: &[&str] = &[
    "무엇", "무슨", "누구", "누가", "얼마", "언제", "어디", "어떤", "어떻", "어느", "몇", "왜",
    "뭐", "뭘", "뭔", "며칠",
];
/// English function words: no content in a query, and never a question's focus.
pub(crate) const EN_STOPWORDS: &[&str] = &[
    "a", "an", "the", "of", "to", "in", "on", "at", "for", "by", "with", "from", "and", "or", "is",
    "are", "was", "were", "be", "been", "did", "does", "do", "what", "which", "who", "whom",
    "when", "where", "why", "how", "much", "many", "that", "this", "it", "its", "as", "has",
    "have", "had",
];

/// An interrogative (무엇, 얼마…) or an English function word: carries no content.
fn is_stopword(bare: &str) -> bool {
    KO_QUESTION_WORDS.iter().any(|q| bare.starts_with(q)) || EN_STOPWORDS.contains(&bare)
}

/// Question-final predicates that carry no content: a light verb (하다, 되다, 있다, 없다, the
/// copula) in a question or request ending (…만들어야 하나?, …수 있나요?, …몇 개인가?).
const KO_LIGHT_PREDICATES: &[&str] = &[
    "하나",
    "하나요",
    "합니까",
    "해",
    "해요",
    "할까",
    "할까요",
    "하지",
    "하죠",
    "되나",
    "되나요",
    "됩니까",
    "돼",
    "돼요",
    "될까",
    "될까요",
    "있나",
    "있나요",
    "있어",
    "있어요",
    "있습니까",
    "있을까",
    "없나",
    "없나요",
    "없어",
    "없어요",
    "인가",
    "인가요",
    "인지",
    "일까",
    "일까요",
    "이야",
    "야",
    "이에요",
    "예요",
    "입니까",
    "건가",
    "건가요",
    "거야",
    "걸까",
    "뭐야",
    "뭔가요",
    "뭐예요",
    "뭐지",
    "뭘까",
];

/// A question-final light predicate (see [`KO_LIGHT_PREDICATES`]).
fn is_light_predicate(bare: &str) -> bool {
    KO_LIGHT_PREDICATES.contains(&bare)
}

/// Tokens of a query: like [`analyze`], minus interrogative words and English function words.
pub fn query_tokens(query: &str, opts: Options) -> Vec<String> {
    query_words(query, opts).into_iter().flatten().collect()
}

/// The tokens of each content word of a query (interrogatives and English function words
/// dropped), word by word.
pub fn query_words(query: &str, opts: Options) -> Vec<Vec<String>> {
    normalize(query)
        .split_whitespace()
        .filter(|word| !is_stopword(word.trim_matches(|c: char| !c.is_alphanumeric())))
        .map(|word| analyze(word, opts))
        .filter(|tokens| !tokens.is_empty())
        .collect()
}

/// One content word of a query: its tokens, and the tokens of its thesaurus expansions.
#[derive(Debug, Clone, PartialEq)]
pub struct QueryWord {
    /// The word as written (normalised, punctuation trimmed); empty for a glossary phrase.
    pub word: String,
    pub tokens: Vec<String>,
    pub expansions: Vec<Vec<String>>,
    /// How much the word counts: 1, or [`FOCUS_WEIGHT`] for the question's focus.
    pub weight: f32,
}

impl QueryWord {
    /// Whether a text says this word, `has` telling whether it holds a token: at least half of
    /// the word's tokens, or of one of its expansions' tokens, occur. The rule behind the
    /// ranking's coverage.
    pub fn matched_by(&self, has: impl Fn(&str) -> bool) -> bool {
        let hit = |tokens: &[String]| {
            !tokens.is_empty() && 2 * tokens.iter().filter(|t| has(t)).count() >= tokens.len()
        };
        hit(&self.tokens) || self.expansions.iter().any(|e| hit(e))
    }
}

/// How a query becomes [`QueryWord`]s: which of the optional steps run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlanOptions {
    /// Analyzer options (the same as the passages were indexed with).
    pub analyzer: Options,
    /// Drop interrogative words (무엇, 얼마…) and English function words (the, of, how…).
    pub stopwords: bool,
    /// Expand words with the [thesaurus](THESAURUS).
    pub thesaurus: bool,
    /// Drop question-final light predicates (하나, 있나요, 인가…).
    pub ko_endings: bool,
}

impl Default for PlanOptions {
    fn default() -> Self {
        PlanOptions {
            analyzer: Options::default(),
            stopwords: true,
            thesaurus: true,
            ko_endings: false,
        }
    }
}

/// The content words of a query with their expansions. Words found in the
/// [thesaurus](THESAURUS) also search their synonyms or Korean translations; a multi-word
/// glossary entry (`data center`) becomes a word of its own.
pub fn query_plan(query: &str, opts: Options) -> Vec<QueryWord> {
    let plan = PlanOptions {
        analyzer: opts,
        ..PlanOptions::default()
    };
    query_plan_with(
        query,
        &crate::retrieval::focus::focus(query),
        plan,
        &THESAURUS,
    )
}

/// [`query_plan`] for a query whose [focus](crate::retrieval::focus::focus) is already known, with the
/// optional steps chosen by `plan` and expansions from `thesaurus`.
pub fn query_plan_with(
    query: &str,
    focus: &Focus,
    plan_opts: PlanOptions,
    thesaurus: &Thesaurus,
) -> Vec<QueryWord> {
    let opts = plan_opts.analyzer;
    let norm = normalize(query);
    let focus = focus.word;
    let korean = has_hangul(&norm);
    let mut plan: Vec<QueryWord> = Vec::new();
    for (i, word) in norm.split_whitespace().enumerate() {
        let bare = word.trim_matches(|c: char| !c.is_alphanumeric());
        if (plan_opts.stopwords && is_stopword(bare))
            || (plan_opts.ko_endings && is_light_predicate(bare))
        {
            continue;
        }
        let tokens = analyze(word, opts);
        if tokens.is_empty() {
            continue;
        }
        let expansions = if plan_opts.thesaurus {
            thesaurus
                .expansions(bare, korean)
                .into_iter()
                .map(|m| analyze(m, opts))
                .collect()
        } else {
            Vec::new()
        };
        let weight = if focus == Some(i) { FOCUS_WEIGHT } else { 1.0 };
        plan.push(QueryWord {
            word: bare.to_string(),
            tokens,
            expansions,
            weight,
        });
    }
    let phrases: Vec<Vec<String>> = if plan_opts.thesaurus {
        thesaurus
            .phrase_expansions(&norm, korean)
            .into_iter()
            .map(|m| analyze(m, opts))
            .collect()
    } else {
        Vec::new()
    };
    if !phrases.is_empty() {
        plan.push(QueryWord {
            word: String::new(),
            tokens: Vec::new(),
            expansions: phrases,
            weight: 1.0,
        });
    }
    plan
}

/// Query tokens with weight 1 each, every distinct token once (plain BM25's query).
pub fn flat_query_tokens(plan: &[QueryWord]) -> Vec<(String, f32)> {
    let mut out: Vec<(String, f32)> = Vec::new();
    for word in plan {
        for t in word.tokens.iter().chain(word.expansions.iter().flatten()) {
            if !out.iter().any(|(x, _)| x == t) {
                out.push((t.clone(), 1.0));
            }
        }
    }
    out
}

/// Query tokens with weights: the tokens of one word share that word's weight, so a long name
/// that yields four bigrams does not count four times as much as a two-syllable word.
/// Expansions count [`EXPANSION_WEIGHT`] of their word.
pub fn weighted_query_tokens(plan: &[QueryWord]) -> Vec<(String, f32)> {
    let mut out: Vec<(String, f32)> = Vec::new();
    let mut add = |tokens: &[String], scale: f32| {
        let w = scale / (tokens.len().max(1) as f32).powf(WORD_WEIGHT_EXP);
        for t in tokens {
            // A lead syllable (see `Options::lead_syllable`) says less than a bigram.
            let lead = tokens.len() > 1 && t.chars().count() == 1 && has_hangul(t);
            let w = if lead { w * LEAD_WEIGHT } else { w };
            match out.iter_mut().find(|(x, _)| x == t) {
                Some((_, acc)) => *acc += w,
                None => out.push((t.clone(), w)),
            }
        }
    };
    for word in plan {
        add(&word.tokens, word.weight);
        for e in &word.expansions {
            add(e, EXPANSION_WEIGHT * word.weight);
        }
    }
    out
}

/// Weight of a word's lead syllable relative to its bigrams.
pub const LEAD_WEIGHT: f32 = 0.3;

/// Exponent of the per-word token weight (0 = every token counts fully, 1 = a word counts once).
pub const WORD_WEIGHT_EXP: f32 = 0.75;
/// Weight of a question's focus word (`기업들은?`): answers name the companies rather than say
/// 기업, so the word says less about which passage answers (see [`crate::retrieval::focus`]).
pub const FOCUS_WEIGHT: f32 = 0.5;
/// Weight of a thesaurus expansion relative to the word it came from.
pub const EXPANSION_WEIGHT: f32 = 0.5;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_drop_question_words() {
        let t = query_tokens(
            "How much cash did SoftBank have? 현금은 얼마였나?",
            Options::default(),
        );
        assert_eq!(t, vec!["cash", "softbank", "현금"]);
    }

    #[test]
    fn expansions_weigh_less_than_the_words_themselves() {
        let w = weighted_query_tokens(&query_plan("jobs", Options::default()));
        let own = w.iter().find(|(t, _)| t == "job").unwrap().1;
        let ko = w.iter().find(|(t, _)| t == "일자").unwrap().1;
        assert!(ko < own);
    }

    #[test]
    fn question_final_light_predicates_can_be_dropped() {
        let with = PlanOptions {
            ko_endings: true,
            ..PlanOptions::default()
        };
        let focus = crate::retrieval::focus::Focus::default();
        let words = |q: &str, o: PlanOptions| -> Vec<String> {
            query_plan_with(q, &focus, o, &THESAURUS)
                .into_iter()
                .map(|w| w.word)
                .collect()
        };
        let q = "비밀번호는 최소 몇 자리로 만들어야 하나?";
        assert_eq!(
            words(q, with),
            vec!["비밀번호는", "최소", "자리로", "만들어야"]
        );
        assert!(words(q, PlanOptions::default()).contains(&"하나".to_string()));
        assert_eq!(words("반품할 수 있나요?", with), vec!["반품할", "수"]);
    }

    #[test]
    fn lead_syllables_weigh_less_than_bigrams() {
        let lead = Options {
            lead_syllable: true,
            ..Options::default()
        };
        let a = analyze("눕혀서", lead);
        let plan = vec![QueryWord {
            word: "눕혀서".into(),
            tokens: a,
            expansions: vec![],
            weight: 1.0,
        }];
        let w = weighted_query_tokens(&plan);
        let lead_w = w.iter().find(|(t, _)| t == "눕").unwrap().1;
        let bigram_w = w.iter().find(|(t, _)| t == "눕혀").unwrap().1;
        assert!(lead_w < bigram_w);
    }
}
