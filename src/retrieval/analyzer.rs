//! The Korean-aware analyzer used by the index, for both passages and queries.
//!
//! Korean attaches particles to nouns (소프트뱅크는 / 소프트뱅크가), so whitespace words do not
//! match. Text is normalised (NFKC, lowercase) and scanned into runs: a Hangul run becomes its
//! overlapping character bigrams (a one-syllable run stays a unigram), Latin letters and digits
//! become whole words (`1,720` becomes `1720`), and each CJK ideograph (美, 中) is a token of its
//! own. Tokens carry real, increasing positions. Optionally a trailing particle is stripped from
//! a Hangul run before bigramming; queries also drop interrogative words (무엇, 얼마, what, how…)
//! that carry no content.

use tantivy::tokenizer::{Token, TokenStream, Tokenizer};
use unicode_normalization::UnicodeNormalization;

pub use crate::retrieval::thesaurus::{Thesaurus, BUILTIN_GLOSSARY, THESAURUS};
use crate::text::{has_hangul, is_hangul_syllable};

/// Endings stripped from a Hangul run when [`Options::strip_particles`] is on: the first that
/// matches is removed when at least two syllables remain.
const PARTICLES: &[&str] = &[
    // 하다/되다 verb endings on a noun stem (참여하는 → 참여, 확정했다 → 확정).
    "했으며",
    "하기로",
    "하겠다",
    "했다는",
    "한다는",
    "하는",
    "했다",
    "한다",
    "하고",
    "하며",
    "하여",
    "해서",
    "했고",
    "하기",
    "된다",
    "됐다",
    "되는",
    "되어",
    "됐고",
    // The plural marker with a particle (기업들은 → 기업).
    "들에게",
    "들은",
    "들이",
    "들의",
    "들을",
    "들도",
    "들과",
    "들에",
    "들",
    // Particles.
    "에서는",
    "으로는",
    "에게서",
    "이라는",
    "에서",
    "에게",
    "으로",
    "까지",
    "부터",
    "처럼",
    "보다",
    "에는",
    "와의",
    "과의",
    "라는",
    "은",
    "는",
    "이",
    "가",
    "을",
    "를",
    "의",
    "에",
    "와",
    "과",
    "도",
    "로",
    "만",
    "한",
    "할",
    "된",
];

/// One-syllable particles dropped when glued to a Latin word or number (`OpenAI에`).
const GLUED_PARTICLES: &[&str] = &[
    "은", "는", "이", "가", "을", "를", "의", "에", "와", "과", "도", "로",
];

/// Query words that ask rather than tell.
const KO_QUESTION_WORDS: &[&str] = &[
    "무엇", "무슨", "누구", "누가", "얼마", "언제", "어디", "어떤", "어떻", "어느", "몇", "왜",
];
pub(crate) const EN_STOPWORDS: &[&str] = &[
    "a", "an", "the", "of", "to", "in", "on", "at", "for", "by", "with", "from", "and", "or", "is",
    "are", "was", "were", "be", "been", "did", "does", "do", "what", "which", "who", "whom",
    "when", "where", "why", "how", "much", "many", "that", "this", "it", "its", "as", "has",
    "have", "had",
];

/// Analyzer variants (measured against the evaluation set).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Options {
    /// Strip one trailing particle from each Hangul run of three or more syllables.
    pub strip_particles: bool,
    /// Also emit the first syllable of each Hangul run of two or more syllables as a token of
    /// its own: a verb stem keeps its first syllable through conjugation (눕혀서 / 눕히거나,
    /// 옮겼는데 / 옮긴), where the two share no bigram.
    pub lead_syllable: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            strip_particles: true,
            lead_syllable: false,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    Hangul,
    Ideograph,
    Word,
    Other,
}

fn class(c: char) -> Class {
    match c {
        c if is_hangul_syllable(c) => Class::Hangul,
        '\u{4E00}'..='\u{9FFF}' | '\u{3400}'..='\u{4DBF}' => Class::Ideograph,
        c if c.is_alphanumeric() => Class::Word,
        _ => Class::Other,
    }
}

/// Normalises text for analysis: NFKC (full-width forms, ㎡ → m2) and lowercase.
pub fn normalize(text: &str) -> String {
    text.nfkc().collect::<String>().to_lowercase()
}

/// The tokens of `text` in order; a token's position is its index.
pub fn analyze(text: &str, opts: Options) -> Vec<String> {
    let norm = normalize(text);
    let chars: Vec<char> = norm.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    let mut prev_word = false;
    while i < chars.len() {
        let c = class(chars[i]);
        let mut j = i + 1;
        while j < chars.len() && continues(&chars, j, c) {
            j += 1;
        }
        match c {
            Class::Hangul => {
                let run: String = chars[i..j].iter().collect();
                if !(prev_word && GLUED_PARTICLES.contains(&run.as_str())) {
                    hangul_tokens(&run, opts, &mut out);
                }
            }
            Class::Ideograph => out.extend(chars[i..j].iter().map(|c| c.to_string())),
            Class::Word => out.push(chars[i..j].iter().filter(|&&c| c != ',').collect()),
            Class::Other => {}
        }
        prev_word = c == Class::Word;
        i = j;
    }
    out
}

/// Whether `chars[j]` extends a run of class `c`. Digit groups (`1,720`) and decimals (`3.8`)
/// stay one word.
fn continues(chars: &[char], j: usize, c: Class) -> bool {
    let here = chars[j];
    if class(here) == c && c != Class::Ideograph {
        return true;
    }
    if c == Class::Word && (here == ',' || here == '.') && j > 0 && chars[j - 1].is_ascii_digit() {
        let digits = chars[j + 1..]
            .iter()
            .take_while(|d| d.is_ascii_digit())
            .count();
        return if here == ',' { digits == 3 } else { digits > 0 };
    }
    false
}

fn hangul_tokens(run: &str, opts: Options, out: &mut Vec<String>) {
    let syllables: Vec<char> = if opts.strip_particles {
        strip_particle(run).chars().collect()
    } else {
        run.chars().collect()
    };
    if syllables.len() == 1 || opts.lead_syllable {
        out.push(syllables[0].to_string());
    }
    out.extend(syllables.windows(2).map(|w| w.iter().collect::<String>()));
}

/// `run` without one trailing particle or 하다-ending, when at least two syllables remain
/// (runs of fewer than three syllables are kept whole).
fn strip_particle(run: &str) -> &str {
    if run.chars().count() >= 3 {
        for p in PARTICLES {
            if let Some(stem) = run.strip_suffix(p) {
                if stem.chars().count() >= 2 {
                    return stem;
                }
                break;
            }
        }
    }
    run
}

/// The Hangul words of `text` (NFKC), each without its particle: 한라산은 → 한라산.
pub fn hangul_words(text: &str) -> Vec<String> {
    normalize(text)
        .split(|c: char| class(c) != Class::Hangul)
        .filter(|w| !w.is_empty())
        .map(|w| strip_particle(w).to_string())
        .collect()
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
    /// the word's tokens, or of one of its expansions' tokens, occur. The one rule behind the
    /// ranking's coverage and the answer pipeline's abstention test.
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
    focus: &crate::retrieval::focus::Focus,
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

/// The analyzer as a tantivy tokenizer (registered under [`crate::retrieval::index::ANALYZER`]).
#[derive(Clone, Default)]
pub struct KoTokenizer {
    pub opts: Options,
}

/// Token stream over a pre-computed token list.
pub struct KoTokenStream {
    tokens: Vec<Token>,
    next: usize,
}

impl Tokenizer for KoTokenizer {
    type TokenStream<'a> = KoTokenStream;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> KoTokenStream {
        let tokens = analyze(text, self.opts)
            .into_iter()
            .enumerate()
            .map(|(position, text)| Token {
                offset_from: 0,
                offset_to: 0,
                position,
                text,
                position_length: 1,
            })
            .collect();
        KoTokenStream { tokens, next: 0 }
    }
}

impl TokenStream for KoTokenStream {
    fn advance(&mut self) -> bool {
        self.next += 1;
        self.next <= self.tokens.len()
    }

    fn token(&self) -> &Token {
        &self.tokens[self.next - 1]
    }

    fn token_mut(&mut self) -> &mut Token {
        &mut self.tokens[self.next - 1]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PLAIN: Options = Options {
        strip_particles: false,
        lead_syllable: false,
    };

    #[test]
    fn hangul_runs_become_bigrams() {
        assert_eq!(
            analyze("소프트뱅크는", PLAIN),
            vec!["소프", "프트", "트뱅", "뱅크", "크는"]
        );
        assert_eq!(analyze("돈", PLAIN), vec!["돈"]);
    }

    #[test]
    fn particles_are_stripped_so_forms_match() {
        let opts = Options::default();
        assert_eq!(analyze("소프트뱅크는", opts), analyze("소프트뱅크가", opts));
        // A two-syllable word keeps its last syllable: 회의 is not 회 + 의.
        assert_eq!(analyze("회의", opts), vec!["회의"]);
    }

    #[test]
    fn latin_words_and_numbers() {
        let t = analyze("OpenAI에 1,720억 달러, 3.8% TSMC·삼성", Options::default());
        assert_eq!(
            t,
            vec!["openai", "1720", "억", "달러", "3.8", "tsmc", "삼성"]
        );
    }

    #[test]
    fn fullwidth_and_units_normalise() {
        assert_eq!(analyze("７만2000㎡", PLAIN), vec!["7", "만", "2000m2"]);
        assert_eq!(analyze("美中", PLAIN), vec!["美", "中"]);
    }

    #[test]
    fn queries_drop_question_words() {
        let t = query_tokens(
            "How much cash did SoftBank have? 현금은 얼마였나?",
            Options::default(),
        );
        assert_eq!(t, vec!["cash", "softbank", "현금"]);
    }

    #[test]
    fn thesaurus_expands_stems_and_english_words() {
        let t = Thesaurus::parse(
            "# comment\n인수|사들이|매입\njob|jobs|일자리\ndata center|데이터센터\nx\n",
        );
        assert_eq!(t.expansions("사들이기로", true), vec!["인수", "매입"]);
        assert_eq!(t.expansions("jobs", false), vec!["job", "일자리"]);
        assert!(t.expansions("jo", false).is_empty());
        assert_eq!(
            t.phrase_expansions("new data center plans", false),
            vec!["데이터센터"]
        );
    }

    #[test]
    fn one_way_glossary_lines_do_not_join_their_translations() {
        let t = Thesaurus::parse("project|projects > 프로젝트|사업\nreport > 보도\n");
        assert_eq!(
            t.expansions("projects", false),
            vec!["projects", "프로젝트", "사업"]
        );
        assert!(t.expansions("프로젝트", true).is_empty());
        assert!(t.expansions("사업", true).is_empty());
        // In a Korean query, an English word is not translated by a one-way line.
        assert!(t.expansions("projects", true).is_empty());
    }

    #[test]
    fn expansions_weigh_less_than_the_words_themselves() {
        let w = weighted_query_tokens(&query_plan("jobs", Options::default()));
        let own = w.iter().find(|(t, _)| t == "jobs").unwrap().1;
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
    fn lead_syllables_join_conjugated_stems() {
        let lead = Options {
            lead_syllable: true,
            ..Options::default()
        };
        let a = analyze("눕혀서", lead);
        let b = analyze("눕히거나", lead);
        assert!(a.contains(&"눕".to_string()) && b.contains(&"눕".to_string()));
        assert!(!analyze("눕혀서", Options::default()).contains(&"눕".to_string()));
        // A lead syllable weighs less than the word's bigrams.
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

    #[test]
    fn hangul_words_lose_their_particles() {
        assert_eq!(
            hangul_words("한라산은 1,947m로 Jeju의 산이다"),
            vec!["한라산", "로", "의", "산이다"]
        );
    }

    #[test]
    fn tantivy_stream_has_increasing_positions() {
        let mut tok = KoTokenizer::default();
        let mut stream = tok.token_stream("삼성전자 회장");
        let mut positions = Vec::new();
        while stream.advance() {
            positions.push(stream.token().position);
        }
        assert_eq!(positions, vec![0, 1, 2, 3]);
    }
}
