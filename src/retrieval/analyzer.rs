//! The Korean-aware analyzer used by the index, for both passages and queries.
//!
//! Korean attaches particles to nouns (소프트뱅크는 / 소프트뱅크가), so whitespace words do not
//! match. Text is normalised (NFKC, lowercase) and scanned into runs: a Hangul run becomes its
//! overlapping character bigrams (a one-syllable run stays a unigram), Latin letters and digits
//! become whole words (`1,720` becomes `1720`; optionally a hyphenated code `AP-300` also
//! `ap300`), and each CJK ideograph (美, 中) is a token of its own. Tokens carry real,
//! increasing positions. Optionally a trailing particle is stripped from a Hangul run before
//! bigramming. Which words of a query are analysed (interrogatives such as
//! 무엇, 얼마, what, how carry no content) and how much each counts is [`crate::retrieval::query`]'s.

use tantivy::tokenizer::{Token, TokenStream, Tokenizer};
use unicode_normalization::UnicodeNormalization;

use crate::text::is_hangul_syllable;

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

/// Analyzer variants (measured against the evaluation set).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Options {
    /// Strip one trailing particle from each Hangul run of three or more syllables.
    pub strip_particles: bool,
    /// Also emit the first syllable of each Hangul run of two or more syllables as a token of
    /// its own: a verb stem keeps its first syllable through conjugation (눕혀서 / 눕히거나,
    /// 옮겼는데 / 옮긴), where the two share no bigram.
    pub lead_syllable: bool,
    /// Also emit a hyphenated model code as one token (`AP-300` → `ap`, `300`, `ap300`).
    pub codes: bool,
    /// Reduce each word of Latin letters to its English stem ([`english_stem`]): `pears` and
    /// `pear`, `harvested` and `harvest` become one token.
    pub stem_english: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            strip_particles: true,
            lead_syllable: false,
            codes: true,
            stem_english: true,
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
    // The last Latin/number word and where it ended, for joining codes (`AP-300`).
    let mut last_word: Option<(String, usize)> = None;
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
            Class::Word => {
                let word: String = chars[i..j].iter().filter(|&&c| c != ',').collect();
                let word = match opts.stem_english {
                    true => english_stem(word),
                    false => word,
                };
                // Joined to the word just before across one hyphen, when the two make a code.
                let joined = last_word
                    .take()
                    .filter(|&(_, end)| opts.codes && end + 1 == i && chars[end] == '-')
                    .and_then(|(before, _)| code(&before, &word));
                out.push(word.clone());
                match joined {
                    Some(code) => out.push(code),
                    None => last_word = Some((word, j)),
                }
            }
            Class::Other => {}
        }
        if c != Class::Word && c != Class::Other {
            last_word = None;
        }
        prev_word = c == Class::Word;
        i = j;
    }
    out
}

/// The English stem of a word of Latin letters (Snowball's English stemmer): `harvested` →
/// `harvest`, `pears` → `pear`, `flooding` → `flood`. A word with a digit or a letter outside
/// ASCII (`ap300`, `1874`, `café`) and a word of three letters or fewer (`ai`, `ceo`, `arm`) is
/// kept as it is, so codes and acronyms match whole.
pub fn english_stem(word: String) -> String {
    static STEMMER: std::sync::OnceLock<frostem::Stemmer> = std::sync::OnceLock::new();
    if word.len() <= 3 || !word.bytes().all(|b| b.is_ascii_lowercase()) {
        return word;
    }
    match STEMMER
        .get_or_init(|| frostem::Stemmer::new(frostem::Algorithm::English))
        .stem(&word)
    {
        std::borrow::Cow::Borrowed(_) => word,
        std::borrow::Cow::Owned(stem) => stem,
    }
}

/// The one token of a model code written with a hyphen (`AP-300` → `ap300`, `COVID-19` →
/// `covid19`), also written without one (`AP300` is one word already): letters on one side and
/// digits on the other, so `T-Mobile` and `2023-2024` stay apart. A code then matches itself
/// whole, not only its parts (`AP-700`'s `ap` and an unrelated `300`).
fn code(before: &str, after: &str) -> Option<String> {
    let letters = |w: &str| w.chars().any(|c| c.is_alphabetic());
    let digits = |w: &str| w.chars().any(|c| c.is_ascii_digit());
    let mixed = (letters(before) && digits(after)) || (digits(before) && letters(after));
    mixed.then(|| format!("{before}{after}"))
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
    hangul_runs(&normalize(text))
        .map(|w| strip_particle(w).to_string())
        .collect()
}

/// The runs of Hangul letters of a normalised text.
fn hangul_runs(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| class(c) != Class::Hangul)
        .filter(|w| !w.is_empty())
}

/// The Hangul words of `text` as [`hangul_words`] gives them and, where a particle was
/// stripped, also as written: a name may end in what reads as a particle (`한산도` is an
/// island, not `한산` + `도`).
pub fn hangul_word_forms(text: &str) -> Vec<String> {
    hangul_runs(&normalize(text))
        .flat_map(|w| {
            let stripped = strip_particle(w);
            let raw = (stripped != w).then(|| w.to_string());
            std::iter::once(stripped.to_string()).chain(raw)
        })
        .collect()
}

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
        codes: false,
        stem_english: false,
    };
    const CODES: Options = Options {
        codes: true,
        ..PLAIN
    };

    #[test]
    fn english_words_are_stemmed_codes_and_short_words_kept() {
        let stem = Options {
            stem_english: true,
            ..CODES
        };
        assert_eq!(analyze("Pears", stem), analyze("pear", stem));
        assert_eq!(analyze("harvested", stem), analyze("harvesting", stem));
        assert_eq!(analyze("flooded homes", stem), vec!["flood", "home"]);
        // Codes, figures, acronyms and words outside ASCII stay as written.
        assert_eq!(
            analyze("AP-300 AI 1,874 CEOs", stem),
            vec!["ap", "300", "ap300", "ai", "1874", "ceo"]
        );
        assert_eq!(analyze("café", stem), vec!["café"]);
        // Hangul is untouched, and without the option nothing is stemmed.
        assert_eq!(analyze("소프트뱅크", stem), analyze("소프트뱅크", CODES));
        assert_eq!(analyze("harvested", CODES), vec!["harvested"]);
    }

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
    fn hyphenated_codes_are_also_one_token() {
        assert_eq!(
            analyze("AP-300 필터", CODES),
            vec!["ap", "300", "ap300", "필터"]
        );
        assert_eq!(analyze("AP300", CODES), vec!["ap300"]);
        assert_eq!(analyze("COVID-19", CODES), vec!["covid", "19", "covid19"]);
        // Words or numbers on both sides, a space, or two marks: not a code.
        assert_eq!(analyze("T-Mobile", CODES), vec!["t", "mobile"]);
        assert_eq!(analyze("2023-2024", CODES), vec!["2023", "2024"]);
        assert_eq!(analyze("AP - 300", CODES), vec!["ap", "300"]);
        assert_eq!(analyze("AP--300", CODES), vec!["ap", "300"]);
        assert_eq!(analyze("AP-서울-300", CODES), vec!["ap", "서울", "300"]);
        assert_eq!(analyze("AP-300", PLAIN), vec!["ap", "300"]);
    }

    #[test]
    fn fullwidth_and_units_normalise() {
        assert_eq!(analyze("７만2000㎡", PLAIN), vec!["7", "만", "2000m2"]);
        assert_eq!(analyze("美中", PLAIN), vec!["美", "中"]);
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
    }

    #[test]
    fn hangul_words_lose_their_particles() {
        assert_eq!(
            hangul_words("한라산은 1,947m로 Jeju의 산이다"),
            vec!["한라산", "로", "의", "산이다"]
        );
    }

    #[test]
    fn word_forms_keep_names_that_end_like_particles() {
        assert_eq!(
            hangul_word_forms("한산도 대첩과 한라산은"),
            vec!["한산", "한산도", "대첩", "대첩과", "한라산", "한라산은"]
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
