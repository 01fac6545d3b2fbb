//! Anchors: the identifiers a request pins itself to, and whether the corpus names them at all.
//!
//! An anchor is a model code (`DH-30`, `AP500`), a numbered item (`제83차`, `3분기`, `7호`, the
//! English `Q2`) or a year (`2026년`). A question about the DH-30 is not answered by the DH-20's
//! manual, however close its lines read, and the passages always read close: retrieval ranks
//! what the corpus has. So before anything answers, [`Names::unnamed`] lists the anchors of a
//! request that no line of the corpus names, and the answer pipeline abstains on them.
//!
//! Reading is strict on the request's side and loose on the corpus's. A request's anchor must be
//! written as one: a code joined by at most a hyphen, a numbered item with its counter, a year
//! with `년` (or, in an English request, a bare year). Any way the corpus writes the same key
//! counts as naming it (`AP 500`, `2024.3.12`, `2/4분기`, `Q2`). When in doubt nothing is an
//! anchor, and nothing abstains.
//!
//! The same anchors say when an answer came from the wrong place. A passage about another of
//! the asked family ([`Names::other_than`]: the AP-300 for the AP-500, the 82nd meeting for the
//! 83rd, a line dated 2020 for a question on 2024), in a document whose title names another
//! product, or in another entry of an encyclopedia-like corpus ([`Entries`]: Mars's article for
//! a question on Venus) does not answer for the one asked ([`PassageNames::about_other`]), and
//! the answer pipeline does not keep an answer cited only from such passages.

use std::collections::HashSet;

use unicode_normalization::UnicodeNormalization;

use crate::text::is_hangul_syllable;

/// What kind of identifier an [`Anchor`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AnchorKind {
    /// Latin letters joined to digits: a product, model or version (`DH-30`, `COVID-19`).
    Code,
    /// A number with the counter of an ordinal (`제83차`, `3분기`, `7호`).
    Numbered,
    /// A calendar year.
    Year,
    /// The name an entry of the corpus is about (`금성`, `사하라 사막`; [`Entries`]): not read
    /// from a request by [`anchors`], only by [`Entries::named_in`].
    Subject,
}

/// One identifier of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Anchor {
    pub kind: AnchorKind,
    /// The comparison key: a code lower-cased without its hyphen (`dh30`), a number with its
    /// counter (`83차`, `2분기`), a year's digits.
    pub key: String,
    /// The anchor as the request writes it (`DH-30`, `제83차`, `Q2`, `2026년`).
    pub text: String,
}

impl Anchor {
    /// What the anchor is one of: a code's letters (`dh` for `DH-30`), a numbered item's
    /// counter (`차` for `제83차`); every year is of one family.
    pub fn family(&self) -> &str {
        match self.kind {
            AnchorKind::Code => {
                let digits = self.key.find(|c: char| c.is_ascii_digit());
                &self.key[..digits.unwrap_or(self.key.len())]
            }
            AnchorKind::Numbered => self.key.trim_start_matches(|c: char| c.is_ascii_digit()),
            AnchorKind::Year | AnchorKind::Subject => "",
        }
    }
}

/// Counters that make a number an ordinal when `제` stands before it (`제3호`, `제5회`).
const AFTER_JE: &[&str] = &[
    "회차", "분기", "차", "호", "회", "기", "대", "장", "조", "항", "편", "권", "절", "관",
];
/// Counters that make a number an ordinal on their own (`83차`, `3분기`, `6호`).
const ORDINAL: &[&str] = &["회차", "분기", "차", "호"];
/// A counter followed by one of these is another word (`3차례`, `3차원`, `2차전지`, `제3회의실`).
const NOT_A_COUNTER: &[(&str, &[char])] = &[
    ("차", &['례', '원', '선', '이', '량', '전', '트']),
    ("회", &['의', '사', '원', '장']),
    ("기", &['업', '관', '술', '간', '준']),
    ("대", &['학', '표', '비', '한', '상']),
];

/// Words that date a text by the year it was written rather than by a calendar year: a line
/// that reports `지난해 매출` may be about any year the question asks.
const RELATIVE_YEARS: &[&str] = &[
    "지난해",
    "작년",
    "전년",
    "올해",
    "금년",
    "내년",
    "이듬해",
    "그해",
    "같은 해",
    "당해",
    "last year",
    "this year",
    "next year",
    "previous year",
    "prior year",
    "following year",
    "same year",
    "year earlier",
    "year-on-year",
    "year on year",
];

/// The set of anchors a corpus names, read loosely ([`Names::of_texts`]).
#[derive(Debug, Clone, Default)]
pub struct Names {
    keys: HashSet<(AnchorKind, String)>,
    /// The families of those anchors ([`Anchor::family`]).
    families: HashSet<(AnchorKind, String)>,
    /// The years the texts are plainly dated by, read as a request's are (`2020년`, an English
    /// text's bare `2020`), each a span of one year or a written range (`1991~2020년`).
    dated: Vec<(u32, u32)>,
    /// Whether a text also dates by the year it was written ([`RELATIVE_YEARS`]).
    relative: bool,
}

impl Names {
    /// Every anchor any of `texts` names, however it is written.
    pub fn of_texts<'a>(texts: impl IntoIterator<Item = &'a str>) -> Names {
        let mut keys = HashSet::new();
        let mut families = HashSet::new();
        let mut dated = Vec::new();
        let mut relative = false;
        for text in texts {
            for a in scan(text, Reading::Loose) {
                families.insert((a.kind, a.family().to_string()));
                keys.insert((a.kind, a.key));
            }
            dated.extend(year_spans(text));
            let lower = text.to_lowercase();
            relative |= RELATIVE_YEARS.iter().any(|w| lower.contains(w));
        }
        Names {
            keys,
            families,
            dated,
            relative,
        }
    }

    /// Whether a passage that names `self` is about something else than what `asked` names: it
    /// names another of a family the request names (`AP-300` for a question about the
    /// `AP-500`, the `82차` meeting for the `83차`) and no member of that family the request
    /// names. A family is a code's letters or a numbered item's counter, so a line about the
    /// RV-7 is not set aside for a question about the RV-7's error E3.
    ///
    /// Years are one family, read on the passage's side as plainly as on the request's: a
    /// passage dated by other years and none of the asked ones (the 2020 rainy season for a
    /// question about 2024's) is about another year, unless it also dates by the year it was
    /// written (`지난해`), or a range it gives holds an asked year.
    pub fn other_than(&self, asked: &[Anchor]) -> bool {
        asked.iter().any(|a| {
            if a.kind == AnchorKind::Year {
                return self.dated_otherwise(asked);
            }
            let family = a.family();
            self.families.contains(&(a.kind, family.to_string()))
                && !asked
                    .iter()
                    .filter(|b| b.kind == a.kind && b.family() == family)
                    .any(|b| self.names(b))
        })
    }

    /// Whether a passage whose title and heading name `self` (what the passage is about), and
    /// whose text, title and heading together name `whole`, is about another product than the
    /// one `asked` names: its title or heading names a code, and nothing in it names any code
    /// the request does. The weight on the AP-500's spec sheet answers no question about the
    /// RV-7, though the two codes are of no one family.
    fn another_subject(&self, whole: &Names, asked: &[Anchor]) -> bool {
        let mut codes = asked
            .iter()
            .filter(|a| a.kind == AnchorKind::Code)
            .peekable();
        codes.peek().is_some()
            && self.keys.iter().any(|(kind, _)| *kind == AnchorKind::Code)
            && !codes.any(|a| whole.names(a))
    }

    /// Whether the texts are plainly dated, by none of the years `asked` names.
    fn dated_otherwise(&self, asked: &[Anchor]) -> bool {
        if self.relative || self.dated.is_empty() {
            return false;
        }
        !asked
            .iter()
            .filter(|a| a.kind == AnchorKind::Year)
            .any(|a| {
                self.names(a)
                    || a.key.parse::<u32>().is_ok_and(|y| {
                        self.dated
                            .iter()
                            .any(|&(from, to)| (from..=to).contains(&y))
                    })
            })
    }

    /// Whether the corpus names `anchor`.
    pub fn names(&self, anchor: &Anchor) -> bool {
        self.keys.contains(&(anchor.kind, anchor.key.clone()))
    }

    /// The anchors of `request`, of the given kinds, that the corpus cannot be about: for each
    /// kind, the request's anchors of that kind when the corpus names none of them. A request
    /// that compares a named code with an unnamed one still has something to answer; one whose
    /// only code is unnamed has not.
    pub fn unnamed(&self, request: &str, kinds: &[AnchorKind]) -> Vec<Anchor> {
        let found = anchors(request);
        let mut out = Vec::new();
        for &kind in kinds {
            let of_kind: Vec<&Anchor> = found.iter().filter(|a| a.kind == kind).collect();
            if !of_kind.is_empty() && !of_kind.iter().any(|a| self.names(a)) {
                out.extend(of_kind.into_iter().cloned());
            }
        }
        out
    }
}

/// Particles a name may carry in a request or a line (`금성의`, `한강에서`, `직지라는`).
const NAME_PARTICLES: &[&str] = &[
    "이라는",
    "에서",
    "에게",
    "으로",
    "까지",
    "부터",
    "이나",
    "이란",
    "라는",
    "의",
    "은",
    "는",
    "이",
    "가",
    "을",
    "를",
    "에",
    "와",
    "과",
    "로",
    "도",
    "만",
    "나",
    "란",
];

/// The subjects of a corpus's entries. A file whose title is a name, one or two words (a
/// parenthesised gloss aside: `화성 (행성)` is about `화성`) that its own text repeats, is an
/// entry about that name, as an encyclopedia's articles are; a headline, a manual's long title
/// or a page's `메뉴 건너뛰기` is not.
#[derive(Debug, Clone, Default)]
pub struct Entries {
    names: Vec<String>,
}

impl Entries {
    /// The entries among `files`, each given as its lines, whose title line
    /// ([`crate::retrieval::outline::title_line`]) is the entry's name.
    pub fn of_files<'a>(files: impl IntoIterator<Item = &'a [String]>) -> Entries {
        let mut names: Vec<String> = Vec::new();
        for lines in files {
            let Some(t) = crate::retrieval::outline::title_line(lines) else {
                continue;
            };
            let mut rest = lines[t + 1..].iter().filter(|l| !l.trim().is_empty());
            let name = entry_name(crate::retrieval::outline::heading_text(&lines[t]));
            let repeated = rest.any(|l| names_word(&l.nfc().collect::<String>(), &name));
            if !name.is_empty()
                && name.split_whitespace().count() <= 2
                && repeated
                && !names.contains(&name)
            {
                names.push(name);
            }
        }
        Entries { names }
    }

    /// The entry names a request names as a word of its own, bare or with a particle (`금성의`,
    /// not `화성시` or `고려하면`), as anchors of kind [`AnchorKind::Subject`].
    pub fn named_in(&self, request: &str) -> Vec<Anchor> {
        let request: String = request.nfc().collect();
        self.names
            .iter()
            .filter(|n| names_word(&request, n))
            .map(|n| Anchor {
                kind: AnchorKind::Subject,
                key: n.clone(),
                text: n.clone(),
            })
            .collect()
    }

    /// The entry names any of `texts` (a passage, its title and heading) holds, read loosely:
    /// anywhere a word starts (`화성시` counts for `화성`).
    fn held_in(&self, texts: &[&str]) -> Vec<String> {
        let texts: Vec<String> = texts.iter().map(|t| t.nfc().collect()).collect();
        self.names
            .iter()
            .filter(|n| {
                texts.iter().any(|t| {
                    t.match_indices(n.as_str()).any(|(at, _)| {
                        !t[..at]
                            .chars()
                            .next_back()
                            .is_some_and(char::is_alphanumeric)
                    })
                })
            })
            .cloned()
            .collect()
    }
}

/// What one passage names, to tell whether it is about something else than a request: its
/// text with its title and heading, the title and heading alone (what it is about), and the
/// entries it holds.
#[derive(Debug, Clone, Default)]
pub struct PassageNames {
    whole: Names,
    subject: Names,
    entries: Vec<String>,
}

impl PassageNames {
    /// What a passage of `text` under `context` (its file's title and section heading) names,
    /// among the corpus's `entries`.
    pub fn of(text: &str, context: &str, entries: &Entries) -> PassageNames {
        PassageNames {
            whole: Names::of_texts([text, context]),
            subject: Names::of_texts([context]),
            entries: entries.held_in(&[text, context]),
        }
    }

    /// Whether the passage is about another of the families `asked` names, and none of
    /// `asked` ([`Names::other_than`]).
    pub fn other_than(&self, asked: &[Anchor]) -> bool {
        self.whole.other_than(asked)
    }

    /// Whether the passage is about something else than `asked`: another of a family it names
    /// ([`Names::other_than`]), a document whose title names another product than the asked
    /// codes that `documented` (what the corpus's titles and headings name) has a document
    /// about (the RV-7 has a manual, an error code `E3` none), or another entry ([`Entries`]).
    pub fn about_other(&self, asked: &[Anchor], documented: &Names) -> bool {
        let documented: Vec<Anchor> = asked
            .iter()
            .filter(|a| documented.names(a))
            .cloned()
            .collect();
        self.whole.other_than(asked)
            || self.subject.another_subject(&self.whole, &documented)
            || another_entry(&self.entries, asked)
    }
}

/// Whether a passage holding the entry names `held` ([`Entries::held_in`]) is about another
/// entry than the subjects `asked` names: it holds some entry's name, and none of those asked.
/// Mars's `표면 중력: 지구의 약 38%` (its title `화성`) is no answer about `금성`.
fn another_entry(held: &[String], asked: &[Anchor]) -> bool {
    let mut subjects = asked
        .iter()
        .filter(|a| a.kind == AnchorKind::Subject)
        .peekable();
    subjects.peek().is_some() && !held.is_empty() && !subjects.any(|a| held.contains(&a.key))
}

/// A title line's name: NFC, without a parenthesised gloss, trimmed.
fn entry_name(title: &str) -> String {
    let title: String = title.nfc().collect();
    crate::text::without_asides(&title)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// Whether `text` holds `name` as a word of its own: not inside a longer word on its left,
/// and followed by nothing, a non-letter or one of [`NAME_PARTICLES`] and then a non-letter.
fn names_word(text: &str, name: &str) -> bool {
    text.match_indices(name).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        if before.is_some_and(char::is_alphanumeric) {
            return false;
        }
        let after = &text[at + name.len()..];
        let ends = |rest: &str| rest.chars().next().is_none_or(|c| !c.is_alphanumeric());
        ends(after)
            || NAME_PARTICLES
                .iter()
                .any(|p| after.strip_prefix(p).is_some_and(ends))
    })
}

/// The anchors of a request, each once, read strictly.
pub fn anchors(request: &str) -> Vec<Anchor> {
    let mut out: Vec<Anchor> = Vec::new();
    for a in scan(request, Reading::Strict) {
        if !out.iter().any(|b| b.kind == a.kind && b.key == a.key) {
            out.push(a);
        }
    }
    out
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reading {
    /// A request: only what is plainly written as an identifier.
    Strict,
    /// The corpus: any writing of one.
    Loose,
}

fn scan(text: &str, reading: Reading) -> Vec<Anchor> {
    let chars: Vec<char> = text.nfc().collect();
    // A bare year counts in an English request, and anywhere in the corpus.
    let bare_years = reading == Reading::Loose || !chars.iter().any(|&c| is_hangul_syllable(c));
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let starts_word = i == 0 || !chars[i - 1].is_ascii_alphanumeric();
        if c.is_ascii_alphabetic() && starts_word {
            let (anchor, end) = code_at(&chars, i, reading);
            out.extend(anchor);
            i = end.max(i + 1);
            continue;
        }
        if c.is_ascii_digit() && starts_number(&chars, i) {
            let end = digits_end(&chars, i);
            out.extend(number_at(&chars, i, end, reading, bare_years));
            i = end;
            continue;
        }
        i += 1;
    }
    out
}

/// The years `text` is plainly dated by: each year a request's reading finds, and each written
/// range of years (`1991~2020년`, `2023년부터 2028년까지`, `2019-2021`) as the span it covers.
fn year_spans(text: &str) -> Vec<(u32, u32)> {
    let mut spans: Vec<(u32, u32)> = scan(text, Reading::Strict)
        .into_iter()
        .filter(|a| a.kind == AnchorKind::Year)
        .filter_map(|a| a.key.parse().ok())
        .map(|y| (y, y))
        .collect();
    // Four-digit numbers of the calendar, with where each ends, for the ranges between them.
    let chars: Vec<char> = text.nfc().collect();
    let mut years: Vec<(usize, usize, u32)> = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if chars[i].is_ascii_digit() && starts_number(&chars, i) {
            let end = digits_end(&chars, i);
            let n: u32 = chars[i..end]
                .iter()
                .collect::<String>()
                .parse()
                .unwrap_or(0);
            if end - i == 4 && (1000..=2099).contains(&n) {
                years.push((i, end, n));
            }
            i = end;
        } else {
            i += 1;
        }
    }
    for pair in years.windows(2) {
        let ((_, end, from), (start, _, to)) = (pair[0], pair[1]);
        let between: String = chars[end..start].iter().collect::<String>().to_lowercase();
        let joint = between.trim_start_matches('년').trim();
        let from_to = ["부터", "에서"].iter().any(|w| {
            joint
                .strip_prefix(w)
                .is_some_and(|rest| rest.trim().is_empty())
        });
        let dash = matches!(joint, "~" | "∼" | "〜" | "-" | "–" | "—" | "to" | "through");
        if from < to && (from_to || dash) {
            spans.push((from, to));
        }
    }
    spans
}

/// Whether a number starts at `i`: not inside another number (`1,720`, `3.5`) or a word.
fn starts_number(chars: &[char], i: usize) -> bool {
    if i == 0 {
        return true;
    }
    let before = chars[i - 1];
    if before.is_ascii_alphanumeric() {
        return false;
    }
    let inside = matches!(before, ',' | '.') && i >= 2 && chars[i - 2].is_ascii_digit();
    !inside
}

fn digits_end(chars: &[char], i: usize) -> usize {
    let mut j = i;
    while j < chars.len() && chars[j].is_ascii_digit() {
        j += 1;
    }
    j
}

/// A code, a quarter or a fiscal year starting with the letters at `i`; and where reading
/// stopped.
fn code_at(chars: &[char], i: usize, reading: Reading) -> (Option<Anchor>, usize) {
    let mut j = i;
    while j < chars.len() && chars[j].is_ascii_alphabetic() {
        j += 1;
    }
    let letters: String = chars[i..j].iter().collect::<String>().to_ascii_lowercase();
    if letters.len() > 8 {
        return (None, j);
    }
    let mut k = j;
    if k < chars.len() && chars[k] == '-' {
        k += 1;
    } else if reading == Reading::Loose && k < chars.len() && chars[k] == ' ' {
        // `AP 500` in the corpus; a request's `in 2025` is no code.
        k += 1;
    }
    if k >= chars.len() || !chars[k].is_ascii_digit() {
        return (None, j);
    }
    let d_end = digits_end(chars, k);
    let digits: String = chars[k..d_end].iter().collect();
    let mut end = d_end;
    while end < chars.len() && chars[end].is_ascii_alphanumeric() {
        end += 1;
    }
    let tail: String = chars[d_end..end]
        .iter()
        .collect::<String>()
        .to_ascii_lowercase();
    let text: String = chars[i..end].iter().collect();
    let n: u32 = digits.parse().unwrap_or(u32::MAX);
    let anchor = match (letters.as_str(), tail.is_empty()) {
        // A quarter (`Q2`), whatever the language: the corpus may write `2분기`.
        ("q", true) if (1..=4).contains(&n) => Some(Anchor {
            kind: AnchorKind::Numbered,
            key: format!("{n}분기"),
            text,
        }),
        // A half (`H1`): no key the corpus would share; not an anchor.
        ("h", true) if (1..=2).contains(&n) => None,
        // A fiscal year (`FY2024`) is the year.
        ("fy", true) if digits.len() == 4 => Some(Anchor {
            kind: AnchorKind::Year,
            key: digits.clone(),
            text,
        }),
        // A space between letters and a year is no code (`in 2025`): read the year instead.
        _ if chars[j] == ' ' && digits.len() == 4 => return (None, j),
        _ => Some(Anchor {
            kind: AnchorKind::Code,
            key: format!("{letters}{digits}{tail}"),
            text,
        }),
    };
    (anchor, end)
}

/// A numbered item or a year in the digits `i..end`.
fn number_at(
    chars: &[char],
    i: usize,
    end: usize,
    reading: Reading,
    bare_years: bool,
) -> Option<Anchor> {
    let digits: String = chars[i..end].iter().collect();
    let n: u32 = digits.parse().ok()?;
    let after: String = chars[end..].iter().take(4).collect();
    let after_space = after.trim_start_matches(' ');
    let je = je_len(chars, i);
    let counters = if je > 0 || reading == Reading::Loose {
        AFTER_JE
    } else {
        ORDINAL
    };
    if let Some(counter) = counters.iter().find(|c| after_space.starts_with(**c)) {
        let next = after_space[counter.len()..].chars().next();
        let other_word = NOT_A_COUNTER
            .iter()
            .any(|(c, nexts)| c == counter && next.is_some_and(|x| nexts.contains(&x)));
        if !other_word && digits.len() <= 4 {
            let counter = if *counter == "회차" { "차" } else { counter };
            let start = i - je;
            let text_end = end + (after.len() - after_space.len()) + counter.chars().count();
            return Some(Anchor {
                kind: AnchorKind::Numbered,
                key: format!("{n}{counter}"),
                text: chars[start..text_end.min(chars.len())].iter().collect(),
            });
        }
    }
    // `2/4분기`: the corpus's quarter.
    if reading == Reading::Loose && after.starts_with("/4분기") {
        return Some(Anchor {
            kind: AnchorKind::Numbered,
            key: format!("{n}분기"),
            text: digits,
        });
    }
    if digits.len() != 4 || !(1000..=2099).contains(&n) {
        return None;
    }
    if after_space.starts_with('년') {
        return Some(Anchor {
            kind: AnchorKind::Year,
            key: digits.clone(),
            text: format!("{digits}년"),
        });
    }
    let next = chars.get(end).copied();
    let bare = match reading {
        Reading::Loose => true,
        // `in 2025`, `2025?`, `(2025)`: not `2025%`, `2025kg` or `2025,000`.
        Reading::Strict => {
            (1900..=2099).contains(&n)
                && next.is_none_or(|c| !(c.is_alphanumeric() || matches!(c, '%' | ',' | '.')))
                && (i == 0 || !matches!(chars[i - 1], '$' | '₩' | '€' | '£'))
        }
    };
    (bare_years && bare).then(|| Anchor {
        kind: AnchorKind::Year,
        key: digits.clone(),
        text: digits,
    })
}

/// How many characters of `제` (with at most one space) stand right before the number at `i`:
/// 0 when none do.
fn je_len(chars: &[char], i: usize) -> usize {
    if i >= 1 && chars[i - 1] == '제' {
        1
    } else if i >= 2 && chars[i - 1] == ' ' && chars[i - 2] == '제' {
        2
    } else {
        0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(text: &str) -> Vec<(AnchorKind, String, String)> {
        anchors(text)
            .into_iter()
            .map(|a| (a.kind, a.key, a.text))
            .collect()
    }

    fn one(kind: AnchorKind, key: &str, text: &str) -> (AnchorKind, String, String) {
        (kind, key.to_string(), text.to_string())
    }

    #[test]
    fn codes_numbered_items_and_years_of_a_request() {
        use AnchorKind::*;
        assert_eq!(
            keys("DH-30 제습기는 하루에 몇 리터?"),
            vec![one(Code, "dh30", "DH-30")]
        );
        assert_eq!(
            keys("제83차 이사회에서 통과된 안건은?"),
            vec![one(Numbered, "83차", "제83차")]
        );
        assert_eq!(
            keys("2025년 3분기 매출은 얼마였어?"),
            vec![one(Year, "2025", "2025년"), one(Numbered, "3분기", "3분기")]
        );
        assert_eq!(
            keys("How much revenue came in Q2 2025?"),
            vec![one(Numbered, "2분기", "Q2"), one(Year, "2025", "2025")]
        );
        assert_eq!(
            keys("중기부가 7호 자상한 기업으로 뽑은 곳은?"),
            vec![one(Numbered, "7호", "7호")]
        );
        assert_eq!(keys("AP500과 ap-500"), vec![one(Code, "ap500", "AP500")]);
        assert_eq!(keys("FY2024 revenue"), vec![one(Year, "2024", "FY2024")]);
    }

    #[test]
    fn what_is_not_an_anchor() {
        // Units, counts, amounts, words that only start like a counter.
        for text in [
            "5GHz 와이파이도 되나요?",
            "3차례 회의했나?",
            "2차전지 공장은?",
            "3회 점검했나?",
            "1,720억 달러",
            "2025 매출",
            "2,025명",
            "How many were sold in H1?",
            "It costs $2025.",
            "in 2025kg",
            "T-Mobile 지분",
        ] {
            assert_eq!(keys(text), vec![], "{text}");
        }
    }

    #[test]
    fn the_corpus_is_read_loosely() {
        let names = Names::of_texts([
            "청정숨 AP 500 사용설명서",
            "2/4분기 실적과 2024.3.12 회의",
            "제82차 이사회 의사록, 6호 기업",
        ]);
        let named = |t: &str| {
            names.unnamed(
                t,
                &[AnchorKind::Code, AnchorKind::Numbered, AnchorKind::Year],
            )
        };
        assert!(named("AP-500 필터는?").is_empty());
        assert!(named("2분기 매출은?").is_empty());
        assert!(named("What was revenue in Q2?").is_empty());
        assert!(named("2024년 회의는?").is_empty());
        assert!(named("82차 이사회는?").is_empty());
        assert_eq!(named("DH-30 제습기는?")[0].text, "DH-30");
        assert_eq!(named("제83차 이사회는?")[0].key, "83차");
        assert_eq!(named("2025년 매출은?")[0].key, "2025");
        assert_eq!(named("7호 기업은?")[0].key, "7호");
    }

    #[test]
    fn one_named_anchor_of_a_kind_is_enough() {
        let names = Names::of_texts(["AP-500 사용설명서, 2024년 보고서"]);
        let all = [AnchorKind::Code, AnchorKind::Numbered, AnchorKind::Year];
        assert!(names.unnamed("AP-500과 XP-900의 차이는?", &all).is_empty());
        assert!(names.unnamed("2023년 대비 2024년 매출은?", &all).is_empty());
        // Kinds not asked about are not read.
        assert!(names.unnamed("DH-30은?", &[AnchorKind::Year]).is_empty());
    }

    #[test]
    fn a_passage_about_another_of_the_asked_family() {
        let asked = anchors("AP-500의 E3 표시는 무슨 뜻인가요?");
        assert_eq!(asked[0].family(), "ap");
        let other = |text: &str| Names::of_texts([text]).other_than(&asked);
        assert!(other("AP-300용 필터 구독료는 월 9,900원"));
        assert!(
            !other("AP-500의 후속 모델 AP-700"),
            "names the asked one too"
        );
        assert!(!other("가습 필터는 3개월마다 교체"), "names no code");
        assert!(
            !other("E3: 물통 미장착"),
            "another family's code is asked for"
        );
        assert!(other("RV-7 로봇청소기의 E1 오류"), "another error code");
        let meeting = anchors("제83차 이사회에서 무엇을 의결했나?");
        assert!(Names::of_texts(["제82차 이사회 의사록"]).other_than(&meeting));
        assert!(!Names::of_texts(["83차 이사회"]).other_than(&meeting));
    }

    #[test]
    fn a_passage_dated_by_other_years() {
        let asked = anchors("2024년 중부지방 장마는 며칠 동안 이어졌어?");
        let other = |text: &str| Names::of_texts([text]).other_than(&asked);
        assert!(other("2020년 중부 지방의 장마는 54일 동안 이어졌다."));
        assert!(
            !other("2024년 장마는 6월 말 시작"),
            "dated by the asked year"
        );
        assert!(!other("장마 기간은 평균 약 31~32일"), "dated by no year");
        assert!(
            other("평년값(1991~2020년)에 따르면"),
            "a range without 2024"
        );
        assert!(
            !other("평년값(2001~2030년)에 따르면"),
            "a range holding 2024"
        );
        assert!(!other("2023년부터 2028년까지 연평균 10%"), "from … to");
        assert!(
            !other("2023년 실적은 지난해보다 늘었다"),
            "dated relatively too"
        );
        assert!(!other("매출 1500억 원"), "a number is no date");
        assert!(
            other("In 2020 the season lasted 54 days."),
            "an English text's bare year"
        );
        assert!(!other("It cost $2020."), "an amount");
        // A code asked with a year: another year's line about the same code is another's.
        let both = anchors("2024년 AP-500 판매량은?");
        assert!(Names::of_texts(["2023년 AP-500 판매량"]).other_than(&both));
        assert!(!Names::of_texts(["AP-500 판매량"]).other_than(&both));
    }

    #[test]
    fn a_passage_whose_title_names_another_product() {
        let asked = anchors("RV-7 본체 무게는 몇 kg인가요?");
        let other = |text: &str, title: &str| {
            Names::of_texts([title]).another_subject(&Names::of_texts([text, title]), &asked)
        };
        assert!(other(
            "무게: 8.7kg",
            "청정숨 가습 공기청정기 AP-500 사용설명서"
        ));
        assert!(!other("무게: 3.1kg", "깔끔이 로봇청소기 RV-7 사용설명서"));
        assert!(
            !other("RV-7은 AP-500과 연동됩니다", "AP-500 사용설명서"),
            "names RV-7"
        );
        assert!(
            !other("무게: 8.7kg", "고객센터 자주 묻는 질문"),
            "a title with no code"
        );
        assert!(
            !Names::of_texts(["AP-500 사용설명서"])
                .another_subject(&Names::of_texts(["무게"]), &anchors("본체 무게는?")),
            "a request with no code"
        );
    }

    #[test]
    fn entries_are_files_titled_by_a_name_their_text_repeats() {
        let file = |lines: &[&str]| lines.iter().map(|l| l.to_string()).collect::<Vec<_>>();
        let files = [
            file(&["금성", "", "금성은 태양계의 두 번째 행성이다."]),
            file(&["화성 (행성)", "화성의 표면 중력은 지구의 약 38%이다."]),
            file(&[
                "한빛홈테크 청정숨 가습 공기청정기 AP-500 사용설명서",
                "AP-500은…",
            ]),
            file(&["메뉴 건너뛰기", "본문"]),
            file(&["고려", "고려는 918년 왕건이 세운 나라이다."]),
        ];
        let entries = Entries::of_files(files.iter().map(Vec::as_slice));
        let keys = |request: &str| -> Vec<String> {
            entries
                .named_in(request)
                .into_iter()
                .map(|a| a.key)
                .collect()
        };
        assert_eq!(keys("금성의 표면 중력은 지구의 몇 퍼센트인가요?"), ["금성"]);
        assert_eq!(keys("화성과 금성 중 더 뜨거운 행성은?"), ["금성", "화성"]);
        assert!(keys("화성시의 인구는?").is_empty(), "a longer word");
        assert!(keys("이 점을 고려하면 어떻게 되나?").is_empty(), "a verb");
        assert!(
            keys("AP-500 사용설명서").is_empty(),
            "a long title is no entry"
        );
        assert!(
            keys("메뉴 건너뛰기").is_empty(),
            "a title its text does not repeat"
        );

        let asked = entries.named_in("금성의 표면 중력은?");
        let held = |text: &str, title: &str| entries.held_in(&[text, title]);
        assert!(another_entry(
            &held("표면 중력: 지구의 약 38%", "화성 (행성)"),
            &asked
        ));
        assert!(
            !another_entry(&held("금성보다 작다", "화성 (행성)"), &asked),
            "names 금성"
        );
        assert!(!another_entry(&held("표면 기압은 92배", "금성"), &asked));
        assert!(
            !another_entry(&held("본문", "메뉴 건너뛰기"), &asked),
            "no entry's passage"
        );
        assert!(!another_entry(
            &held("표면 중력: 38%", "화성 (행성)"),
            &anchors("중력은?")
        ));
    }

    #[test]
    fn any_text_is_read_without_panicking() {
        for text in [
            "",
            "제",
            "제 ",
            "Q",
            "-1",
            "a-",
            "2025",
            "제1",
            "１２３",
            "AP-",
            "가-1",
        ] {
            let _ = anchors(text);
            let _ = Names::of_texts([text]);
        }
    }
}
