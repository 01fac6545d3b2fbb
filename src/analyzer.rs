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

/// Particles stripped from the end of a Hangul run when [`Options::strip_particles`] is on,
/// longest first.
const PARTICLES: &[&str] = &[
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
];

/// One-syllable particles dropped when glued to a Latin word or number (`OpenAI에`).
const GLUED_PARTICLES: &[&str] = &[
    "은", "는", "이", "가", "을", "를", "의", "에", "와", "과", "도", "로",
];

/// Query words that ask rather than tell.
const KO_QUESTION_WORDS: &[&str] = &[
    "무엇", "무슨", "누구", "누가", "얼마", "언제", "어디", "어떤", "어떻", "어느", "몇", "왜",
];
const EN_STOPWORDS: &[&str] = &[
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
}

impl Default for Options {
    fn default() -> Self {
        Options {
            strip_particles: true,
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
        '\u{AC00}'..='\u{D7A3}' => Class::Hangul,
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
    let mut syllables: Vec<char> = run.chars().collect();
    if opts.strip_particles && syllables.len() >= 3 {
        if let Some(p) = PARTICLES.iter().find(|p| run.ends_with(**p)) {
            let keep = syllables.len() - p.chars().count();
            if keep >= 2 {
                syllables.truncate(keep);
            }
        }
    }
    if syllables.len() == 1 {
        out.push(syllables[0].to_string());
    }
    out.extend(syllables.windows(2).map(|w| w.iter().collect::<String>()));
}

/// Tokens of a query: like [`analyze`], minus interrogative words and English function words.
pub fn query_tokens(query: &str, opts: Options) -> Vec<String> {
    let mut out = Vec::new();
    for word in normalize(query).split_whitespace() {
        let bare = word.trim_matches(|c: char| !c.is_alphanumeric());
        if KO_QUESTION_WORDS.iter().any(|q| bare.starts_with(q)) || EN_STOPWORDS.contains(&bare) {
            continue;
        }
        out.extend(analyze(word, opts));
    }
    out
}

/// The analyzer as a tantivy tokenizer (registered under [`crate::index::ANALYZER`]).
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
