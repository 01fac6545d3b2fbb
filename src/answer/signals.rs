//! Consistency signals that need no model: the quantities of a claim (amounts, counts,
//! percentages, areas, durations, dates) compared with those of the evidence passages. (The
//! claim's words compared with the evidence's, the other kind of signal, are
//! [`super::terms`]'.)
//!
//! For each claim quantity, the evidence quantities of the same measure and unit are candidates;
//! each is scored by how many of the claim's words (its tokens other than numbers) appear in the
//! words around the evidence quantity, so that `65억 달러에 … Ampere Computing을 인수` is
//! recognised as the figure for the same thing as the claim's `Ampere Computing을 100억 달러에
//! 인수`, while an unrelated amount in the same passage is not. Statuses:
//! - `match`: a related evidence quantity has the same value (within 1%; dates: shared parts equal;
//!   counted per the same period when both say one, `월 5만 원` = `연간 60만 원`);
//! - `mismatch`: the closely related evidence quantities all have other values;
//! - `conflicting`: one source matches and another, closely related, gives a different value
//!   (evidence on both sides: it makes a verdict `disputed`);
//! - `not_found`: no related quantity of that measure and unit.

use std::collections::{HashMap, HashSet};

use serde::{Serialize, Serializer};

use super::quantity::{extract, numeral_len, Measure, Per, Quantity, RANGE_MARKS};
use crate::retrieval::analyzer::{analyze, Options};
use crate::retrieval::focus::Focus;
use crate::retrieval::query::{query_plan_with, PlanOptions};
use crate::retrieval::table::field_spans;
use crate::retrieval::thesaurus::THESAURUS;
use crate::text::sentence_spans;

/// Characters on each side of an evidence quantity (within its sentence) that form its context.
const WINDOW: usize = 45;
/// An evidence quantity counts when its relatedness is at least this share of the best.
const STRONG: f32 = 0.7;
/// A mismatch from another source makes the picture `conflicting` only when it is at least this
/// related, relative to the best match.
const CONFLICT: f32 = 0.9;
/// A claim figure is contradicted (`mismatch`) only by an evidence figure whose context holds at
/// least this share of what the claim's other words could relate ([`relatedness`] over all of
/// them that the evidence has anywhere). One shared word is not enough: the claim's `이준표 대표는
/// … 1,000억 원 규모의 AI 펀드` against the same man's quote about Instagram's `매출이 1조원`, or
/// `삼성전자는 … 1,000억 달러를 투자` against SoftBank's `5,000억 달러를 투자할 계획`. Over the
/// claims of every evaluation set, the figures of refuted claims relate at 0.72 or more, those of
/// claims the corpus cannot settle at 0.60 or less (BENCHMARKS, "Figures that refute").
const MISMATCH_SHARE: f32 = 0.65;
/// An evidence quantity of the claim's value counts when its relatedness is at least this
/// share of the best, a lower bar than [`STRONG`]: the same figure near some of the claim's
/// words is seldom there by chance, while other figures stand near the same words all the
/// time. The claim's `송하동에서만 주택 204가구가 물에 잠겼다` meets its own line (`송하동에서만
/// 주택 204가구가 침수됐다`) through fewer words than the city's total (`폭우가 쏟아져 주택
/// 312가구와 상가 87곳이 물에 잠겼다`) shares with it.
const STRONG_MATCH: f32 = 0.4;
/// Most evidence entries listed per signal.
const MAX_EVIDENCE: usize = 5;

/// How a claim quantity compares with the evidence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Match,
    Mismatch,
    Conflicting,
    NotFound,
}

/// One evidence quantity shown with a signal.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SignalEvidence {
    /// The quantity as written in the passage.
    pub text: String,
    /// Its normalised value.
    pub value: serde_json::Value,
    /// Whether it equals the claim's value.
    pub agrees: bool,
    /// The passage label given to the model (`P2`).
    pub passage: String,
    /// The passage's stable id.
    pub passage_id: String,
    /// The corpus file.
    pub source: String,
}

/// What a signal compares: a quantity of some measure, or a term (a name or word,
/// [`super::terms`]). The API's `kind`: the measure's name (`money`, `date`, …) or `term`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignalKind {
    Quantity(Measure),
    Term,
}

impl Serialize for SignalKind {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            SignalKind::Quantity(m) => m.serialize(s),
            SignalKind::Term => s.serialize_str("term"),
        }
    }
}

/// One claim quantity or term and what the evidence says about it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Signal {
    pub kind: SignalKind,
    pub claim_text: String,
    pub claim_value: serde_json::Value,
    pub unit: String,
    /// What the claim's figure is counted per (`월 5만 원`: `month`), when it says.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub per: Option<Per>,
    pub status: Status,
    pub evidence: Vec<SignalEvidence>,
}

/// An evidence passage as the signals see it.
#[derive(Debug, Clone, Copy)]
pub struct EvidenceText<'a> {
    pub label: &'a str,
    pub passage_id: &'a str,
    pub source: &'a str,
    pub text: &'a str,
    /// Whether `text` is a table's row read with its columns' names
    /// ([`crate::retrieval::table::as_fields`]): each `column: cell` pair is then a figure's
    /// sentence, read with the row's first pair, which names what the row is about.
    pub row: bool,
    /// The passage's tokens ([`crate::retrieval::index::Retriever::passage_tokens`]), analysed
    /// once when the index was built.
    pub tokens: &'a HashSet<String>,
}

/// A content token: an analyzer token without digits.
fn is_content(token: &str) -> bool {
    !token.chars().any(|c| c.is_ascii_digit())
}

/// Content tokens of `text`.
fn content_tokens(text: &str) -> HashSet<String> {
    analyze(text, Options::default())
        .into_iter()
        .filter(|t| is_content(t))
        .collect()
}

/// The words of a claim, each as its content tokens with their thesaurus expansions (English
/// claim words also look for their Korean translations). Word weights play no part, so the
/// text's focus is not computed.
fn claim_words(text: &str) -> Vec<HashSet<String>> {
    let plan = PlanOptions {
        analyzer: Options::default(),
        ..PlanOptions::default()
    };
    query_plan_with(text, &Focus::default(), plan, &THESAURUS)
        .into_iter()
        .map(|w| {
            w.tokens
                .into_iter()
                .chain(w.expansions.into_iter().flatten())
                .filter(|t| is_content(t))
                .collect::<HashSet<String>>()
        })
        .filter(|w| !w.is_empty())
        .collect()
}

/// How strongly `words` (a claim's, [`claim_words`]) tie an evidence figure to the claim: each
/// word found in the figure's context counts once, by its rarest token there. Counted per
/// token instead, one word with many tokens (`dividend`: `배당금`, `배당`, …) outweighed
/// several words that each name the fact once (`interim`, `per share`).
fn relatedness(words: &[HashSet<String>], ctx: &HashSet<String>, w: &HashMap<String, f32>) -> f32 {
    words
        .iter()
        .map(|word| {
            word.intersection(ctx)
                .map(|t| w.get(t).copied().unwrap_or(1.0))
                .fold(0.0, f32::max)
        })
        .sum()
}

/// The text around `q` in `text`, within its sentence, without the quantity itself. In a list
/// of figures of one kind the words before it start after the one before it (`all`: the
/// text's quantities): in `하은면은 8천9백 명, 청솔면은 6천2백 명`, `하은면` names the first
/// count, not the second. A figure set against the one before it (`4만 3,105명보다 788명
/// 줄었다`) keeps the words before both. (The words after a listed figure are kept whole: cut
/// at the next item, `매출 3조 6,120억 원, 영업이익 2,148억 원` lost `영업이익` from the revenue's
/// context, and a claim of last year's profit then met it in `같은 기간 1,652억 원` alone.)
fn context_of(text: &str, spans: &[Span], q: &Quantity, all: &[Quantity]) -> String {
    let sentence = sentence_of(text, spans, q);
    let from = all
        .iter()
        .filter(|p| p.measure == q.measure && p.unit == q.unit && p.span.end <= q.span.start)
        .map(|p| p.span.end)
        .filter(|&end| end >= sentence.start)
        .max()
        .filter(|&end| listed(&text[end..q.span.start]))
        .unwrap_or(sentence.start);
    let before: Vec<char> = text[from..q.span.start].chars().collect();
    let before: String = before[before.len().saturating_sub(WINDOW)..]
        .iter()
        .collect();
    let after: String = text[q.span.end..sentence.end.max(q.span.end)]
        .chars()
        .take(WINDOW)
        .collect();
    format!("{before} {after}")
}

/// Marks that separate the items of a list.
const LIST_MARKS: [char; 4] = [',', '，', '、', ';'];

/// Whether `gap`, the text between two figures of one kind, lists them (a comma between them)
/// rather than compares them (`보다`, `에서`, `대비`, `than`, `from`).
fn listed(gap: &str) -> bool {
    const COMPARED: &[&str] = &["보다", "에서", "대비", "than", "from"];
    gap.contains(LIST_MARKS) && !COMPARED.iter().any(|w| gap.contains(w))
}

/// A byte range of a text: one of its sentences ([`sentence_spans`]).
type Span = std::ops::Range<usize>;

/// The index among `spans` (the sentences of a text) of the one that holds `q`.
fn sentence_index(spans: &[Span], q: &Quantity) -> Option<usize> {
    spans
        .iter()
        .position(|s| s.start <= q.span.start && q.span.end <= s.end)
}

/// The byte range of the sentence of `text` (its sentences: `spans`) that holds `q`.
fn sentence_of(text: &str, spans: &[Span], q: &Quantity) -> Span {
    sentence_index(spans, q).map_or(0..text.len(), |i| spans[i].clone())
}

/// Token weights over the evidence: a token found in every passage (the subject everything is
/// about) says little about which figure is meant; a rare one says much.
fn weights(evidence: &[EvidenceText<'_>]) -> HashMap<String, f32> {
    let n = evidence.len() as f32;
    let mut df: HashMap<String, f32> = HashMap::new();
    for ev in evidence {
        for t in ev.tokens.iter().filter(|t| is_content(t)) {
            *df.entry(t.clone()).or_default() += 1.0;
        }
    }
    df.into_iter()
        .map(|(t, d)| (t, (1.0 + n / d).ln()))
        .collect()
}

/// An evidence figure as the claim's figures meet it.
struct Found<'a> {
    ev: EvidenceText<'a>,
    q: Quantity,
    /// The content tokens of its context ([`context_of`]) and of the topic its sentence
    /// leaves unsaid ([`carried_topic`]).
    context: HashSet<String>,
    /// The range it is an end of ([`ranges`]).
    range: Option<Range>,
    /// The quarters its sentence names ([`quarters`]).
    quarters: HashSet<u8>,
    /// Whether it is what another figure is measured against ([`baseline`]).
    baseline: bool,
}

struct Candidate<'a> {
    ev: EvidenceText<'a>,
    q: Quantity,
    related: f32,
    agrees: bool,
    /// Whether the figure's context names what the claim's figure counts ([`head_words`]).
    headed: bool,
    /// Whether it is the claim's number in another unit ([`unit_swapped`]).
    swapped: bool,
}

/// Compares every quantity of `claim` with the quantities of `evidence`.
pub fn compare(claim: &str, evidence: &[EvidenceText<'_>]) -> Vec<Signal> {
    compare_translated(claim, "", evidence)
}

/// [`compare`] for a claim not in the corpus's language, with the model's `translation` of it
/// into the corpus's: the claim's own figures are compared, but which evidence figure is the
/// same fact is also judged by the translation's words (`Passwords must be changed every 30
/// days` meets `비밀번호는 90일마다` through `비밀번호`, a word no thesaurus line gives it).
pub fn compare_translated(
    claim: &str,
    translation: &str,
    evidence: &[EvidenceText<'_>],
) -> Vec<Signal> {
    let translated = claim_words(translation);
    let w = weights(evidence);
    let found: Vec<Found> = evidence
        .iter()
        .flat_map(|ev| {
            let all = extract(ev.text);
            let ranges = ranges(ev.text, &all);
            let (spans, key) = if ev.row {
                let fields = field_spans(ev.text);
                let key = fields.first().map_or("", |f| &ev.text[f.clone()]);
                (fields, key)
            } else {
                (sentence_spans(ev.text), "")
            };
            all.iter()
                .zip(ranges)
                .map(|(q, range)| Found {
                    ev: *ev,
                    context: content_tokens(&format!(
                        "{} {} {key}",
                        context_of(ev.text, &spans, q, &all),
                        carried_topic(ev.text, &spans, q).unwrap_or("")
                    )),
                    quarters: quarters(&ev.text[sentence_of(ev.text, &spans, q)]),
                    baseline: baseline(ev.text, q),
                    q: q.clone(),
                    range,
                })
                .collect::<Vec<_>>()
        })
        .collect();
    let claim_quarters = quarters(claim);
    let claimed = extract(claim);
    let claim_ranges = ranges(claim, &claimed);
    claimed
        .into_iter()
        .zip(claim_ranges)
        .map(|(cq, claim_range)| {
            let rest = format!("{} {}", &claim[..cq.span.start], &claim[cq.span.end..]);
            let mut words = claim_words(&rest);
            words.extend(translated.iter().cloned());
            let full = relatedness_possible(&words, &w);
            let head = head_words(claim, &cq);
            let claim_baseline = baseline(claim, &cq);
            // Whether the evidence writes the head word in Hangul anywhere: then a Latin word
            // near a figure is no spelling of it.
            let head_written = head
                .iter()
                .any(|w| evidence.iter().any(|ev| !w.is_disjoint(ev.tokens)));
            let candidates: Vec<Candidate> = found
                .iter()
                .filter_map(|f| {
                    let (ev, q, ctx) = (&f.ev, &f.q, &f.context);
                    // A fourth quarter's revenue is not refuted by the third's.
                    let other_quarter = !f.quarters.is_empty()
                        && !claim_quarters.is_empty()
                        && f.quarters.is_disjoint(&claim_quarters);
                    // Last year's figure, or the one a change is counted from, is not this
                    // year's: `종전 기록(1시간 25분 30초)` neither confirms nor refutes a new record.
                    let other_time = f.baseline != claim_baseline;
                    if other_quarter || other_time || opposite_bounds(claim, &cq, ev.text, q) {
                        return None;
                    }
                    let (same, swapped) = match cq.same_value(q) {
                        Some(same) => (same, false),
                        None => (unit_swapped(&cq, q)?, true),
                    };
                    // A coarser date that agrees (a year alone) does not confirm a claim's day;
                    // one that differs still refutes it.
                    if let (true, Some(c), Some(e)) = (same, cq.date, q.date) {
                        if !e.settles(&c) {
                            return None;
                        }
                    }
                    let agrees = same
                        || roughly_same(claim, &cq, ev.text, q)
                        || within(&cq, f.range, q)
                        || within(q, claim_range, &cq);
                    let related = relatedness(&words, ctx, &w);
                    // A Korean head word cannot be told apart from a name the evidence
                    // spells in Latin letters (`앰피어 컴퓨팅`, `Ampere Computing`), unless the
                    // evidence writes it in Hangul (then `CFO` is no `능력`).
                    let headed = head.is_empty()
                        || head.iter().any(|w| !w.is_disjoint(ctx))
                        || (!head_written
                            && ctx
                                .iter()
                                .any(|t| t.chars().any(|c| c.is_ascii_alphabetic())));
                    (related > 0.0 || words.is_empty()).then(|| Candidate {
                        ev: *ev,
                        q: q.clone(),
                        related,
                        agrees,
                        headed,
                        swapped,
                    })
                })
                .collect();
            signal(claim, &cq, candidates, full)
        })
        .collect()
}

/// `Some(false)` where `claim` and `evidence` are the same number in two units that do not
/// convert: two currencies (`5,000억 원` against `5,000억 달러`), or a percentage against
/// percentage points (`1.5% 높아져` against `1.5%포인트 높아`). The claim names the wrong unit.
/// `None` otherwise: other numbers in such units cannot be compared ([`Quantity::same_value`]).
fn unit_swapped(claim: &Quantity, evidence: &Quantity) -> Option<bool> {
    let money = |q: &Quantity| q.measure == Measure::Money && !q.unit.is_empty();
    let percent = |q: &Quantity| matches!(q.measure, Measure::Percent | Measure::PercentPoint);
    let swapped = (money(claim) && money(evidence) && claim.unit != evidence.unit)
        || (percent(claim) && percent(evidence) && claim.measure != evidence.measure);
    (swapped && claim.per() == evidence.per() && claim.same_number(evidence)).then_some(false)
}

/// The words that name what a Korean claim's figure counts: the last word before it in its
/// clause (`등록된 전기차는 1,200여 대`: `전기차는`), hedges aside. Empty for an
/// English claim, whose words say that after the figure as often as before it.
fn head_words(claim: &str, cq: &Quantity) -> Vec<HashSet<String>> {
    let before = &claim[..cq.written_span().start];
    let clause = before
        .rsplit([',', '.', ';', '(', '\n'])
        .next()
        .unwrap_or("");
    // A figure before it counts something of its own (`감시원 38명은 1년에 210만 원씩`); a
    // date before it says when, and stays its head (`전문의는 2025년까지 8명으로` is a target,
    // which today's `전문의 4명` does not refute).
    let figure = |w: &str| {
        w.chars().any(|c| c.is_ascii_digit())
            && !extract(w).iter().any(|q| q.measure == Measure::Date)
    };
    let last = clause
        .split_whitespace()
        .rev()
        .find(|w| !ABOUT_BEFORE.contains(w) && !figure(w))
        .unwrap_or("");
    if !last.chars().any(crate::text::is_hangul_syllable) {
        return Vec::new();
    }
    claim_words(last)
}

/// Endings of a Hangul word in `-은`/`-는` that make no topic: a verb's form before a noun
/// (`생산하는`, `있는`) or a place or means made the topic (`서울에서는`, `현재로는`).
const NOT_TOPIC: &[&str] = &[
    "하는",
    "되는",
    "있는",
    "없는",
    "않는",
    "라는",
    "다는",
    "에서는",
    "에는",
    "으로는",
    "로는",
    "와는",
    "과는",
    "에게는",
];

/// The topic word of `text`, a Korean sentence or the part of one before a figure: its first
/// Hangul word marked `-은`/`-는` (`신공장은`), of two syllables before the particle or more.
fn topic_word(text: &str) -> Option<&str> {
    text.split(|c: char| !crate::text::is_hangul_syllable(c))
        .find(|w| {
            w.chars().count() >= 3
                && (w.ends_with('은') || w.ends_with('는'))
                && !NOT_TOPIC.iter().any(|e| w.ends_with(e))
        })
}

/// The topic a figure's sentence leaves unsaid: Korean drops a subject the sentence before
/// named, so in `신공장은 … 투자된다. 본격 가동하면 연간 60만 대의 제품을 생산할 수 있다` the 60만
/// 대 are the 신공장's. The topic word of the sentence before, when the figure's own sentence
/// names none before it; `None` otherwise, and for a passage's first sentence.
/// (`spans`: the sentences of `text`.)
fn carried_topic<'t>(text: &'t str, spans: &[Span], q: &Quantity) -> Option<&'t str> {
    let at = sentence_index(spans, q)?;
    if at == 0 || topic_word(&text[spans[at].start..q.span.start]).is_some() {
        return None;
    }
    topic_word(&text[spans[at - 1].clone()])
}

/// The two ends of a range of figures (`10~20%`), low and high.
type Range = (f64, f64);

/// For each of `all` (the quantities of `text`), the range it is an end of, if any: two figures
/// of one measure and unit with a range mark between them ([`RANGE_MARKS`]).
fn ranges(text: &str, all: &[Quantity]) -> Vec<Option<Range>> {
    let mut out = vec![None; all.len()];
    for (i, pair) in all.windows(2).enumerate() {
        let (a, b) = (&pair[0], &pair[1]);
        let gap = text[a.span.end..b.span.start].trim();
        let joined = gap.chars().count() == 1 && gap.starts_with(RANGE_MARKS);
        if joined && a.measure == b.measure && a.unit == b.unit && a.date.is_none() {
            let range = (a.value.min(b.value), a.value.max(b.value));
            out[i] = Some(range);
            out[i + 1] = Some(range);
        }
    }
    out
}

/// Whether `figure` falls within `range`, the range `end` is an end of (of one measure, unit
/// and period): `15%` within `10~20%`.
fn within(figure: &Quantity, range: Option<Range>, end: &Quantity) -> bool {
    let Some((low, high)) = range else {
        return false;
    };
    figure.measure == end.measure
        && figure.unit == end.unit
        && figure.per() == end.per()
        && figure.date.is_none()
        && (low..=high).contains(&figure.value)
}

/// How a figure is hedged: `약 2,800명` (about: rounded to its last written digit) or `1천1백여
/// 명` (some: at least that, short of the next step of its last digit).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Hedge {
    About,
    AtLeast,
}

/// Words before a figure that make it [`Hedge::About`].
const ABOUT_BEFORE: &[&str] = &[
    "약",
    "대략",
    "어림잡아",
    "about",
    "around",
    "approximately",
    "roughly",
    "nearly",
    "some",
];
/// Words after a figure that make it [`Hedge::About`] (`6만 명가량`, `3천 명 안팎`).
const ABOUT_AFTER: &[&str] = &["가량", "안팎", "내외", "정도", "쯤", "꼴", "남짓"];

/// Words that mark a figure as an earlier one: last year's, the previous record, the quarter
/// before. No English words: `from the previous year to 11.8%` names the earlier year before
/// the new figure.
const EARLIER: &[&str] = &[
    "종전",
    "전년",
    "작년",
    "지난해",
    "직전",
    "이전",
    "전분기",
    "전월",
];
/// Words right after a figure that make it what another is measured against (`5,415억
/// 원보다`, `1,000명 대비`, `than`).
const AGAINST: &[&str] = &["보다", "대비", "에 비해", "than"];

/// Whether the figure at `q` in `text` is a baseline: an earlier figure (`전년(32.1%)`, `종전
/// 대회 기록(1시간 25분 30초)`: one of [`EARLIER`] among the three words before it in its clause),
/// or what a change is counted from (`5,415억 원보다 457억 원 늘었다`). `전년보다 8.4% 늘었다`
/// is no baseline: `전년보다` is not `전년`.
fn baseline(text: &str, q: &Quantity) -> bool {
    let span = q.written_span();
    let after = text[span.end..].trim_start_matches([')', '）', ' ']);
    if AGAINST.iter().any(|w| after.starts_with(w)) {
        return true;
    }
    let before = &text[..span.start];
    let clause = before.rsplit([',', '.', ';', '\n']).next().unwrap_or("");
    clause
        .split_whitespace()
        .rev()
        .take(3)
        .map(|w| w.trim_end_matches(['(', '（']).to_lowercase())
        .any(|w| EARLIER.contains(&w.as_str()))
}

/// The hedge of the figure at `q` in `text`, if any.
fn hedge(text: &str, q: &Quantity) -> Option<Hedge> {
    let written = &text[q.span.clone()];
    let numeral = numeral_len(written);
    if written[numeral..].starts_with('여') {
        return Some(Hedge::AtLeast);
    }
    let after = text[q.written_span().end..].trim_start();
    let before = text[..q.written_span().start].trim_end();
    let word_before = before
        .rsplit(|c: char| c.is_whitespace())
        .next()
        .unwrap_or("")
        .to_lowercase();
    (ABOUT_AFTER.iter().any(|w| after.starts_with(w))
        || ABOUT_BEFORE.contains(&word_before.as_str()))
    .then_some(Hedge::About)
}

/// Whether two figures of one measure, unit and period that differ agree once a hedge on
/// either side is read: `1천1백여 명` holds `1,150명`, `약 2,800명` holds `2,830명`.
fn roughly_same(claim: &str, cq: &Quantity, text: &str, q: &Quantity) -> bool {
    if cq.date.is_some() || q.date.is_some() || cq.per() != q.per() {
        return false;
    }
    if cq.measure != q.measure || cq.unit != q.unit {
        return false;
    }
    let holds = |hedged: &Quantity, written: &str, h: Hedge, other: &Quantity| {
        let place = hedged.step(written);
        match h {
            Hedge::About => (other.value - hedged.value).abs() <= place / 2.0,
            Hedge::AtLeast => other.value >= hedged.value && other.value < hedged.value + place,
        }
    };
    hedge(claim, cq).is_some_and(|h| holds(cq, claim, h, q))
        || hedge(text, q).is_some_and(|h| holds(q, text, h, cq))
}

/// The quarters of a year that `text` names: `3분기`, `1~3분기` (the first to the third),
/// `third quarter`, `Q3`.
fn quarters(text: &str) -> HashSet<u8> {
    const ENGLISH: [(&str, u8); 4] = [("first", 1), ("second", 2), ("third", 3), ("fourth", 4)];
    let mut out = HashSet::new();
    let digit = |c: char| {
        c.to_digit(10)
            .filter(|d| (1..=4).contains(d))
            .map(|d| d as u8)
    };
    for (at, _) in text.match_indices("분기") {
        let head: Vec<char> = text[..at].chars().collect();
        let Some(last) = head.last().copied().and_then(digit) else {
            continue;
        };
        if head.len() >= 2 && head[head.len() - 2].is_ascii_digit() {
            continue;
        }
        let first = match head.len() >= 3 && RANGE_MARKS.contains(&head[head.len() - 2]) {
            true => digit(head[head.len() - 3]).unwrap_or(last),
            false => last,
        };
        out.extend(first.min(last)..=first.max(last));
    }
    let lower = text.to_lowercase();
    for (word, n) in ENGLISH {
        if lower.contains(&format!("{word} quarter")) {
            out.insert(n);
        }
    }
    for n in 1..=4u8 {
        if text
            .split(|c: char| !c.is_ascii_alphanumeric())
            .any(|w| w == format!("Q{n}"))
        {
            out.insert(n);
        }
    }
    out
}

/// Which end of a span of time a date bounds, as the words next to it say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Bound {
    /// `2007년부터`, `since 2007`: when something began.
    Start,
    /// `2030년까지`, `by 2030`: when something is to end or be done.
    End,
}

/// Korean particles after a date, and English words before one, that make it a [`Bound`].
const BOUNDS: &[(Bound, &[&str], &[&str])] = &[
    (
        Bound::Start,
        &["부터", "이후", "이래"],
        &["since", "from", "after"],
    ),
    (
        Bound::End,
        &["까지", "이전"],
        &["by", "until", "till", "before", "through"],
    ),
];

/// The bound a date at `q` in `text` sets, if its particle (Korean) or the word before it
/// (English) names one.
fn bound(text: &str, q: &Quantity) -> Option<Bound> {
    if q.measure != Measure::Date {
        return None;
    }
    let after = text[q.span.end..].trim_start();
    let before = text[..q.span.start]
        .trim_end()
        .rsplit(|c: char| !c.is_alphabetic())
        .next()
        .unwrap_or("")
        .to_lowercase();
    BOUNDS
        .iter()
        .find(|(_, korean, english)| {
            korean.iter().any(|p| after.starts_with(p)) || english.contains(&before.as_str())
        })
        .map(|&(b, _, _)| b)
}

/// Whether the claim's date and the evidence's bound opposite ends of a span: `2030년까지`
/// (a goal's deadline) and `2007년부터` (when the work began) are two facts, not two values of
/// one.
fn opposite_bounds(claim: &str, cq: &Quantity, text: &str, q: &Quantity) -> bool {
    matches!(
        (bound(claim, cq), bound(text, q)),
        (Some(Bound::Start), Some(Bound::End)) | (Some(Bound::End), Some(Bound::Start))
    )
}

/// The most [`relatedness`] `words` could have: each word by its rarest token anywhere in the
/// evidence.
fn relatedness_possible(words: &[HashSet<String>], w: &HashMap<String, f32>) -> f32 {
    words
        .iter()
        .map(|word| {
            word.iter()
                .filter_map(|t| w.get(t).copied())
                .fold(0.0, f32::max)
        })
        .sum()
}

/// The signal of claim quantity `cq` from its `candidates`; `full` is the most relatedness its
/// words could have ([`relatedness_possible`]).
fn signal(claim: &str, cq: &Quantity, mut candidates: Vec<Candidate>, full: f32) -> Signal {
    let best = candidates.iter().map(|c| c.related).fold(0.0, f32::max);
    // A figure is the claim's thing's when the same figure elsewhere is: a headline's `10월
    // 15일부터 대폭 확대` names no `운영`, the body's `10월 15일(수)부터 운영한다` does.
    let headed: Vec<bool> = candidates
        .iter()
        .map(|c| {
            c.headed
                || candidates.iter().any(|d| {
                    d.headed
                        && d.related >= STRONG_MATCH * best
                        && d.q.same_amount(&c.q) == Some(true)
                })
        })
        .collect();
    for (c, h) in candidates.iter_mut().zip(headed) {
        c.headed = h;
    }
    // Figures only loosely tied to the claim do not refute it, unless the best tied of them is
    // the claim's own number in another unit (`5,000억 원` for `5,000억 달러`): the number ties it.
    let loose = full > 0.0
        && best < MISMATCH_SHARE * full
        && !candidates
            .iter()
            .any(|c| c.swapped && c.headed && c.related >= best);
    let share = |c: &Candidate| match c.agrees {
        true => STRONG_MATCH,
        false => STRONG,
    };
    let kept: Vec<&Candidate> = candidates
        .iter()
        .filter(|c| best <= 0.0 || c.related >= share(c) * best)
        .collect();
    let matches: Vec<&&Candidate> = kept.iter().filter(|c| c.agrees).collect();
    let best_match = matches.iter().map(|c| c.related).fold(0.0, f32::max);
    let match_sources: HashSet<&str> = matches.iter().map(|c| c.ev.source).collect();
    let conflict = kept.iter().any(|c| {
        !c.agrees
            && c.headed
            && !match_sources.contains(c.ev.source)
            && c.related >= CONFLICT * best_match
    });
    // Figures of other things than the claim's (`등록 자동차는 2만 4,730대` for `전기차는
    // 1,200여 대`) do not refute it, nor dispute it (above).
    let headless = !kept.iter().any(|c| !c.agrees && c.headed);
    let status = match (matches.is_empty(), kept.iter().any(|c| !c.agrees)) {
        (false, true) if conflict => Status::Conflicting,
        (false, _) => Status::Match,
        (true, true) if loose || headless => Status::NotFound,
        (true, true) => Status::Mismatch,
        (true, false) => Status::NotFound,
    };
    let mut shown: Vec<&Candidate> = kept;
    if status == Status::NotFound {
        shown.clear();
    }
    shown.sort_by(|a, b| {
        b.agrees
            .cmp(&a.agrees)
            .then(b.related.total_cmp(&a.related))
    });
    if status == Status::Match {
        shown.retain(|c| c.agrees);
    }
    Signal {
        kind: SignalKind::Quantity(cq.measure),
        claim_text: claim[cq.written_span()].to_string(),
        claim_value: cq.value_json(),
        per: cq.per(),
        unit: cq.unit.to_string(),
        status,
        evidence: shown
            .into_iter()
            .take(MAX_EVIDENCE)
            .map(|c| SignalEvidence {
                text: c.ev.text[c.q.written_span()].to_string(),
                value: c.q.value_json(),
                agrees: c.agrees,
                passage: c.ev.label.to_string(),
                passage_id: c.ev.passage_id.to_string(),
                source: c.ev.source.to_string(),
            })
            .collect(),
    }
}

/// The overall numeric picture: any conflicting signal; else any mismatch without a match;
/// else whether something matched.
pub fn summary(signals: &[Signal]) -> Option<Status> {
    let has = |s: Status| signals.iter().any(|x| x.status == s);
    if has(Status::Conflicting) {
        Some(Status::Conflicting)
    } else if has(Status::Mismatch) {
        Some(Status::Mismatch)
    } else if has(Status::Match) {
        Some(Status::Match)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// [`compare`] over passages given as (label, source, text).
    fn check(claim: &str, passages: &[(&str, &str, &str)]) -> Vec<Signal> {
        check_translated(claim, "", passages)
    }

    fn check_translated(
        claim: &str,
        translation: &str,
        passages: &[(&str, &str, &str)],
    ) -> Vec<Signal> {
        let tokens: Vec<HashSet<String>> = passages
            .iter()
            .map(|(_, _, text)| analyze(text, Options::default()).into_iter().collect())
            .collect();
        let evidence: Vec<EvidenceText> = passages
            .iter()
            .zip(&tokens)
            .map(|(&(label, source, text), tokens)| EvidenceText {
                label,
                passage_id: label,
                source,
                text,
                row: false,
                tokens,
            })
            .collect();
        compare_translated(claim, translation, &evidence)
    }

    const AMPERE: &str = "소프트뱅크는 동시에 OpenAI에 300억 달러를 투자할 준비를 하고 있으며, 65억 달러에 칩 회사 Ampere Computing을 인수할 예정입니다.";

    #[test]
    fn a_figure_before_the_claims_figure_is_not_its_head() {
        let p = [(
            "P1",
            "a.txt",
            "산불 감시원 38명에게는 월 210만 원의 보수가 지급된다.",
        )];
        let status = |claim: &str| check(claim, &p).last().unwrap().status;
        // `38명은` counts the guards; the pay is the guards' (`감시원`).
        assert_eq!(
            status("산불 감시원 38명은 1년에 210만 원씩 보수를 받는다."),
            Status::Mismatch
        );
        assert_eq!(
            status("산불 감시원 38명은 매달 210만 원씩 보수를 받는다."),
            Status::Match
        );
    }

    #[test]
    fn a_rows_figure_is_read_in_its_own_field() {
        let row =
            "모델명: 세움북 16, 출시일: 2025-08-20, 가격: 1,690,000원, 무게: 1.95kg, 배터리: \
                   최대 10시간, 화면: 16인치, 방진방수: IP53";
        let tokens: HashSet<String> = analyze(row, Options::default()).into_iter().collect();
        let status = |claim: &str, row_read: bool| {
            let ev = [EvidenceText {
                label: "P1",
                passage_id: "P1",
                source: "a.md",
                text: row,
                row: row_read,
                tokens: &tokens,
            }];
            compare(claim, &ev).last().unwrap().status
        };
        // Each field is read with the row's first, which names the laptop, however far
        // along the row it stands.
        let screen = "세움디바이스 세움북 16의 화면은 14인치다.";
        assert_eq!(status(screen, true), Status::Mismatch);
        assert_eq!(status(screen, false), Status::NotFound);
        assert_eq!(status("세움북 16의 화면은 16인치다.", true), Status::Match);
        assert_eq!(
            status("세움북 16의 무게는 2.5kg이다.", true),
            Status::Mismatch
        );
    }

    #[test]
    fn the_claims_number_in_another_unit_is_tied_to_it_by_the_number() {
        let p = [
            (
                "P1",
                "a.txt",
                "트럼프 대통령이 공개한 5,000억 달러 규모의 스타게이트 프로젝트를 두고 머스크가 비판했다.",
            ),
            (
                "P2",
                "a.txt",
                "오픈AI 등 3개 사가 향후 4년간 미국 내 AI 인프라 투자 계획을 발표했다.",
            ),
        ];
        let claim =
            "트럼프 대통령이 발표한 스타게이트는 5,000억 원 규모의 AI 인프라 투자 프로젝트다.";
        let s = check(claim, &p);
        assert_eq!(s[0].status, Status::Mismatch, "{s:?}");
        // Another number in the same loose tie refutes nothing.
        let other = claim.replace("5,000억 원", "3,000억 달러");
        assert_eq!(check(&other, &p)[0].status, Status::NotFound);
    }

    #[test]
    fn an_earlier_figure_neither_confirms_nor_refutes_this_ones() {
        let budget = [(
            "P1",
            "a.txt",
            "2024년도 세림군 예산은 5,872억 원으로 2023년도 5,415억 원보다 457억 원(8.4%) 늘었다.",
        )];
        let s = check(
            "세림군의 2024년도 예산은 5,415억 원으로 전년보다 8.4% 늘었다.",
            &budget,
        );
        let money = s.iter().find(|s| s.claim_text == "5,415억 원").unwrap();
        assert_eq!(money.status, Status::Mismatch, "{s:?}");
        assert_eq!(money.evidence[0].text, "5,872억 원");
        // `전년보다 8.4%` is this year's change, not an earlier figure.
        let change = s.iter().find(|s| s.claim_text == "8.4%").unwrap();
        assert_eq!(change.status, Status::Match);
        let race = [(
            "P1",
            "a.txt",
            "여자부 우승자 이서연 씨의 기록은 1시간 24분 5초로, 종전 대회 기록(1시간 25분 30초)을 \
             앞당겼다.",
        )];
        let s = check(
            "여자부 우승자 이서연 씨는 1시간 25분 30초에 들어왔다.",
            &race,
        );
        assert!(s.iter().all(|s| s.status != Status::Match), "{s:?}");
        assert!(baseline("전년(32.1%)보다", &extract("전년(32.1%)보다")[0]));
        assert!(!baseline(
            "전년보다 8.4% 늘었다",
            &extract("전년보다 8.4% 늘었다")[0]
        ));
    }

    #[test]
    fn a_latin_word_is_no_head_the_evidence_writes_in_hangul() {
        let p = [
            (
                "P1",
                "a.txt",
                "평택 신공장의 생산 능력은 아직 공개되지 않았다.",
            ),
            (
                "P2",
                "b.txt",
                "CFO는 평택 신공장의 제습기 생산 라인을 당초 계획보다 1개 늘린다고 했다.",
            ),
        ];
        // `1개` stands near `CFO`, not near `능력`, which the evidence writes in Hangul.
        let s = check("평택 신공장의 제습기 생산 능력은 월 5만 대꼴이다.", &p);
        assert_eq!(s[0].status, Status::NotFound, "{s:?}");
    }

    #[test]
    fn a_year_alone_does_not_confirm_a_claims_day() {
        let p = [
            (
                "P1",
                "a.txt",
                "대운화학은 2024년 3분기 배당금 지급 계획을 이사회에서 정했다.",
            ),
            (
                "P2",
                "a.txt",
                "대운화학 3분기 배당금 지급 예정일: 2024.11.15",
            ),
        ];
        let s = check("대운화학의 3분기 배당금은 2024년 11월 25일에 지급된다.", &p);
        let date = s.iter().find(|s| s.claim_text.contains("11월")).unwrap();
        assert_eq!(date.status, Status::Mismatch, "{s:?}");
        assert!(date.evidence.iter().all(|e| e.text != "2024년"), "{s:?}");
    }

    #[test]
    fn a_figure_of_another_thing_does_not_refute() {
        let cars = [(
            "P1",
            "a.txt",
            "세림군에 등록된 자동차는 2만 4,730대로, 1년 전보다 310대 늘었다.",
        )];
        let status = |claim: &str| check(claim, &cars)[0].status;
        // The claim counts electric cars; the evidence counts every car.
        assert_eq!(
            status("세림군에 등록된 전기차는 1,200여 대다."),
            Status::NotFound
        );
        assert_eq!(
            status("세림군에 등록된 자동차는 3만 대가 넘는다."),
            Status::Mismatch
        );
        assert_eq!(
            status("세림군에 등록된 자동차는 2만 4,730대다."),
            Status::Match
        );
        assert!(head_words(
            "Serim has 1,200 electric cars.",
            &extract("Serim has 1,200 electric cars.")[0]
        )
        .is_empty());
    }

    #[test]
    fn a_sentence_without_a_topic_takes_the_one_before() {
        let town =
            "하은면은 세림군 동쪽 끝에 있다. 지난해 말 8천9백 명이 살았다. 청솔면은 6천2백 명이 \
                    산다.";
        let p = [("P1", "a.txt", town)];
        let status = |claim: &str| check(claim, &p)[0].status;
        assert_eq!(
            status("지난해 말 하은면은 9천5백 명이 살았다."),
            Status::Mismatch
        );
        assert_eq!(
            status("지난해 말 하은면은 8천9백 명이 살았다."),
            Status::Match
        );
        let all = extract(town);
        let spans = sentence_spans(town);
        assert_eq!(carried_topic(town, &spans, &all[0]), Some("하은면은"));
        // A sentence with a topic of its own names its figures.
        assert_eq!(carried_topic(town, &spans, &all[1]), None);
        assert_eq!(
            topic_word("생산하는 제품과 서울에서는 도담면은"),
            Some("도담면은")
        );
    }

    #[test]
    fn a_listed_figure_is_named_by_the_words_since_the_one_before() {
        let towns = [(
            "P1",
            "a.txt",
            "읍면별로는 세림읍 인구가 2만 1천4백 명, 하은면은 8천9백 명, 청솔면은 6천2백 명이었다.",
        )];
        let s = check("하은면 인구는 6,200명이다.", &towns);
        assert_eq!(s[0].status, Status::Mismatch);
        // (Listed first, the words after `2만 1천4백 명` hold `하은면` too, so that count is
        // the one shown.)
        assert!(s[0].evidence.iter().all(|e| e.text != "6천2백 명"));
        assert_eq!(
            check("청솔면 인구는 6,200명이다.", &towns)[0].status,
            Status::Match
        );
        // A figure set against the one before it keeps the words before both.
        let total = [(
            "P1",
            "a.txt",
            "세림군 총인구는 4만 2,317명으로, 전년 말 4만 3,105명보다 788명 줄었다.",
        )];
        let s = check("세림군 총인구는 1년 새 788명 줄었다.", &total);
        let fall = s.iter().find(|s| s.claim_text == "788명").unwrap();
        assert_eq!(fall.status, Status::Match);
    }

    #[test]
    fn a_figure_within_a_range_agrees_with_it() {
        let rates = [(
            "P1",
            "a.txt",
            "세림군 농가의 올해 쌀 수확량은 평년보다 10~20% 줄 것으로 보인다.",
        )];
        let status = |claim: &str| check(claim, &rates)[0].status;
        assert_eq!(
            status("세림군 쌀 수확량은 평년보다 15% 줄 전망이다."),
            Status::Match
        );
        assert_eq!(
            status("세림군 쌀 수확량은 평년보다 25% 줄 전망이다."),
            Status::Mismatch
        );
        let one = [(
            "P1",
            "a.txt",
            "세림군 쌀 수확량은 평년보다 15% 줄 것으로 보인다.",
        )];
        let s = check("세림군 쌀 수확량은 평년보다 10~20% 줄 전망이다.", &one);
        assert!(s.iter().all(|s| s.status == Status::Match), "{s:?}");
    }

    #[test]
    fn a_figure_of_another_quarter_does_not_refute() {
        let results = [(
            "P1",
            "a.txt",
            "대운화학은 2024년 3분기 매출 3조 6,120억 원을 기록했다.",
        )];
        let status = |claim: &str| {
            let s = check(claim, &results);
            s.iter().find(|s| s.unit == "KRW").unwrap().status
        };
        assert_eq!(
            status("대운화학의 2024년 4분기 매출은 3조 9,000억 원이다."),
            Status::NotFound
        );
        assert_eq!(
            status("대운화학의 2024년 3분기 매출은 3조 9,000억 원이다."),
            Status::Mismatch
        );
        assert_eq!(
            status("대운화학의 2024년 1~3분기 매출은 3조 9,000억 원이다."),
            Status::Mismatch
        );
        let english = "Daewoon's revenue for the fourth quarter of 2024 was KRW 3.9 trillion.";
        assert!(check(english, &results)
            .iter()
            .all(|s| s.status != Status::Mismatch));
        assert_eq!(quarters("2024년 1~3분기 누적"), HashSet::from([1, 2, 3]));
        assert_eq!(quarters("Q4 sales, third quarter"), HashSet::from([3, 4]));
        assert!(quarters("분기마다, 14분기").is_empty());
    }

    #[test]
    fn hedged_figures_hold_what_they_round() {
        let plant = [(
            "P1",
            "a.txt",
            "세림공장에서 일하는 직원은 1,150명이며, 연산 6만 톤 규모로 가동 중이다. 올해 수출은 2,830만 달러였다.",
        )];
        let status = |claim: &str| check(claim, &plant)[0].status;
        assert_eq!(status("세림공장 직원은 1천1백여 명이다."), Status::Match);
        assert_eq!(status("세림공장 직원은 1천2백여 명이다."), Status::Mismatch);
        assert_eq!(status("세림공장 직원은 약 1,100명이다."), Status::Match);
        assert_eq!(status("세림공장 직원은 1,100명이다."), Status::Mismatch);
        assert_eq!(status("세림공장 직원은 1천 명 안팎이다."), Status::Match);
        assert_eq!(status("올해 수출은 약 2,800만 달러였다."), Status::Match);
        assert_eq!(status("올해 수출은 약 2,700만 달러였다."), Status::Mismatch);
        // A month's output against the year's, the year named by `연산`.
        assert_eq!(
            status("세림공장은 한 달에 5천 톤을 생산한다."),
            Status::Match
        );
        // Steps in the figure's own units: twenty-odd years are up to thirty.
        let decades = [("P1", "a.txt", "세림공장은 27년째 가동 중이다.")];
        assert_eq!(
            check("세림공장은 20여 년째 가동 중이다.", &decades)[0].status,
            Status::Match
        );
        assert_eq!(
            check("세림공장은 약 35년째 가동 중이다.", &decades)[0].status,
            Status::Mismatch
        );
    }

    #[test]
    fn a_deadline_is_not_compared_with_a_start() {
        let river = [(
            "P1",
            "a.txt",
            "시는 하천 정비 사업을 2015년부터 추진하고 있으며, 둑 12km를 새로 쌓았다.",
        )];
        let s = check(
            "하천 정비 사업은 2028년까지 둑을 모두 쌓는 것이 목표다.",
            &river,
        );
        assert_eq!(s[0].status, Status::NotFound);
        let s = check("하천 정비 사업은 2012년부터 추진되었다.", &river);
        assert_eq!(s[0].status, Status::Mismatch);
        let s = check("The river works have been under way since 2012.", &river);
        assert!(s.iter().all(|s| s.status != Status::Match));
        assert_eq!(
            bound("until 2028", &extract("until 2028")[0]),
            None,
            "a bare year"
        );
        let q = extract("works until 3 May 2028");
        assert_eq!(bound("works until 3 May 2028", &q[0]), Some(Bound::End));
        // A figure as large as no year is not compared with one.
        let s = check("하천 정비 사업으로 1억 그루의 나무를 심었다.", &river);
        assert!(s.iter().all(|s| s.status == Status::NotFound), "{s:?}");
    }

    #[test]
    fn a_translated_claim_meets_its_figure_through_the_translation() {
        let policy = [(
            "P1",
            "a.txt",
            "비밀번호는 90일마다 바꾸어야 하며, 최근에 쓴 비밀번호 5개는 다시 쓸 수 없다.",
        )];
        let claim = "Passwords must be changed every 30 days.";
        assert_eq!(check(claim, &policy)[0].status, Status::NotFound);
        let s = check_translated(claim, "비밀번호는 30일마다 바꿔야 한다.", &policy);
        assert_eq!(s.len(), 1, "the translation's figures are not the claim's");
        assert_eq!(s[0].status, Status::Mismatch);
        // A count of none meets the evidence's count.
        let injuries = [(
            "P1",
            "a.txt",
            "1분기 진천공장에서 산업재해 2건이 발생하였다.",
        )];
        let s = check("1분기 진천공장에서는 산업재해가 한 건도 없었다.", &injuries);
        assert_eq!(s[0].status, Status::Mismatch);
    }

    #[test]
    fn each_claim_word_counts_once() {
        // `dividend` is `배당금` and `배당` too: counted per token, it tied the total (`배당금
        // 총액은 약 45억 원`) to the claim twice as strongly as the per-share figure (`1주당
        // 150원의 중간배당`), which then counted for nothing. Counted per word, both are the
        // claim's figure, and one agrees. (The passages and the translation are those the
        // product had for this claim.)
        let minutes = [
            ("P1", "a.txt", "회사는 6월 30일을 기준일로 하여 보통주 1주당 150원의 중간배당을 실시할 것을 제안하였다. 배당금 총액은 약 45억 원이다."),
            ("P2", "a.txt", "제1호 의안: 평택 신공장 설비 투자 증액의 건"),
            ("P3", "a.txt", "신공장 건설과 운영 자금 조달을 위해 금융기관 차입 한도를 800억 원으로 정하고, 구체적인 차입 시기와 조건은 대표이사에게 위임하기로 하였다."),
            ("P4", "a.txt", "이정훈 재무담당 전무이사(CFO)는 평택 신공장의 생산 라인 가운데 제습기 라인을 당초 계획보다 1개 늘리고 자동화 설비를 보강하기 위해 투자액을 300억 원 늘려야 한다고 설명하였다. 이에 따라 평택 신공장의 총 투자액은 당초 1,200억 원에서 1,500억 원으로 늘어난다."),
        ];
        let s = check_translated(
            "The board approved an interim dividend of 150 won per share.",
            "주식의 임시 지급은 150원/주입니다.",
            &minutes,
        );
        assert_eq!(s[0].status, Status::Match, "{s:?}");
    }

    #[test]
    fn mismatching_amount_for_the_same_thing() {
        let s = check(
            "소프트뱅크는 Ampere Computing을 100억 달러에 인수한다.",
            &[("P1", "a.txt", AMPERE)],
        );
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].status, Status::Mismatch);
        assert_eq!(s[0].unit, "USD");
        assert!(s[0].evidence.iter().any(|e| e.text == "65억 달러"));
    }

    #[test]
    fn figures_are_compared_per_their_period() {
        let pay = [(
            "P1",
            "a.txt",
            "회사는 재택근무를 하는 직원에게 월 5만 원의 재택근무 수당을 지급한다.",
        )];
        let s = check("재택근무 수당은 연 5만 원이다.", &pay);
        assert_eq!(s[0].status, Status::Mismatch, "{s:?}");
        assert_eq!(
            (s[0].claim_text.as_str(), s[0].evidence[0].text.as_str()),
            ("연 5만 원", "월 5만 원")
        );
        assert_eq!(s[0].per, Some(Per::Year));
        let s = check("재택근무 수당은 연간 60만 원이다.", &pay);
        assert_eq!(s[0].status, Status::Match, "{s:?}");
        let s = check("재택근무 수당은 매달 5만 원이다.", &pay);
        assert_eq!(s[0].status, Status::Match, "{s:?}");
        let s = check("재택근무 수당은 5만 원이다.", &pay);
        assert_eq!(s[0].status, Status::Match, "{s:?}");
    }

    #[test]
    fn matching_amount_across_languages() {
        let s = check(
            "SoftBank plans to invest $30 billion in OpenAI.",
            &[("P1", "a.txt", AMPERE)],
        );
        assert_eq!(s[0].status, Status::Match, "{s:?}");
        assert_eq!(s[0].evidence[0].text, "300억 달러");
    }

    #[test]
    fn different_sources_disagreeing_are_conflicting() {
        let s = check(
            "스타게이트의 투자 규모는 5,000억 달러다.",
            &[
                (
                    "P1",
                    "a.txt",
                    "스타게이트 프로젝트의 투자 규모는 5,000억 달러에 이른다.",
                ),
                (
                    "P2",
                    "b.txt",
                    "스타게이트 프로젝트의 투자 규모는 1,000억 달러로 시작한다.",
                ),
            ],
        );
        assert_eq!(s[0].status, Status::Conflicting, "{s:?}");
        assert_eq!(summary(&s), Some(Status::Conflicting));
    }

    #[test]
    fn the_same_figure_counts_near_fewer_of_the_claims_words() {
        let s = check(
            "8월 폭우 때 송하동에서만 주택 204가구가 물에 잠겼다.",
            &[
                (
                    "P1",
                    "news.txt",
                    "폭우가 쏟아져 주택 312가구와 상가 87곳이 물에 잠겼다. 송하동에서만 주택 204가구가 침수됐다.",
                ),
            ],
        );
        let s: Vec<_> = s
            .into_iter()
            .filter(|x| x.claim_text.starts_with("204"))
            .collect();
        assert_eq!(s[0].status, Status::Match, "{s:?}");
    }

    #[test]
    fn unrelated_or_absent_figures_are_not_found() {
        let s = check(
            "크리스탈 랜드는 2026년에 완공될 예정이다.",
            &[("P1", "a.txt", AMPERE)],
        );
        assert_eq!(s[0].status, Status::NotFound);
        assert_eq!(summary(&s), None);
        assert!(check("숫자가 없는 주장", &[("P1", "a", AMPERE)]).is_empty());
    }

    #[test]
    fn durations_and_minutes() {
        let s = check(
            "The Seoul meeting lasted about three hours.",
            &[("P1", "a.txt", "회동은 1시간 50분 가량 진행됐다.")],
        );
        // `meeting` reaches `회동` through the glossary.
        assert_eq!(s[0].status, Status::Mismatch, "{s:?}");
        let s = check(
            "콴다는 문제 사진을 올리면 1분 안에 답을 준다.",
            &[(
                "P1",
                "a.txt",
                "문제 사진을 찍어 올리면 7분 안에 답변하는 서비스",
            )],
        );
        assert_eq!(s[0].status, Status::Mismatch);
    }

    #[test]
    fn the_same_number_in_another_unit_refutes() {
        let p = [(
            "P1",
            "a.txt",
            "트럼프 대통령은 5,000억 달러 규모의 스타게이트 프로젝트를 발표했다.",
        )];
        let status = |claim: &str| check(claim, &p)[0].status;
        assert_eq!(
            status("트럼프 대통령은 5,000억 원 규모의 스타게이트 프로젝트를 발표했다."),
            Status::Mismatch
        );
        assert_eq!(
            status("트럼프 대통령은 $500 billion 규모의 스타게이트 프로젝트를 발표했다."),
            Status::Match
        );
        let rate = [(
            "P1",
            "a.txt",
            "고령 인구 비중은 33.6%로 전년보다 1.5%포인트 높아졌다.",
        )];
        assert_eq!(
            check("고령 인구 비중은 1.5% 높아졌다.", &rate)[0].status,
            Status::Mismatch
        );
        // Other numbers in other currencies cannot be compared without a rate.
        assert_eq!(
            status("트럼프 대통령은 720조 원 규모의 스타게이트 프로젝트를 발표했다."),
            Status::NotFound
        );
    }

    #[test]
    fn a_figure_is_named_where_the_same_figure_is() {
        let s = check(
            "한결시 공공자전거 '한결링' 확대 운영은 2025년 10월 13일부터 시작된다.",
            &[
                (
                    "P1",
                    "a.txt",
                    "한결시 공공자전거 '한결링' 10월 15일부터 대폭 확대",
                ),
                (
                    "P2",
                    "a.txt",
                    "한결시는 오는 10월 15일(수)부터 운영한다고 밝혔다.",
                ),
                ("P3", "b.txt", "한결시 도서관은 3층 세미나실을 새로 열었다."),
            ],
        );
        assert_eq!(s[0].status, Status::Mismatch, "{s:?}");
    }

    #[test]
    fn a_span_of_days_in_words() {
        let s = check(
            "2017년 포항 지진으로 대학수학능력시험이 하루 연기됐다.",
            &[(
                "P1",
                "a.txt",
                "2017년 11월 15일 포항 지진으로 대학수학능력시험이 일주일 미뤄졌다.",
            )],
        );
        assert_eq!(s[1].status, Status::Mismatch, "{s:?}");
    }

    #[test]
    fn percent_match_within_one_percent() {
        let s = check(
            "소프트뱅크는 알리바바 지분을 3.8%로 줄였다.",
            &[("P1", "a.txt", "소프트뱅크, 알리바바 지분 3.8%로 축소")],
        );
        assert_eq!(s[0].status, Status::Match);
        assert_eq!(summary(&s), Some(Status::Match));
    }
}
