//! The quote-first answer form, enforced token by token. A small model asked to answer and cite
//! in free text cites the wrong passage, puts markers where none are needed or none at all, and
//! paraphrases what it calls a quote. Here it must first copy its evidence, then answer:
//!
//! ```text
//! 근거: [P2] "words copied from passage P2"
//! 답: the short answer
//! ```
//!
//! [`QuoteFirst`] allows, at each step, only the tokens that keep the output a prefix of that
//! form: fixed words are spelt out, the label names a given passage, every byte between the
//! quotation marks continues a verbatim run of that passage's text (one line of it, no `"`),
//! and the answer line holds no brackets. So every quote is a substring of its passage by
//! construction. The model may instead write the "no evidence" word after the opener (an
//! abstention), and may give up to [`QuoteFirstForm::max_quotes`] quotes. For a claim the
//! answer line is one of a fixed set of verdict words.
//!
//! The first quote may be settled in advance ([`QuoteFirstForm::lead`]), and text that every
//! way on shares is offered to the engine to feed in one batch ([`TokenConstraint::forced`]).
//!
//! The automaton works on bytes: a byte-level vocabulary splits rare Hangul syllables into
//! tokens that are not valid UTF-8 alone, and those must be copyable too.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use super::constraint::{TokenConstraint, TokenMask, Vocab};

/// The words and passages of one quote-first answer.
#[derive(Debug, Clone)]
pub struct QuoteFirstForm {
    /// Written first, e.g. `근거: `.
    pub opener: String,
    /// Written instead of a quote when no passage holds the evidence, e.g. `없음`.
    pub none: String,
    /// Each passage's label (e.g. `P1`) and text.
    pub passages: Vec<(String, String)>,
    /// Where a quote may start in each passage (byte offsets, e.g. its sentences' starts);
    /// empty: at any character.
    pub starts: Vec<Vec<usize>>,
    /// Most quotes before the answer line.
    pub max_quotes: usize,
    /// Starts the answer line after the quotes, e.g. `\n답: `.
    pub answer: String,
    /// When not empty, the answer line is exactly one of these words (claim verdicts).
    pub choices: Vec<String>,
    /// Fewest characters in a quote.
    pub min_quote_chars: usize,
    /// A quote may close only at the end of a sentence (or of a line, before a `"` of the
    /// passage, or at `max_quote_bytes`).
    pub whole_sentences: bool,
    /// Most bytes in a quote.
    pub max_quote_bytes: usize,
    /// The first quote, when set: a passage index and the byte range of its text that the
    /// first quote must be (e.g. the best sentence of the best passage; no line break in it; it
    /// may hold `"`, read as the passage's own marks). The model still chooses between quoting
    /// and the no-evidence word, and any later quote is its own choice. Being settled, the lead
    /// is fed as one batch ([`TokenConstraint::forced`]).
    pub lead: Option<Lead>,
    /// What the answer line must say more than (the question): while every word of the line
    /// is found in this text, the line may not end. Small models asked "which state of the US"
    /// answer "the US"; made to go on, they name the state. Empty: no such rule.
    pub echo: String,
    /// When set, the answer line's letters are Latin ones or these (an English question over a
    /// Korean corpus, with the Korean magnitudes a copied figure needs: `만억조`): left free,
    /// small models copy the Korean sentence or figure from the quote (`4분의 1 수준`, `22일`)
    /// instead of answering in the question's language. A name between quotation marks or
    /// brackets (`'머니브레인'`, `(콴다)`) may keep its own script when it is copied verbatim
    /// from the quotes: held to Latin letters, small models garble names they cannot
    /// transliterate (`'mersiBrain'`, `Mathpresso0`).
    pub latin_answer: Option<String>,
    /// Nats taken from the no-evidence word's tokens where the model chooses between quoting
    /// and abstaining (> 0: it must be surer before it abstains); 0 leaves its choice alone.
    pub abstain_bias: f32,
    /// The question asks for several things (`기업들은?`, `Which companies…`): once the model
    /// has quoted two sentences, the answer line may not end before it names two (holds a
    /// separator such as `,` or `및`) or reaches [`LIST_ROOM`] characters. Asked for the
    /// companies of two quoted sentences, small models name the first sentence's and stop.
    pub list: bool,
    /// When set, every word of the answer line (a run of letters and digits) is a word of the
    /// passages or of `echo`, or the start of one (a particle left off: `성에` → `성`), maybe
    /// with a joining particle after it (`오라클과`), or one of [`ANSWER_WORDS`]. Left free,
    /// small models garble a copied word (`성이 제거 중` for `성에 제거 중`), glue on letters of
    /// no word (`도읍0`, `고구려的人`) or write a figure another way (`180,000` for `18만 명`).
    /// For answers in the passages' language: an English answer over Korean passages translates.
    pub own_words: bool,
}

/// Words an answer line held to [`QuoteFirstForm::own_words`] may use whatever the passages
/// say: yes and no, and the words that join the items of a list.
pub const ANSWER_WORDS: [&str; 16] = [
    "예",
    "네",
    "아니요",
    "아니오",
    "아니다",
    "및",
    "또는",
    "그리고",
    "약",
    "각각",
    "모두",
    "총",
    "yes",
    "no",
    "and",
    "or",
];

/// Particles that may follow a word of [`QuoteFirstForm::own_words`] when they join the items
/// of a list (`오라클과 소프트뱅크`).
const JOINING_PARTICLES: [&str; 2] = ["와", "과"];

/// Characters that are not letters or digits but may be split across tokens: their first
/// bytes at the end of an answer line are not a word begun.
const SPLIT_MARKS: &str = "·“”‘’–—…㎡㎥㎞㎏、「」『』《》〈〉";

/// Characters after which a list answer may end with a single item.
pub const LIST_ROOM: usize = 40;

/// What separates the items of a list answer.
const LIST_SEPARATORS: [&str; 8] = [",", "、", "·", "/", " 및 ", " and ", "와 ", "과 "];

/// Whether an answer line names more than one thing, or is long enough to stop anyway.
fn names_several(answer: &str) -> bool {
    LIST_SEPARATORS.iter().any(|s| answer.contains(s)) || answer.chars().count() >= LIST_ROOM
}

/// A first quote settled in advance: `text[start..end]` of passage `passage`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lead {
    pub passage: usize,
    pub start: usize,
    pub end: usize,
}

impl QuoteFirstForm {
    /// The lead's text when this is its quote (`first` of passage `p`) and the range is valid.
    fn lead_text(&self, p: usize, first: bool) -> Option<&[u8]> {
        let l = self.lead.filter(|l| first && l.passage == p)?;
        self.passages.get(p)?.1.as_bytes().get(l.start..l.end)
    }

    /// Where the quote of passage `p` that `rest` starts closes: its first `"`, or, for the
    /// lead, the first `"` after the lead's text (a lead may hold the passage's own marks).
    fn closing_mark(&self, p: usize, first: bool, rest: &[u8]) -> Option<usize> {
        let lead = self.lead_text(p, first).unwrap_or_default();
        if lead.len() > rest.len() && lead.starts_with(rest) {
            return None;
        }
        let skip = if rest.starts_with(lead) {
            lead.len()
        } else {
            0
        };
        rest[skip..]
            .iter()
            .position(|&b| b == b'"')
            .map(|j| skip + j)
    }
}

/// What the text generated so far leaves open.
#[derive(Debug, PartialEq, Eq)]
enum State {
    /// Inside one of several fixed strings; `typed` bytes of it written.
    Literal {
        alts: Vec<(Vec<u8>, Next)>,
        typed: Vec<u8>,
    },
    /// Inside a quote of passage `passage`, `typed` bytes so far; `first` for the first quote.
    Quote {
        passage: usize,
        typed: Vec<u8>,
        first: bool,
    },
    /// In the free answer line; `typed` bytes so far.
    Answer { typed: Vec<u8> },
    /// Done: only an end-of-generation token.
    End,
    /// The text left the form (cannot happen when every token went through the constraint).
    Broken,
}

/// Where a fixed string leads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Next {
    /// To the choice between a quote and the no-evidence word.
    Evidence,
    /// Into a quote of this passage.
    Quote(usize),
    /// Into the answer line.
    Answer,
    /// To the end, as an abstention.
    NoEvidence,
    /// To the end.
    End,
}

/// How close the model's choice between quoting and abstaining was, read after generation:
/// the log-odds, in nats, of the no-evidence word against a quote at that step, before
/// [`QuoteFirstForm::abstain_bias`] (the first token of each way; > 0: it leaned to abstain).
#[derive(Debug, Clone, Default)]
pub struct AbstainOdds(Arc<Mutex<Option<f32>>>);

impl AbstainOdds {
    /// The odds, once the model has made the choice.
    pub fn get(&self) -> Option<f32> {
        *self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn set(&self, odds: f32) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = Some(odds);
    }
}

/// How the model weighed the words of [`QuoteFirstForm::choices`] (claim verdicts) where it
/// picked one: each word's log-probability among them (its first token's share of the tokens
/// allowed there), in the order of `choices`.
#[derive(Debug, Clone, Default)]
pub struct ChoiceLogprobs(Arc<Mutex<Option<Vec<f32>>>>);

impl ChoiceLogprobs {
    /// The log-probabilities, once the model has picked.
    pub fn get(&self) -> Option<Vec<f32>> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    fn set(&self, logprobs: Vec<f32>) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = Some(logprobs);
    }
}

/// The constraint; see the module doc.
#[derive(Debug, Clone)]
pub struct QuoteFirst {
    form: QuoteFirstForm,
    /// Where the abstention choice's odds are written.
    odds: AbstainOdds,
    /// Where the choice among `choices` is written.
    choice: ChoiceLogprobs,
    /// The answer line's special tokens, found on first use.
    answer_tokens: Option<AnswerTokens>,
    /// The form's `echo`, lower-cased once.
    echo: String,
    /// For [`QuoteFirstForm::own_words`]: its tables, built on the first answer step.
    own_words: Option<OwnWords>,
}

/// The tables of [`QuoteFirstForm::own_words`].
#[derive(Debug, Clone)]
struct OwnWords {
    /// Every byte prefix of the words the answer line may use.
    starts: HashSet<Vec<u8>>,
    /// By the first token id of each piece of [`Vocab::by_bytes`]: the length of its first word part (the bytes before its first character that is no letter
    /// or digit; all of it when it has none), or `None` when the rest of the piece, from that
    /// character on, holds a word no answer may use (it is never allowed). Built once, so a
    /// step checks only the part of each piece that meets the word being written.
    heads: Vec<Option<usize>>,
}

impl OwnWords {
    fn new(form: &QuoteFirstForm, vocab: &Vocab) -> OwnWords {
        let texts = form
            .passages
            .iter()
            .map(|(_, text)| text.as_str())
            .chain([form.echo.as_str()])
            .chain(ANSWER_WORDS);
        let mut starts = HashSet::new();
        for text in texts {
            for word in text.split(|c: char| !c.is_alphanumeric()) {
                // After a figure's digits, its unit or counter (`만` of `18만`).
                let unit = word.trim_start_matches(|c: char| c.is_ascii_digit());
                for w in [unit.to_string(), unit.to_lowercase()] {
                    for end in 1..=w.len() {
                        starts.insert(w.as_bytes()[..end].to_vec());
                    }
                }
            }
        }
        let mut heads = vec![None; vocab.len()];
        for (piece, ids) in &vocab.by_bytes().ids {
            let head = last_word_end(piece);
            let rest_ok = head == piece.len() || words_allowed(&piece[head..], &starts);
            if let (true, Some(&id)) = (rest_ok, ids.first()) {
                if let Some(h) = heads.get_mut(id as usize) {
                    *h = Some(head);
                }
            }
        }
        OwnWords { starts, heads }
    }

    /// Whether a piece may follow `word`, the last word of the line so far (whole characters);
    /// `word_done` is whether `word` may end there (the same for every piece that ends it).
    fn allows(
        &self,
        word: &[u8],
        word_done: bool,
        piece: &[u8],
        first_id: u32,
        buf: &mut Vec<u8>,
    ) -> bool {
        let Some(Some(head)) = self.heads.get(first_id as usize).copied() else {
            return false;
        };
        if head == 0 {
            return word_done;
        }
        buf.clear();
        buf.extend_from_slice(word);
        buf.extend_from_slice(&piece[..head]);
        word_allowed(buf, head < piece.len(), &self.starts)
    }
}

/// Where the first word part of `piece` ends: at its first whole character that is no letter
/// or digit, or at its end.
fn last_word_end(piece: &[u8]) -> usize {
    whole_chars(piece)
        .char_indices()
        .find(|(_, c)| !c.is_alphanumeric())
        .map_or(piece.len(), |(i, _)| i)
}

/// The order of the words an answer line shares with both its quotes and the question
/// ([`QuoteFirstForm::own_words`]): each such word, once written, must follow the previous one
/// in the quotes' order or in the question's. The answer may restate the question (`10년 근속하면
/// …`) or copy its quote, but not put their shared words together against both: asked which
/// Japanese plant SoftBank bought (`소프트뱅크가 … 일본 공장은?`), with the right sentence quoted
/// (`소프트뱅크는 일본의 샤프 ‘사카이 공장’을 인수해…`), the 1.5B model wrote `일본 소프트뱅크
/// 그룹`, the asker for the thing asked, finished from another passage. Other words are free.
#[derive(Debug, Clone, Default)]
struct SharedOrder {
    /// The quotes' words in order (lower-cased; digits before a unit left off).
    quote: Vec<String>,
    /// The question's words, the same way.
    question: Vec<String>,
    /// The quote word and the question word the line's shared words have reached.
    at: (usize, usize),
}

/// The words of `text`, lower-cased, digits before a unit left off.
fn order_words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .map(|w| {
            w.trim_start_matches(|c: char| c.is_ascii_digit())
                .to_lowercase()
        })
        .filter(|w| !w.is_empty())
        .collect()
}

impl SharedOrder {
    /// The order for an answer line that reads `line` so far, after `quotes`, to `question`.
    fn new(quotes: &[&str], question: &str, line: &[u8]) -> SharedOrder {
        let mut order = SharedOrder {
            quote: order_words(&quotes.join(" ")),
            question: order_words(question),
            at: (0, 0),
        };
        let text = whole_chars(line);
        let done = &text.as_bytes()[..text.len() - last_word(text.as_bytes()).len()];
        order.at = order.walk(done).unwrap_or_default();
        order
    }

    /// Where the shared words among the finished words of `b` leave the line (from
    /// [`Self::at`]), or `None` when one of them follows the one before it in neither order. A
    /// word matches the first word from the place reached that it begins (or whose start it is,
    /// before a joining particle).
    fn walk(&self, b: &[u8]) -> Option<(usize, usize)> {
        let (mut at_quote, mut at_question) = self.at;
        for w in order_words(whole_chars(b)) {
            let stem = JOINING_PARTICLES
                .iter()
                .find_map(|p| w.strip_suffix(p).filter(|s| !s.is_empty()));
            let find = |words: &[String], from: usize| {
                let at = |w: &str| (from..words.len()).find(|&j| words[j].starts_with(w));
                at(&w).or_else(|| stem.and_then(at))
            };
            if find(&self.quote, 0).is_none() || find(&self.question, 0).is_none() {
                continue;
            }
            match (
                find(&self.quote, at_quote),
                find(&self.question, at_question),
            ) {
                (None, None) => return None,
                (q, e) => {
                    at_quote = q.unwrap_or(at_quote);
                    at_question = e.unwrap_or(at_question);
                }
            }
        }
        Some((at_quote, at_question))
    }

    /// Whether `word` (the line's last word so far) then `piece` keeps the order: every word
    /// they finish is checked (the word left being written is checked once it ends).
    fn allows(&self, word: &[u8], piece: &[u8]) -> bool {
        let b = [word, piece].concat();
        let open = last_word(&b).len();
        self.walk(&b[..b.len() - open]).is_some()
    }
}

/// Tokens the answer line treats apart.
#[derive(Debug, Clone)]
struct AnswerTokens {
    /// Holding `[` or `]` (kept out of the answer line).
    brackets: Vec<u32>,
    /// Other tokens holding a line break (the answer line ends with one).
    newline: Vec<u32>,
    /// Not whole UTF-8 text (bytes of a character split across tokens): allowed only where
    /// they keep the line valid UTF-8, so a model that wants to stop where it may not cannot
    /// fill the line with broken characters.
    fragments: Vec<u32>,
    /// Holding a letter of another script than Latin: kept out of a
    /// [`QuoteFirstForm::latin_answer`] line.
    non_latin: Vec<u32>,
    /// Holding letters of [`QuoteFirstForm::latin_answer`]'s extra ones (and no other
    /// non-Latin letters): allowed after a digit only.
    magnitudes: Vec<u32>,
    /// The scripts ([`script`]) of the letters of the passages and the question: the answer
    /// line's letters are Latin or of these.
    scripts: HashSet<u32>,
    /// Holding a letter of a script neither Latin nor in `scripts` (`4.5リ터` over passages
    /// with no kana: small models drift into the scripts of their training data).
    foreign: Vec<u32>,
}

/// A letter's script, coarsely: Latin 0, Hangul 1, Han 2, kana 3; any other letter, its
/// 128-code-point block (Cyrillic, Greek, Thai… each fall in their own).
fn script(c: char) -> u32 {
    match c {
        'a'..='z' | 'A'..='Z' | '\u{C0}'..='\u{24F}' | '\u{1E00}'..='\u{1EFF}' => 0,
        '\u{AC00}'..='\u{D7A3}' | '\u{1100}'..='\u{11FF}' | '\u{3130}'..='\u{318F}' => 1,
        '\u{4E00}'..='\u{9FFF}' | '\u{3400}'..='\u{4DBF}' | '\u{F900}'..='\u{FAFF}' => 2,
        '\u{3040}'..='\u{30FF}' | '\u{31F0}'..='\u{31FF}' | '\u{FF66}'..='\u{FF9F}' => 3,
        c => 0x1000 + (c as u32 >> 7),
    }
}

/// Whether the whole characters of `b` (a UTF-8 prefix) hold a letter of a script that is not
/// Latin and not in `scripts`.
fn foreign_prefix(b: &[u8], scripts: &HashSet<u32>) -> bool {
    whole_chars(b)
        .chars()
        .any(|c| c.is_alphabetic() && script(c) != 0 && !scripts.contains(&script(c)))
}

/// Whether `c` is a letter of another script than Latin (ASCII, Latin-1, Latin Extended) and
/// not one of `extra`.
fn non_latin_letter(c: char, extra: &str) -> bool {
    c.is_alphabetic()
        && !matches!(c, 'a'..='z' | 'A'..='Z' | '\u{C0}'..='\u{24F}' | '\u{1E00}'..='\u{1EFF}')
        && !extra.contains(c)
}

/// Whether `b` is valid UTF-8 up to, at most, one unfinished character at its end.
fn utf8_prefix(b: &[u8]) -> bool {
    match std::str::from_utf8(b) {
        Ok(_) => true,
        Err(e) => e.error_len().is_none(),
    }
}

/// Whether `b` (a UTF-8 prefix) holds a letter of another script than Latin, or one of
/// `extra` that does not follow a digit (`10만`, `22일`, `1조4,000억` may stand; `만만 조` not), or
/// ends in the first bytes of a character outside Latin-1, Latin Extended and `extra`
/// (U+0000–U+07FF take two bytes; Latin Extended Additional, three, is let through by its
/// first two).
fn non_latin_prefix(b: &[u8], extra: &str) -> bool {
    let valid = match std::str::from_utf8(b) {
        Ok(s) => s.len(),
        Err(e) => e.valid_up_to(),
    };
    let whole = std::str::from_utf8(&b[..valid]).unwrap_or_default();
    let mut after_number = false;
    for c in whole.chars() {
        if extra.contains(c) {
            if !after_number {
                return true;
            }
        } else if non_latin_letter(c, "") {
            return true;
        } else {
            after_number = c.is_ascii_digit();
        }
    }
    match &b[valid..] {
        [] => false,
        tail if extra
            .chars()
            .any(|c| c.to_string().as_bytes().starts_with(tail)) =>
        {
            !after_number
        }
        [0xC2..=0xC9, ..] => false,
        [0xE1] | [0xE1, 0xB8..=0xBB, ..] => false,
        _ => true,
    }
}

/// Marks that open a name in an answer line, each with the mark that closes it.
const NAME_MARKS: [(char, char); 7] = [
    ('\'', '\''),
    ('‘', '’'),
    ('"', '"'),
    ('“', '”'),
    ('(', ')'),
    ('「', '」'),
    ('『', '』'),
];

/// The whole characters at the start of `b` (all of it but an unfinished last character).
fn whole_chars(b: &[u8]) -> &str {
    match std::str::from_utf8(b) {
        Ok(s) => s,
        Err(e) => std::str::from_utf8(&b[..e.valid_up_to()]).unwrap_or_default(),
    }
}

/// The parts of `text` between [`NAME_MARKS`]: the byte range inside the marks, and whether the
/// closing mark has come (an open part runs to the end of `text`).
fn name_parts(text: &str) -> Vec<(std::ops::Range<usize>, bool)> {
    let mut parts = Vec::new();
    let mut open: Option<(char, usize)> = None;
    for (i, c) in text.char_indices() {
        match open {
            Some((close, from)) if c == close => {
                parts.push((from..i, true));
                open = None;
            }
            None => {
                if let Some(&(_, close)) = NAME_MARKS.iter().find(|(o, _)| *o == c) {
                    open = Some((close, i + c.len_utf8()));
                }
            }
            Some(_) => {}
        }
    }
    if let Some((_, from)) = open {
        parts.push((from..text.len(), false));
    }
    parts
}

/// Whether answer line `b` (a UTF-8 prefix) ends inside a name: an opening mark not yet closed.
fn in_name(b: &[u8]) -> bool {
    name_parts(whole_chars(b))
        .last()
        .is_some_and(|(_, closed)| !closed)
}

/// Whether `b` holds a mark that opens a name.
fn opens_name(b: &[u8]) -> bool {
    whole_chars(b)
        .chars()
        .any(|c| NAME_MARKS.iter().any(|(o, _)| *o == c))
}

/// [`non_latin_prefix`] for a whole answer line `b`, where a part between [`NAME_MARKS`] (closed,
/// or still open at the end of `b`) may hold any letters when it stands verbatim in one of
/// `quoted` (the answer's quotes): a copied name. Outside such parts the Latin rule holds.
fn latin_line_breaks(b: &[u8], extra: &str, quoted: &[&str]) -> bool {
    let copied = |part: &[u8]| {
        !part.is_empty()
            && quoted
                .iter()
                .any(|q| q.as_bytes().windows(part.len()).any(|w| w == part))
    };
    let mut outside_from = 0;
    for (inside, closed) in name_parts(whole_chars(b)) {
        // The marks themselves are no letters: the outside part may keep them.
        let end = if closed { inside.end } else { b.len() };
        let part = &b[inside.start..end];
        if non_latin_prefix(&b[outside_from..inside.start], extra)
            || (non_latin_prefix(part, extra) && !copied(part))
        {
            return true;
        }
        outside_from = end;
    }
    non_latin_prefix(&b[outside_from..], extra)
}

/// A quote taken from the generated text: the passage index and the quoted text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Quoted {
    pub passage: usize,
    pub text: String,
}

/// The parts of a finished quote-first answer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QuoteFirstOutput {
    /// The quotes, in order.
    pub quotes: Vec<Quoted>,
    /// True when the model wrote the no-evidence word.
    pub no_evidence: bool,
    /// The answer line (trimmed), empty when none was written.
    pub answer: String,
}

impl QuoteFirstForm {
    fn label_alts(&self, lead: &str) -> Vec<(Vec<u8>, Next)> {
        self.passages
            .iter()
            .enumerate()
            .map(|(i, (label, _))| (format!("{lead}[{label}] \"").into_bytes(), Next::Quote(i)))
            .collect()
    }

    /// Walks `g` (the bytes generated so far) through the form.
    fn state(&self, g: &[u8]) -> (State, QuoteFirstOutput) {
        let mut out = QuoteFirstOutput::default();
        let mut pos = 0;
        let mut alts: Vec<(Vec<u8>, Next)> =
            vec![(self.opener.as_bytes().to_vec(), Next::Evidence)];
        loop {
            let rest = &g[pos..];
            let Some((len, next)) = alts
                .iter()
                .find(|(a, _)| rest.starts_with(a))
                .map(|(a, n)| (a.len(), *n))
            else {
                if alts.iter().any(|(a, _)| a.starts_with(rest)) {
                    return (
                        State::Literal {
                            alts,
                            typed: rest.to_vec(),
                        },
                        out,
                    );
                }
                return (State::Broken, out);
            };
            pos += len;
            let rest = &g[pos..];
            match next {
                Next::Evidence => {
                    alts = self.label_alts("");
                    if let Some(l) = self.lead {
                        alts.retain(|(_, n)| *n == Next::Quote(l.passage));
                    }
                    alts.push((self.none.as_bytes().to_vec(), Next::NoEvidence));
                }
                Next::NoEvidence => {
                    out.no_evidence = true;
                    return (State::End, out);
                }
                Next::Quote(p) => match self.closing_mark(p, out.quotes.is_empty(), rest) {
                    None => {
                        return (
                            State::Quote {
                                passage: p,
                                typed: rest.to_vec(),
                                first: out.quotes.is_empty(),
                            },
                            out,
                        )
                    }
                    Some(j) => {
                        out.quotes.push(Quoted {
                            passage: p,
                            text: String::from_utf8_lossy(&rest[..j]).into_owned(),
                        });
                        pos += j + 1;
                        alts = if out.quotes.len() < self.max_quotes {
                            self.label_alts("\n")
                        } else {
                            Vec::new()
                        };
                        alts.push((self.answer.as_bytes().to_vec(), Next::Answer));
                    }
                },
                Next::Answer => {
                    if !self.choices.is_empty() {
                        alts = self
                            .choices
                            .iter()
                            .map(|c| (c.as_bytes().to_vec(), Next::End))
                            .collect();
                        if let Some(c) =
                            self.choices.iter().find(|c| rest.starts_with(c.as_bytes()))
                        {
                            out.answer = c.clone();
                        }
                        continue;
                    }
                    let line = rest.split(|&b| b == b'\n').next().unwrap_or_default();
                    out.answer = String::from_utf8_lossy(line).trim().to_string();
                    if line.len() < rest.len() {
                        return (State::End, out);
                    }
                    return (
                        State::Answer {
                            typed: rest.to_vec(),
                        },
                        out,
                    );
                }
                Next::End => return (State::End, out),
            }
        }
    }
}

/// The log of the summed exponentials of `ids`' logits (their share of the probability mass,
/// unnormalised).
fn log_sum_exp(logits: &[f32], ids: &[u32]) -> f32 {
    let max = ids
        .iter()
        .map(|&i| logits[i as usize])
        .fold(f32::NEG_INFINITY, f32::max);
    max + ids
        .iter()
        .map(|&i| (logits[i as usize] - max).exp())
        .sum::<f32>()
        .ln()
}

/// Characters at the end of an answer line that, written earlier in it too, show it repeating
/// itself.
const REPEATED_CHARS: usize = 12;

/// Whether the answer line so far ends with a run of [`REPEATED_CHARS`] characters it already
/// holds: a small model kept from ending where it wanted (an answer that only echoes the
/// question, a word not in the passages) may loop over the question's words until the token
/// limit (`공기청정기 E3 표시가 뜨는 건 물이 부족하면 … 공기청정기 E3 표시가 뜨는 건`).
fn starts_over(line: &str) -> bool {
    let Some((cut, _)) = line.char_indices().rev().nth(REPEATED_CHARS - 1) else {
        return false;
    };
    let (before, end) = line.split_at(cut);
    end.trim().chars().count() >= REPEATED_CHARS / 2 && before.contains(end)
}

/// The last word of an answer line: its bytes after the last character that is no letter or
/// digit, with the unfinished character at its end, if any.
fn last_word(b: &[u8]) -> &[u8] {
    let start = whole_chars(b)
        .char_indices()
        .rev()
        .find(|(_, c)| !c.is_alphanumeric())
        .map_or(0, |(i, c)| i + c.len_utf8());
    &b[start..]
}

/// Whether `w`, a word of an answer line, is one that `starts` ([`OwnWords::starts`])
/// allows: the start of an allowed word, maybe followed by a joining particle (when `done`,
/// the whole particle; while the word is being written, its start).
fn word_allowed(w: &[u8], done: bool, starts: &HashSet<Vec<u8>>) -> bool {
    // Digits are free (figures are checked against the passages when the answer is read);
    // what follows them is a word: a unit or counter (`18만`, `3월`).
    let digits = w.iter().take_while(|b| b.is_ascii_digit()).count();
    let w = &w[digits..];
    if w.is_empty() || starts.contains(w) {
        return true;
    }
    // A word and the part of a joining particle written after it.
    JOINING_PARTICLES.iter().any(|p| {
        let p = p.as_bytes();
        (1..=p.len().min(w.len().saturating_sub(1))).any(|n| {
            let (word, particle) = w.split_at(w.len() - n);
            let written = if done {
                particle == p
            } else {
                p.starts_with(particle)
            };
            written && starts.contains(word)
        })
    })
}

/// Whether every word of `b` (the last word of an answer line so far, then a token) is one
/// that `starts` allows ([`QuoteFirstForm::own_words`]). An unfinished character after the
/// last word's end may be the start of a word or of one of [`SPLIT_MARKS`].
fn words_allowed(b: &[u8], starts: &HashSet<Vec<u8>>) -> bool {
    let text = whole_chars(b);
    let mut word_start = None;
    for (i, c) in text.char_indices() {
        match (c.is_alphanumeric(), word_start) {
            (true, None) => word_start = Some(i),
            (false, Some(s)) => {
                if !word_allowed(&b[s..i], true, starts) {
                    return false;
                }
                word_start = None;
            }
            _ => {}
        }
    }
    let tail = &b[text.len()..];
    match word_start {
        Some(s) => word_allowed(&b[s..], false, starts),
        None if tail.is_empty() => true,
        None => {
            starts.contains(tail)
                || SPLIT_MARKS
                    .chars()
                    .any(|c| c.to_string().as_bytes().starts_with(tail))
        }
    }
}

/// Whether every word of `answer` (lower-cased, punctuation trimmed) occurs in `echo` (already
/// lower-cased).
pub fn echoes(answer: &str, echo: &str) -> bool {
    if echo.is_empty() {
        return false;
    }
    answer
        .split_whitespace()
        .map(|w| {
            w.trim_matches(|c: char| !c.is_alphanumeric())
                .to_lowercase()
        })
        .filter(|w| !w.is_empty())
        .all(|w| echo.contains(&w))
}

impl QuoteFirst {
    /// A constraint for `form`.
    pub fn new(form: QuoteFirstForm) -> Self {
        Self {
            echo: form.echo.to_lowercase(),
            form,
            odds: AbstainOdds::default(),
            choice: ChoiceLogprobs::default(),
            answer_tokens: None,
            own_words: None,
        }
    }

    /// A handle on the abstention choice's odds, readable after the constraint is gone.
    pub fn abstain_odds(&self) -> AbstainOdds {
        self.odds.clone()
    }

    /// A handle on the choice among the form's `choices`, readable after the constraint is
    /// gone.
    pub fn choice_logprobs(&self) -> ChoiceLogprobs {
        self.choice.clone()
    }

    /// At the choice among the form's `choices` (nothing of them typed yet): notes each one's
    /// log-probability among them.
    fn choose(&self, alts: &[(Vec<u8>, Next)], vocab: &Vocab, logits: &[f32]) {
        let live = |id: &&u32| logits.get(**id as usize).is_some_and(|l| l.is_finite());
        let mut ids: Vec<Vec<u32>> = vec![Vec::new(); alts.len()];
        for (piece, piece_ids) in &vocab.by_bytes().ids {
            if piece.is_empty() {
                continue;
            }
            // A piece that starts several choices counts for the first (the verdict words
            // differ from their first letter).
            if let Some(i) = alts.iter().position(|(a, _)| a.starts_with(piece)) {
                ids[i].extend(piece_ids.iter().filter(live));
            }
        }
        if ids.iter().any(Vec::is_empty) {
            return;
        }
        let each: Vec<f32> = ids.iter().map(|i| log_sum_exp(logits, i)).collect();
        let all = each.iter().fold(f32::NEG_INFINITY, |m, &x| m.max(x));
        let total = all + each.iter().map(|&x| (x - all).exp()).sum::<f32>().ln();
        self.choice.set(each.iter().map(|&x| x - total).collect());
    }

    /// Reads a finished (or cut-off) output back into its parts.
    pub fn parse(form: &QuoteFirstForm, text: &str) -> QuoteFirstOutput {
        form.state(text.as_bytes()).1
    }

    /// [`QuoteFirst::answer_tokens`].
    fn answer_tokens(&mut self, vocab: &Vocab) -> &AnswerTokens {
        self.answer_tokens.get_or_insert_with(|| {
            let mut t = AnswerTokens {
                brackets: Vec::new(),
                newline: Vec::new(),
                fragments: Vec::new(),
                non_latin: Vec::new(),
                magnitudes: Vec::new(),
                scripts: self
                    .form
                    .passages
                    .iter()
                    .map(|(_, text)| text.as_str())
                    .chain([self.form.echo.as_str()])
                    .flat_map(str::chars)
                    .filter(|c| c.is_alphabetic())
                    .map(script)
                    .collect(),
                foreign: Vec::new(),
            };
            for (b, ids) in &vocab.by_bytes().ids {
                if b.iter().any(|&c| c == b'[' || c == b']') {
                    t.brackets.extend(ids);
                } else if b.contains(&b'\n') {
                    t.newline.extend(ids);
                } else if let Ok(s) = std::str::from_utf8(b) {
                    if foreign_prefix(b, &t.scripts) {
                        t.foreign.extend(ids);
                    }
                    let extra = self.form.latin_answer.as_deref().unwrap_or_default();
                    if s.chars().any(|c| non_latin_letter(c, extra)) {
                        t.non_latin.extend(ids);
                    } else if s.chars().any(|c| extra.contains(c)) {
                        t.magnitudes.extend(ids);
                    }
                } else {
                    t.fragments.extend(ids);
                }
            }
            t
        })
    }

    /// Tokens that continue `typed` as a verbatim run of passage `p` within one line, plus the
    /// closing mark when `typed` is long enough and ends on a character boundary. `first`: the
    /// first quote, which starts at the form's `lead` when it has one.
    fn quote_tokens(&self, p: usize, typed: &[u8], first: bool, vocab: &Vocab) -> Vec<u32> {
        let index = vocab.by_bytes();
        if let Some(lead) = self.form.lead_text(p, first) {
            // The lead: its text, then the closing mark.
            let Some(rest) = lead.strip_prefix(typed) else {
                return Vec::new();
            };
            if rest.is_empty() {
                return index.ids.get(b"\"".as_slice()).cloned().unwrap_or_default();
            }
            return (1..=index.longest.min(rest.len()))
                .filter_map(|l| index.ids.get(&rest[..l]))
                .flatten()
                .copied()
                .collect();
        }
        let text = self.form.passages[p].1.as_bytes();
        let mut allow = Vec::new();
        let ok_char = |b: u8| b != b'\n' && b != b'"' && b != b'\r';
        // Where the occurrences of `typed` in the passage end.
        let ends: Vec<usize> = if typed.is_empty() {
            Vec::new()
        } else {
            (0..=text.len().saturating_sub(typed.len()))
                .filter(|&i| text[i..].starts_with(typed))
                .map(|i| i + typed.len())
                .collect()
        };
        // A quote ends with its sentence: after `.`, `!` or `?` followed by a space or the end
        // of the line (not the point of `1.5`), only the closing mark may follow.
        let sentence_done = typed
            .last()
            .is_some_and(|b| matches!(b, b'.' | b'!' | b'?'))
            && ends
                .iter()
                .all(|&e| e == text.len() || text[e].is_ascii_whitespace());
        if typed.len() < self.form.max_quote_bytes && !sentence_done {
            // Where the next piece may begin: after `typed`, or where a quote may start.
            let given = self.form.starts.get(p).filter(|s| !s.is_empty());
            // A quote starts only where it can reach its least length before a line break or
            // a `"` of the passage (`이어 "…`: three characters, then a mark no quote holds).
            let room = |i: usize| {
                text[i..]
                    .iter()
                    .take_while(|&&b| ok_char(b))
                    .filter(|&&b| (b & 0xC0) != 0x80)
                    .count()
                    >= self.form.min_quote_chars
            };
            let from: Vec<usize> = match (typed.is_empty(), given) {
                (false, _) => ends.clone(),
                (true, Some(given)) => given
                    .iter()
                    .copied()
                    .filter(|&i| i < text.len() && room(i))
                    .collect(),
                // A quote starts at a character (not a space) of the passage.
                (true, None) => (0..text.len())
                    .filter(|&i| {
                        (text[i] & 0xC0) != 0x80 && !text[i].is_ascii_whitespace() && room(i)
                    })
                    .collect(),
            };
            let mut seen = HashSet::new();
            for e in from {
                for l in 1..=index.longest.min(text.len() - e) {
                    let piece = &text[e..e + l];
                    if !ok_char(piece[l - 1]) {
                        break;
                    }
                    if let Some(ids) = index.ids.get(piece) {
                        for &id in ids {
                            if seen.insert(id) {
                                allow.push(id);
                            }
                        }
                    }
                }
            }
        }
        let chars = std::str::from_utf8(typed).map(|s| s.chars().count());
        // Where the passage cannot go on inside a quote (its line ends, or it has a `"`).
        let at_line_end =
            !ends.is_empty() && ends.iter().all(|&e| e == text.len() || !ok_char(text[e]));
        let may_close = !self.form.whole_sentences
            || sentence_done
            || at_line_end
            || typed.len() >= self.form.max_quote_bytes;
        // A quote that can go on nowhere closes (reading drops it if it is too short): the
        // constraint never leaves the model without a token.
        let stuck = allow.is_empty();
        if stuck || (may_close && chars.is_ok_and(|n| n >= self.form.min_quote_chars)) {
            if let Some(ids) = index.ids.get(b"\"".as_slice()) {
                allow.extend(ids);
            }
        }
        allow
    }
}

impl TokenConstraint for QuoteFirst {
    fn allowed(&mut self, generated: &str, vocab: &Vocab) -> Option<TokenMask> {
        self.allowed_after(generated, &[], vocab)
    }

    fn allowed_after(
        &mut self,
        generated: &str,
        pending: &[u8],
        vocab: &Vocab,
    ) -> Option<TokenMask> {
        let mut g = generated.as_bytes().to_vec();
        g.extend_from_slice(pending);
        let (state, out) = self.form.state(&g);
        match state {
            State::Literal { alts, typed } => {
                let n = typed.len();
                let mut allow = Vec::new();
                for (piece, ids) in &vocab.by_bytes().ids {
                    let fits = |a: &Vec<u8>| a.starts_with(&typed) && a[n..].starts_with(piece);
                    if alts.iter().any(|(a, _)| fits(a)) {
                        allow.extend(ids);
                    }
                }
                allow.sort_unstable();
                Some(TokenMask::Allow(allow))
            }
            State::Quote {
                passage,
                typed,
                first,
            } => Some(TokenMask::Allow(
                self.quote_tokens(passage, &typed, first, vocab),
            )),
            State::Answer { typed } => {
                // A line break ends a non-empty answer that says more than the question; then
                // only the end token may follow.
                let list_done =
                    |s: &str| !self.form.list || out.quotes.len() < 2 || names_several(s);
                let started = std::str::from_utf8(&typed)
                    .is_ok_and(|s| !s.trim().is_empty() && !echoes(s, &self.echo) && list_done(s));
                // The bytes of an unfinished character at the end, if any.
                let tail = match std::str::from_utf8(&typed) {
                    Ok(_) => &typed[typed.len()..],
                    Err(e) => &typed[e.valid_up_to()..],
                };
                self.answer_tokens(vocab);
                if std::str::from_utf8(&typed).is_ok_and(starts_over) {
                    // Only the end of the line (a line break with nothing but spaces before
                    // it): a line that repeats itself says nothing more. So too a line that
                    // only echoes the question, which may not end otherwise: it would loop to
                    // the token limit, and is set aside once read (`drop_echo`).
                    let t = self.answer_tokens.as_ref()?;
                    let mut end: Vec<u32> = t
                        .newline
                        .iter()
                        .filter(|&&id| {
                            let b = vocab.bytes(id);
                            let at = b.iter().position(|&c| c == b'\n').unwrap_or(b.len());
                            b[..at].iter().all(u8::is_ascii_whitespace)
                        })
                        .copied()
                        .collect();
                    end.extend(vocab.eos_ids());
                    return Some(TokenMask::Allow(end));
                }
                if self.form.own_words && self.own_words.is_none() {
                    self.own_words = Some(OwnWords::new(&self.form, vocab));
                }
                let (Some(t), form) = (&self.answer_tokens, &self.form) else {
                    return None;
                };
                let own = self.own_words.as_ref();
                let word = last_word(&typed);
                let quoted: Vec<&str> = out.quotes.iter().map(|q| q.text.as_str()).collect();
                let order = own.map(|_| SharedOrder::new(&quoted, &self.echo, &typed));
                let held = |piece: &[u8]| {
                    own.is_none_or(|o| words_allowed(&[word, piece].concat(), &o.starts))
                        && order.as_ref().is_none_or(|o| o.allows(word, piece))
                };
                let latin = form.latin_answer.as_deref();
                let valid = |id: &&u32| {
                    let b = [&typed[..], vocab.bytes(**id)].concat();
                    utf8_prefix(&b) && !latin.is_some_and(|x| latin_line_breaks(&b, x, &quoted))
                };
                let fits = |id: &&u32| {
                    let b = [&typed[..], vocab.bytes(**id)].concat();
                    valid(id) && !foreign_prefix(&b, &t.scripts)
                };
                if !tail.is_empty() {
                    // Only the rest of that character: one that keeps the line in the
                    // passages' words (own words) and in known scripts when there is one, then
                    // one of a known script, else a foreign one rather than none (a
                    // character's first bytes do not tell its script).
                    let in_words = |id: &&u32| fits(id) && held(vocab.bytes(**id));
                    let pick = |keep: &dyn Fn(&&u32) -> bool| -> Vec<u32> {
                        t.fragments.iter().filter(keep).copied().collect()
                    };
                    let mut rest = pick(&in_words);
                    if rest.is_empty() {
                        rest = pick(&fits);
                    }
                    if rest.is_empty() {
                        rest = pick(&valid);
                    }
                    return Some(TokenMask::Allow(rest));
                }
                let mut deny = t.brackets.clone();
                deny.extend(t.fragments.iter().filter(|id| !fits(id)));
                if latin.is_some() {
                    // Outside a name, only a token that opens one may hold other letters.
                    let named = in_name(&typed);
                    deny.extend(
                        t.non_latin
                            .iter()
                            .filter(|id| !(named || opens_name(vocab.bytes(**id))) || !fits(id)),
                    );
                    deny.extend(t.magnitudes.iter().filter(|id| !fits(id)));
                } else {
                    deny.extend(&t.foreign);
                }
                if !started {
                    deny.extend(&t.newline);
                    deny.extend(vocab.eos_ids());
                }
                let Some(own) = own else {
                    return Some(TokenMask::Deny(deny));
                };
                // Held to the passages' words, most tokens are out: the mask lists those in.
                let denied: HashSet<u32> = deny.into_iter().collect();
                let mut buf = Vec::new();
                let word_done = word_allowed(word, true, &own.starts);
                let mut allow: Vec<u32> = vocab
                    .by_bytes()
                    .ids
                    .iter()
                    .filter(|(piece, ids)| {
                        ids.first()
                            .is_some_and(|&id| own.allows(word, word_done, piece, id, &mut buf))
                            && order.as_ref().is_none_or(|o| o.allows(word, piece))
                    })
                    .flat_map(|(_, ids)| ids)
                    .filter(|id| !denied.contains(id))
                    .copied()
                    .collect();
                // The line may end only where its last word keeps the order.
                if order.as_ref().is_none_or(|o| o.allows(word, b" ")) {
                    allow.extend(
                        vocab
                            .eos_ids()
                            .into_iter()
                            .filter(|id| !denied.contains(id)),
                    );
                }
                allow.sort_unstable();
                Some(TokenMask::Allow(allow))
            }
            State::End => Some(TokenMask::Allow(vocab.eos_ids())),
            State::Broken => None,
        }
    }

    /// At the choice between quoting and abstaining (the evidence alternatives, nothing typed
    /// yet): notes the odds of abstaining and takes the bias from the no-evidence tokens. At the
    /// choice among the form's `choices`: notes their log-probabilities ([`ChoiceLogprobs`]).
    fn adjust(&mut self, generated: &str, pending: &[u8], vocab: &Vocab, logits: &mut [f32]) {
        // Each choice comes once; after both, no step walks the form again for them.
        let choosing = !self.form.choices.is_empty() && self.choice.get().is_none();
        if self.odds.get().is_some() && !choosing {
            return;
        }
        let mut g = generated.as_bytes().to_vec();
        g.extend_from_slice(pending);
        let (State::Literal { alts, typed }, _) = self.form.state(&g) else {
            return;
        };
        if choosing && typed.is_empty() && alts.iter().all(|(_, n)| *n == Next::End) {
            self.choose(&alts, vocab, logits);
            return;
        }
        if self.odds.get().is_some() {
            return;
        }
        let none = alts.iter().find(|(_, n)| *n == Next::NoEvidence);
        let quoting = alts.iter().any(|(_, n)| matches!(n, Next::Quote(_)));
        let (Some((none, _)), true, true) = (none, quoting, typed.is_empty()) else {
            return;
        };
        let live = |id: &&u32| logits.get(**id as usize).is_some_and(|l| l.is_finite());
        let (mut abstain, mut quote) = (Vec::new(), Vec::new());
        for (piece, ids) in &vocab.by_bytes().ids {
            if piece.is_empty() {
                continue;
            }
            if none.starts_with(piece) {
                abstain.extend(ids.iter().filter(live));
            } else if alts
                .iter()
                .any(|(a, n)| matches!(n, Next::Quote(_)) && a.starts_with(piece))
            {
                quote.extend(ids.iter().filter(live));
            }
        }
        if abstain.is_empty() || quote.is_empty() {
            return;
        }
        self.odds
            .set(log_sum_exp(logits, &abstain) - log_sum_exp(logits, &quote));
        for id in abstain {
            logits[id as usize] -= self.form.abstain_bias;
        }
    }

    /// What every way on shares: the common start of the fixed strings still open (the
    /// opener, `[P`, a line break), or the rest of the lead quote and its closing mark.
    fn forced(&mut self, generated: &str) -> Option<String> {
        let (state, _) = self.form.state(generated.as_bytes());
        let bytes: Vec<u8> = match state {
            State::Literal { alts, typed } => {
                let rests: Vec<&[u8]> = alts
                    .iter()
                    .filter_map(|(a, _)| a.strip_prefix(&typed[..]))
                    .collect();
                let first = rests.first()?;
                let n = (0..first.len())
                    .take_while(|&i| rests.iter().all(|r| r.get(i) == first.get(i)))
                    .count();
                first[..n].to_vec()
            }
            State::Quote {
                passage,
                typed,
                first,
            } => {
                let rest = self
                    .form
                    .lead_text(passage, first)?
                    .strip_prefix(&typed[..])?;
                [rest, b"\""].concat()
            }
            _ => return None,
        };
        // Whole characters only.
        let text = match std::str::from_utf8(&bytes) {
            Ok(t) => t,
            Err(e) => std::str::from_utf8(&bytes[..e.valid_up_to()]).ok()?,
        };
        (!text.is_empty()).then(|| text.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vocab() -> Vocab {
        let mut pieces: Vec<Vec<u8>> = Vec::new();
        for w in [
            "근거",
            ":",
            " ",
            "[",
            "P",
            "1",
            "2",
            "]",
            "\"",
            "\n",
            "답",
            "없음",
            "애리조나",
            "에",
            " 설립",
            "미국",
            "한다",
            "서울",
            "[P1]",
            "supported",
            "refuted",
            "sup",
            "x",
            "3",
            "값은",
            " 1",
            ".",
            "5",
            "다",
            "'",
        ] {
            pieces.push(w.as_bytes().to_vec());
        }
        // Byte tokens for Hangul split mid-character.
        let han = "주".as_bytes();
        pieces.push(han[..1].to_vec());
        pieces.push(han[1..].to_vec());
        pieces.push(Vec::new()); // the end token
        let eos = (pieces.len() - 1) as u32;
        Vocab::from_pieces(&pieces, &[eos])
    }

    fn form() -> QuoteFirstForm {
        QuoteFirstForm {
            opener: "근거: ".into(),
            none: "없음".into(),
            passages: vec![
                ("P1".into(), "미국 애리조나주에 설립한다\n서울".into()),
                ("P2".into(), "서울에".into()),
                ("P3".into(), "값은 1.5다. 다음".into()),
            ],
            starts: Vec::new(),
            max_quotes: 2,
            answer: "\n답: ".into(),
            choices: Vec::new(),
            min_quote_chars: 2,
            max_quote_bytes: 200,
            whole_sentences: false,
            lead: None,
            echo: String::new(),
            latin_answer: None,
            abstain_bias: 0.0,
            list: false,
            own_words: false,
        }
    }

    fn allowed_texts(c: &mut QuoteFirst, g: &str, pending: &[u8], v: &Vocab) -> Vec<Vec<u8>> {
        let mask = c.allowed_after(g, pending, v).expect("a mask");
        let ids: Vec<u32> = match mask {
            TokenMask::Allow(ids) => ids,
            TokenMask::Deny(d) => (0..v.len() as u32).filter(|i| !d.contains(i)).collect(),
        };
        let mut t: Vec<Vec<u8>> = ids.iter().map(|&i| v.bytes(i).to_vec()).collect();
        t.sort();
        t
    }

    #[test]
    fn opener_is_spelt_out() {
        let v = vocab();
        let mut c = QuoteFirst::new(form());
        assert_eq!(
            allowed_texts(&mut c, "", &[], &v),
            vec!["근거".as_bytes().to_vec()]
        );
        assert_eq!(allowed_texts(&mut c, "근거", &[], &v), vec![b":".to_vec()]);
    }

    #[test]
    fn evidence_is_a_label_or_none() {
        let v = vocab();
        let mut c = QuoteFirst::new(form());
        let t = allowed_texts(&mut c, "근거: ", &[], &v);
        assert!(t.contains(&b"[".to_vec()) && t.contains(&"[P1]".as_bytes().to_vec()));
        assert!(t.contains(&"없음".as_bytes().to_vec()));
        assert!(!t.contains(&b"x".to_vec()));
        assert_eq!(
            allowed_texts(&mut c, "근거: [P", &[], &v),
            vec![b"1".to_vec(), b"2".to_vec(), b"3".to_vec()]
        );
        assert_eq!(
            allowed_texts(&mut c, "근거: 없음", &[], &v),
            vec![Vec::<u8>::new()]
        );
    }

    #[test]
    fn quotes_stay_verbatim_within_a_line() {
        let v = vocab();
        let mut c = QuoteFirst::new(form());
        let t = allowed_texts(&mut c, "근거: [P1] \"", &[], &v);
        assert!(t.contains(&"미국".as_bytes().to_vec()));
        assert!(t.contains(&"애리조나".as_bytes().to_vec()));
        assert!(
            t.contains(&"서울".as_bytes().to_vec()),
            "the second line may start a quote"
        );
        assert!(!t.contains(&b"\"".to_vec()), "no empty quote");
        assert!(!t.contains(&"답".as_bytes().to_vec()));
        let t = allowed_texts(&mut c, "근거: [P1] \"애리조나", &[], &v);
        // The next byte is the first of 주: its split byte token continues the quote.
        assert!(t.contains(&"주".as_bytes()[..1].to_vec()));
        assert!(t.contains(&b"\"".to_vec()));
        assert!(!t.contains(&" 설립".as_bytes().to_vec()));
        // Mid-character: only the rest of that character, and no closing mark.
        let t = allowed_texts(&mut c, "근거: [P1] \"애리조나", &"주".as_bytes()[..1], &v);
        assert_eq!(t, vec!["주".as_bytes()[1..].to_vec()]);
        // A finished sentence closes the quote.
        let t = allowed_texts(&mut c, "근거: [P3] \"값은 1.", &[], &v);
        assert!(
            t.contains(&b"5".to_vec()),
            "a decimal point is not a sentence end: {t:?}"
        );
        let t = allowed_texts(&mut c, "근거: [P3] \"값은 1.5다.", &[], &v);
        assert_eq!(t, vec![b"\"".to_vec()]);
        // A line break never enters a quote.
        let t = allowed_texts(&mut c, "근거: [P1] \"설립한다", &[], &v);
        assert!(!t.contains(&b"\n".to_vec()));
        assert!(t.contains(&b"\"".to_vec()));
    }

    #[test]
    fn after_a_quote_another_or_the_answer() {
        let v = vocab();
        let mut c = QuoteFirst::new(form());
        let t = allowed_texts(&mut c, "근거: [P1] \"애리조나\"", &[], &v);
        assert_eq!(t, vec![b"\n".to_vec()]);
        let t = allowed_texts(&mut c, "근거: [P1] \"애리조나\"\n", &[], &v);
        assert!(t.contains(&b"[".to_vec()) && t.contains(&"답".as_bytes().to_vec()));
        // Answer line: free, but no brackets, and not empty.
        let t = allowed_texts(&mut c, "근거: [P1] \"애리조나\"\n답: ", &[], &v);
        assert!(t.contains(&"애리조나".as_bytes().to_vec()));
        assert!(!t.contains(&b"[".to_vec()) && !t.contains(&"[P1]".as_bytes().to_vec()));
        assert!(!t.contains(&Vec::new()), "no end before an answer");
        let t = allowed_texts(&mut c, "근거: [P1] \"애리조나\"\n답: 애리조나", &[], &v);
        assert!(t.contains(&Vec::new()) && t.contains(&b"\n".to_vec()));
        let t = allowed_texts(&mut c, "근거: [P1] \"애리조나\"\n답: 애리조나\n", &[], &v);
        assert_eq!(t, vec![Vec::<u8>::new()]);
    }

    #[test]
    fn an_answer_in_own_words_uses_the_passages_words() {
        let v = vocab();
        let mut f = form();
        f.own_words = true;
        f.echo = "값은?".into();
        let mut c = QuoteFirst::new(f);
        let g = "근거: [P1] \"애리조나\"\n답: ";
        let t = allowed_texts(&mut c, g, &[], &v);
        // Words of the passages and their starts (`애리조나` of `애리조나주에`), yes and no.
        for w in [
            "애리조나",
            "미국",
            "서울",
            " 1",
            "5",
            "값은",
            "3",
            "x",
            "한다",
        ] {
            assert_eq!(
                t.contains(&w.as_bytes().to_vec()),
                !["x", "한다"].contains(&w),
                "{w}"
            );
        }
        // A word begun goes on only as a passage's word does: `서울에`, not `서울다`.
        let t = allowed_texts(&mut c, &format!("{g}서울"), &[], &v);
        assert!(t.contains(&"에".as_bytes().to_vec()) && !t.contains(&"다".as_bytes().to_vec()));
        assert!(t.contains(&Vec::new()) && t.contains(&b"\n".to_vec()));
        // Digits are free (figures are checked when the answer is read), and what follows
        // them is a word: `3다` as `1.5다` is, not `서울5` or `x3`.
        let t = allowed_texts(&mut c, &format!("{g}1."), &[], &v);
        assert!(t.contains(&b"5".to_vec()) && t.contains(&b"3".to_vec()));
        let t = allowed_texts(&mut c, &format!("{g}3"), &[], &v);
        assert!(t.contains(&"다".as_bytes().to_vec()) && !t.contains(&b"x".to_vec()));
        let t = allowed_texts(&mut c, &format!("{g}서울"), &[], &v);
        assert!(!t.contains(&b"5".to_vec()));
        // A character split across tokens: the first byte of `주` only where a word goes on
        // with it (`애리조나주에`).
        let han = "주".as_bytes();
        let t = allowed_texts(&mut c, &format!("{g}애리조나"), &[], &v);
        assert!(t.contains(&han[..1].to_vec()));
        let t = allowed_texts(&mut c, &format!("{g}애리조나"), &han[..1], &v);
        assert_eq!(t, vec![han[1..].to_vec()]);
        // `미국주` is no word, but the first byte may still begin `와` (a joining particle).
        let t = allowed_texts(&mut c, &format!("{g}미국"), &[], &v);
        assert!(t.contains(&han[..1].to_vec()) && !t.contains(&"주".as_bytes().to_vec()));
    }

    #[test]
    fn words_of_the_question_and_the_quote_keep_one_of_their_orders() {
        let v = vocab();
        let mut f = form();
        f.own_words = true;
        f.echo = "미국의 어느 주에 설립하나?".into();
        let mut c = QuoteFirst::new(f);
        let g = "근거: [P1] \"미국 애리조나주에 설립한다\"\n답: ";
        let ends = |t: &[Vec<u8>]| t.contains(&Vec::new());
        // `미국` and `설립` are both the question's and the quote's, in that order in each:
        // after `설립`, `미국` may be written but not finished.
        let t = allowed_texts(&mut c, &format!("{g}설립 "), &[], &v);
        assert!(t.contains(&"미국".as_bytes().to_vec()));
        let t = allowed_texts(&mut c, &format!("{g}설립 미국"), &[], &v);
        assert!(
            !ends(&t) && !t.contains(&" 설립".as_bytes().to_vec()),
            "{t:?}"
        );
        // In their order the line goes on and ends.
        let t = allowed_texts(&mut c, &format!("{g}미국 애리조나"), &[], &v);
        assert!(ends(&t) && t.contains(&" 설립".as_bytes().to_vec()));
        // A word only the quote holds is free, before or after the shared ones.
        let t = allowed_texts(&mut c, &format!("{g}설립 애리조나"), &[], &v);
        assert!(ends(&t));
    }

    #[test]
    fn a_line_that_repeats_itself_ends() {
        assert!(!starts_over("물이 부족하면 가습이 멈춥니다"));
        assert!(starts_over(
            "물이 부족하면 공기청정기 E3 표시가 뜨는 건 물이 부족하면 공기청정기 E3"
        ));
        assert!(!starts_over("1,000, 2,000"));
        // Spaces and marks alone are no repetition.
        assert!(!starts_over("a            b            "));
        let v = vocab();
        let mut c = QuoteFirst::new(form());
        let g =
            "근거: [P1] \"애리조나\"\n답: 미국 애리조나주에 설립한다 미국 애리조나주에 설립한다";
        let t = allowed_texts(&mut c, g, &[], &v);
        assert_eq!(t, vec![Vec::new(), b"\n".to_vec()]);
        // A line that only echoes the question may not end, until it repeats itself.
        let mut f = form();
        f.echo = "미국의 어느 주에 설립한다?".into();
        let mut c = QuoteFirst::new(f);
        let g = "근거: [P1] \"애리조나\"\n답: 미국의 어느 주에 설립한다";
        assert!(!allowed_texts(&mut c, g, &[], &v).contains(&b"\n".to_vec()));
        let g = format!("{g} 미국의 어느 주에 설립한다");
        let t = allowed_texts(&mut c, &g, &[], &v);
        assert_eq!(t, vec![Vec::new(), b"\n".to_vec()]);
    }

    #[test]
    fn quotes_start_where_told() {
        let v = vocab();
        let mut f = form();
        f.starts = vec![vec![0], vec![], vec![]];
        let mut c = QuoteFirst::new(f);
        let t = allowed_texts(&mut c, "근거: [P1] \"", &[], &v);
        assert!(t.contains(&"미국".as_bytes().to_vec()));
        assert!(!t.contains(&"애리조나".as_bytes().to_vec()));
        assert!(!t.contains(&"서울".as_bytes().to_vec()));
    }

    #[test]
    fn quotes_start_only_where_they_can_reach_their_length() {
        let v = vocab();
        let mut f = form();
        f.min_quote_chars = 3;
        let mut c = QuoteFirst::new(f);
        // `서울` ends its line after two characters: no quote of three may start there.
        let t = allowed_texts(&mut c, "근거: [P1] \"", &[], &v);
        assert!(t.contains(&"미국".as_bytes().to_vec()));
        assert!(!t.contains(&"서울".as_bytes().to_vec()));
        // A quote with nowhere to go (all of P2 is `서울에`) may still close: never no token.
        let t = allowed_texts(&mut c, "근거: [P2] \"서울에", &[], &v);
        assert_eq!(t, vec![b"\"".to_vec()]);
    }

    #[test]
    fn the_choice_to_abstain_is_measured_and_biased() {
        let v = vocab();
        let mut f = form();
        f.abstain_bias = 2.0;
        let mut c = QuoteFirst::new(f);
        let odds = c.abstain_odds();
        let id = |t: &str| v.by_bytes().ids[t.as_bytes()][0] as usize;
        let mut logits = vec![f32::NEG_INFINITY; v.len()];
        logits[id("[")] = 1.0;
        logits[id("[P1]")] = 1.0;
        logits[id("없음")] = 3.0;
        // Before the choice nothing is measured or moved.
        let before = logits.clone();
        let mut l = logits.clone();
        c.adjust("근거", &[], &v, &mut l);
        assert_eq!(l, before);
        assert_eq!(odds.get(), None);
        c.adjust("근거: ", &[], &v, &mut logits);
        let expected = 3.0 - (1.0f32 + 2f32.ln());
        assert!(
            (odds.get().unwrap() - expected).abs() < 1e-5,
            "{:?}",
            odds.get()
        );
        assert_eq!(logits[id("없음")], 1.0);
        assert_eq!(logits[id("[P1]")], 1.0);
        // Inside a quote the logits are left alone.
        let mut l = before.clone();
        c.adjust("근거: [P1] \"미국", &[], &v, &mut l);
        assert_eq!(l, before);
    }

    #[test]
    fn the_choice_among_verdicts_is_measured() {
        let v = vocab();
        let mut f = form();
        f.answer = "\n판정: ".into();
        f.choices = vec!["supported".into(), "refuted".into()];
        let mut c = QuoteFirst::new(f);
        let choice = c.choice_logprobs();
        let id = |t: &str| v.by_bytes().ids[t.as_bytes()][0] as usize;
        let mut logits = vec![f32::NEG_INFINITY; v.len()];
        logits[id("sup")] = 1.0;
        logits[id("supported")] = 1.0;
        logits[id("refuted")] = 0.0;
        // Before the verdict nothing is measured or moved.
        let before = logits.clone();
        let mut l = logits.clone();
        c.adjust("근거: [P2] \"서울에\"\n판", &[], &v, &mut l);
        assert_eq!(l, before);
        assert_eq!(choice.get(), None);
        c.adjust("근거: [P2] \"서울에\"\n판정: ", &[], &v, &mut logits);
        // supported: ln(2e); refuted: 0; shares of their sum.
        let total = (2.0 * 1f32.exp() + 1.0).ln();
        let got = choice.get().unwrap();
        assert!((got[0] - (1.0 + 2f32.ln() - total)).abs() < 1e-5, "{got:?}");
        assert!((got[1] + total).abs() < 1e-5, "{got:?}");
        assert_eq!(logits, before);
        // Once chosen, it is not measured again.
        let mut l = logits.clone();
        c.adjust("근거: [P2] \"서울에\"\n판정: ", &[], &v, &mut l);
        assert_eq!(l, logits);
    }

    #[test]
    fn a_list_answer_after_two_quotes_names_two_things() {
        let v = vocab();
        let mut f = form();
        f.list = true;
        let mut c = QuoteFirst::new(f);
        let two = "근거: [P1] \"애리조나\"\n[P2] \"서울에\"\n답: ";
        let t = allowed_texts(&mut c, &format!("{two}애리조나"), &[], &v);
        assert!(!t.contains(&Vec::new()) && !t.contains(&b"\n".to_vec()));
        let t = allowed_texts(&mut c, &format!("{two}애리조나, 서울"), &[], &v);
        assert!(t.contains(&Vec::new()));
        let long = "애리조나".repeat(LIST_ROOM / 4);
        let t = allowed_texts(&mut c, &format!("{two}{long}"), &[], &v);
        assert!(t.contains(&Vec::new()), "a long single item may end");
        // One quote: one item may end the line.
        let t = allowed_texts(&mut c, "근거: [P1] \"애리조나\"\n답: 애리조나", &[], &v);
        assert!(t.contains(&Vec::new()));
    }

    /// A lead of `애리조나` in the test form's first passage.
    fn arizona() -> Lead {
        let start = "미국 ".len();
        Lead {
            passage: 0,
            start,
            end: start + "애리조나".len(),
        }
    }

    #[test]
    fn the_first_quote_starts_at_the_lead() {
        let v = vocab();
        let mut f = form();
        f.lead = Some(arizona());
        let mut c = QuoteFirst::new(f);
        let t = allowed_texts(&mut c, "근거: ", &[], &v);
        assert!(t.contains(&b"[".to_vec()) && t.contains(&"없음".as_bytes().to_vec()));
        let t = allowed_texts(&mut c, "근거: [P", &[], &v);
        assert_eq!(t, vec![b"1".to_vec()], "only the lead's passage");
        let t = allowed_texts(&mut c, "근거: [P1] \"", &[], &v);
        assert!(t.contains(&"애리조나".as_bytes().to_vec()), "{t:?}");
        assert!(
            !t.contains(&"미국".as_bytes().to_vec()) && !t.contains(&"서울".as_bytes().to_vec()),
            "only from the lead"
        );
        // A second quote is free.
        let t = allowed_texts(&mut c, "근거: [P1] \"애리조나\"\n[P", &[], &v);
        assert!(t.contains(&b"1".to_vec()) && t.contains(&b"2".to_vec()));
        let t = allowed_texts(&mut c, "근거: [P1] \"애리조나\"\n[P1] \"", &[], &v);
        assert!(t.contains(&"미국".as_bytes().to_vec()));
        // The lead is the whole first quote: nothing else before its closing mark.
        let t = allowed_texts(&mut c, "근거: [P1] \"애리조나", &[], &v);
        assert_eq!(t, vec![b"\"".to_vec()]);
    }

    #[test]
    fn a_lead_may_hold_the_passages_own_quotation_marks() {
        let v = vocab();
        let mut f = form();
        let text = "서울 \"미국\" 애리조나";
        f.passages[0].1 = text.into();
        f.lead = Some(Lead {
            passage: 0,
            start: 0,
            end: text.len(),
        });
        let mut c = QuoteFirst::new(f.clone());
        let t = allowed_texts(&mut c, "근거: [P1] \"서울 \"", &[], &v);
        assert_eq!(t, vec!["미국".as_bytes().to_vec()], "still inside the lead");
        assert_eq!(
            c.forced("근거: [P1] \"서울 ").as_deref(),
            Some("\"미국\" 애리조나\"")
        );
        let out = QuoteFirst::parse(&f, "근거: [P1] \"서울 \"미국\" 애리조나\"\n답: x");
        assert_eq!(out.quotes[0].text, text);
        assert_eq!(out.answer, "x");
    }

    #[test]
    fn an_answer_must_say_more_than_the_question() {
        let v = vocab();
        let mut f = form();
        f.echo = "미국의 어느 주에 설립한다?".into();
        let mut c = QuoteFirst::new(f);
        let t = allowed_texts(&mut c, "근거: [P1] \"애리조나\"\n답: 미국", &[], &v);
        assert!(
            !t.contains(&Vec::new()) && !t.contains(&b"\n".to_vec()),
            "not yet"
        );
        assert!(t.contains(&"애리조나".as_bytes().to_vec()));
        let t = allowed_texts(
            &mut c,
            "근거: [P1] \"애리조나\"\n답: 미국 애리조나",
            &[],
            &v,
        );
        assert!(t.contains(&Vec::new()) && t.contains(&b"\n".to_vec()));
        assert!(!echoes("애리조나", "미국의 어느 주?") && echoes("미국.", "미국의 어느 주?"));
        assert!(!echoes("미국", ""), "no rule without a question");
    }

    #[test]
    fn the_answer_line_keeps_to_the_scripts_of_its_passages() {
        let mut pieces: Vec<Vec<u8>> = ["근거", ":", " ", "[", "P", "1", "]", "\"", "\n", "답"]
            .iter()
            .chain(&["없음", "4", ".", "5", "리터", "リ", "터", "容量", "Liter"])
            .map(|w| w.as_bytes().to_vec())
            .collect();
        // A character outside the vocabulary, split into byte tokens: `ソ`.
        let so = "ソ".as_bytes();
        pieces.push(so[..1].to_vec());
        pieces.push(so[1..].to_vec());
        pieces.push(Vec::new());
        let v = Vocab::from_pieces(&pieces, &[(pieces.len() - 1) as u32]);
        let mut f = form();
        f.passages = vec![("P1".into(), "용량은 4.5리터다".into())];
        let mut c = QuoteFirst::new(f.clone());
        let line = "근거: [P1] \"용량은 4.5리터다\"\n답: 4.5";
        let t = allowed_texts(&mut c, line, &[], &v);
        assert!(t.contains(&"리터".as_bytes().to_vec()), "{t:?}");
        assert!(t.contains(&b"Liter".to_vec()), "Latin is always allowed");
        assert!(
            !t.contains(&"リ".as_bytes().to_vec()),
            "no kana in the passages"
        );
        assert!(
            !t.contains(&"容量".as_bytes().to_vec()),
            "no Han in the passages"
        );
        // A split character's last bytes: foreign or not, the line does not dead-end.
        let t = allowed_texts(&mut c, line, &so[..1], &v);
        assert_eq!(t, vec![so[1..].to_vec()]);
        // Passages that hold kana let the answer hold it.
        f.passages = vec![("P1".into(), "용량은 4.5リットル".into())];
        let mut c = QuoteFirst::new(f);
        let t = allowed_texts(&mut c, line, &[], &v);
        assert!(t.contains(&"リ".as_bytes().to_vec()));
    }

    #[test]
    fn the_answer_line_stays_valid_utf8() {
        let v = vocab();
        let mut c = QuoteFirst::new(form());
        let han = "주".as_bytes();
        let t = allowed_texts(&mut c, "근거: [P1] \"애리조나\"\n답: 미국", &[], &v);
        assert!(t.contains(&han[..1].to_vec()), "a character may start");
        assert!(!t.contains(&han[1..].to_vec()), "not mid-character");
        let t = allowed_texts(&mut c, "근거: [P1] \"애리조나\"\n답: 미국", &han[..1], &v);
        assert_eq!(t, vec![han[1..].to_vec()], "only the rest of the character");
    }

    #[test]
    fn a_latin_answer_line_holds_no_other_script() {
        let v = vocab();
        let mut f = form();
        f.latin_answer = Some("만".into());
        let mut c = QuoteFirst::new(f);
        let han = "주".as_bytes();
        let t = allowed_texts(&mut c, "근거: [P1] \"애리조나\"\n답: ", &[], &v);
        assert!(t.contains(&b"x".to_vec()) && t.contains(&b"5".to_vec()));
        for k in ["애리조나", "미국", "답", "없음"] {
            assert!(!t.contains(&k.as_bytes().to_vec()), "{k} is Hangul");
        }
        assert!(
            !t.contains(&han[..1].to_vec()),
            "nor the first byte of a syllable"
        );
        let yes = |t: &str| non_latin_prefix(t.as_bytes(), "만억조");
        assert!(yes("x주") && non_latin_prefix(&han[..1], ""));
        assert!(yes("Мани") && yes("マネ") && yes("10만 개"));
        assert!(!yes("Arizona, é, ạ") && !non_latin_prefix(&[0xE1], ""));
        assert!(!yes("1/4 · 22nd") && !yes("10만") && !yes("230억 USD") && !yes("1조4,000억"));
        assert!(
            yes("만만 조") && yes("x 만") && yes("10 만"),
            "only right after a digit"
        );
        let one_and_half = [b"1".as_slice(), &"만".as_bytes()[..2]].concat();
        assert!(
            !non_latin_prefix(&one_and_half, "만"),
            "the start of one after a digit"
        );
        assert!(
            non_latin_prefix(&"만".as_bytes()[..2], "만"),
            "not elsewhere"
        );
        let mut c = QuoteFirst::new(form());
        let t = allowed_texts(&mut c, "근거: [P1] \"애리조나\"\n답: ", &[], &v);
        assert!(
            t.contains(&"애리조나".as_bytes().to_vec()),
            "Korean questions may"
        );
    }

    #[test]
    fn a_latin_answer_line_may_copy_a_quoted_name() {
        let v = vocab();
        let mut f = form();
        f.latin_answer = Some("만".into());
        let mut c = QuoteFirst::new(f);
        let han = "애리조나".as_bytes().to_vec();
        let quoted = "근거: [P1] \"미국 애리조나주에\"\n답: ";
        let t = allowed_texts(&mut c, &format!("{quoted}'"), &[], &v);
        assert!(t.contains(&han), "a name between marks, copied");
        assert!(
            !t.contains(&"서울".as_bytes().to_vec()),
            "not a name the quotes lack"
        );
        let t = allowed_texts(&mut c, quoted, &[], &v);
        assert!(!t.contains(&han), "not outside marks");
        let t = allowed_texts(&mut c, &format!("{quoted}'애리조나'"), &[], &v);
        assert!(
            t.contains(&b"x".to_vec()) && !t.contains(&han),
            "closed: Latin again"
        );
        let yes = |t: &str| latin_line_breaks(t.as_bytes(), "만", &["미국 애리조나주에"]);
        assert!(!yes("'애리조나' (미국 애리조나) x's 10만") && !yes("'애리조"));
        assert!(yes("'서울'") && yes("애리조나") && yes("'애리조나' 미국") && yes("(애리조나 x)"));
        assert!(!yes(&String::from_utf8_lossy(
            &["'".as_bytes(), &han[..1]].concat()
        )));
        let partial = ["'".as_bytes(), &"서".as_bytes()[..2]].concat();
        assert!(latin_line_breaks(&partial, "만", &["미국 애리조나주에"]));
    }

    #[test]
    fn forced_text_is_what_every_way_on_shares() {
        let mut f = form();
        f.max_quotes = 1;
        let mut c = QuoteFirst::new(f.clone());
        assert_eq!(c.forced("").as_deref(), Some("근거: "));
        assert_eq!(c.forced("근"), Some("거: ".into()));
        assert_eq!(c.forced("근거: "), None, "a quote or the no-evidence word");
        assert_eq!(
            c.forced("근거: ["),
            Some("P".into()),
            "P1, P2 and P3 share `P`"
        );
        assert_eq!(c.forced("근거: [P1] \"미국"), None, "a free quote");
        assert_eq!(c.forced("근거: [P1] \"미국\""), Some("\n답: ".into()));
        assert_eq!(c.forced("근거: [P1] \"미국\"\n답: 미국"), None);
        f.lead = Some(arizona());
        let mut c = QuoteFirst::new(f);
        assert_eq!(
            c.forced("근거: ["),
            Some("P1] \"".into()),
            "only the lead's passage"
        );
        assert_eq!(c.forced("근거: [P1] \""), Some("애리조나\"".into()));
        assert_eq!(c.forced("근거: [P1] \"애리"), Some("조나\"".into()));
    }

    #[test]
    fn whole_sentences_close_only_at_their_end() {
        let v = vocab();
        let mut f = form();
        f.whole_sentences = true;
        let mut c = QuoteFirst::new(f);
        let t = allowed_texts(&mut c, "근거: [P3] \"값은", &[], &v);
        assert!(!t.contains(&b"\"".to_vec()), "not mid-sentence");
        let t = allowed_texts(&mut c, "근거: [P3] \"값은 1.5다.", &[], &v);
        assert_eq!(t, vec![b"\"".to_vec()]);
        let t = allowed_texts(&mut c, "근거: [P1] \"미국 애리조나주에 설립한다", &[], &v);
        assert!(t.contains(&b"\"".to_vec()), "the end of a line closes too");
    }

    #[test]
    fn quote_count_is_bounded() {
        let v = vocab();
        let mut f = form();
        f.max_quotes = 1;
        let mut c = QuoteFirst::new(f);
        let t = allowed_texts(&mut c, "근거: [P1] \"애리조나\"\n", &[], &v);
        assert_eq!(t, vec!["답".as_bytes().to_vec()]);
    }

    #[test]
    fn verdicts_are_chosen_from_the_list() {
        let v = vocab();
        let mut f = form();
        f.answer = "\n판정: ".into();
        f.choices = vec!["supported".into(), "refuted".into()];
        let mut c = QuoteFirst::new(f.clone());
        let g = "근거: [P2] \"서울에\"\n판정: ";
        let t = allowed_texts(&mut c, g, &[], &v);
        assert_eq!(
            t,
            vec![b"refuted".to_vec(), b"sup".to_vec(), b"supported".to_vec()]
        );
        let done = format!("{g}refuted");
        assert_eq!(
            allowed_texts(&mut c, &done, &[], &v),
            vec![Vec::<u8>::new()]
        );
        let out = QuoteFirst::parse(&f, &done);
        assert_eq!(out.answer, "refuted");
        assert_eq!(
            out.quotes,
            vec![Quoted {
                passage: 1,
                text: "서울에".into()
            }]
        );
    }

    #[test]
    fn parse_reads_quotes_answer_and_abstention() {
        let f = form();
        let out = QuoteFirst::parse(
            &f,
            "근거: [P1] \"미국 애리조나\"\n[P2] \"서울\"\n답: 애리조나주\n",
        );
        assert_eq!(out.quotes.len(), 2);
        assert_eq!(
            out.quotes[0],
            Quoted {
                passage: 0,
                text: "미국 애리조나".into()
            }
        );
        assert_eq!(out.answer, "애리조나주");
        assert!(!out.no_evidence);
        assert!(QuoteFirst::parse(&f, "근거: 없음").no_evidence);
    }
}
