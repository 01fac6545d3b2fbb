//! Both ends of the quote-first form ([`crate::engine::quote_first`]) for a request: the form
//! the model must follow (its passages, where a quote may start, the verdict words) and the
//! reading of what it wrote into verified citations, an answer and a verdict.
//!
//! A quote becomes the citation of the whole sentence it was copied from (readers see the
//! context; the quote is verbatim either way). An answer is then held to its evidence: when the
//! cited sentence does not carry the answer's figures and most of its words, the sentence of the
//! given passages that does is cited instead, unless only a passage retrieval scores far below
//! the best holds it (the answer then came from text that does not bear on the question, and
//! is not returned); an answer of two items may draw them from its two quotes; when neither
//! the quotes together nor any one sentence carries the answer's figures, the answer is not
//! returned (a number the passages do not hold is the invention users fear
//! most). A held answer's figure then carries the rate its quote gives it (`월 5만 원`), when
//! the model left the rate out, and a short Korean answer the words that qualify it in its
//! quote (`생산 종료 후 7년`, [`super::phrase`]).

use std::collections::HashSet;

use super::citations::{passage_citation, tokens, MIN_QUOTE_CHARS};
use super::context::ContextPassage;
use super::matching::{same_count, support};
use super::prompts::NO_ANSWER;
use super::quantity::{
    ends_in_thing_counter, english_figures_as_quoted, extract, numeral_len, Measure, Per, Quantity,
};
use super::{Citation, Kind, Verdict, VerdictLogprobs};
use crate::engine::{Lead, QuoteFirst, QuoteFirstForm};
use crate::retrieval::corpus::Corpus;
use crate::retrieval::query::KO_QUESTION_WORDS;
use crate::text::{char_len, comparable, has_hangul, sentence_spans};

/// The verdict words of the form, and what each means.
pub const VERDICTS: [(&str, Verdict); 3] = [
    ("supported", Verdict::Supported),
    ("refuted", Verdict::Refuted),
    ("unknown", Verdict::NotEnoughInfo),
];

/// The verdicts' log-probabilities from the model's choice among [`VERDICTS`]' words (in
/// their order); `None` unless there is one per word.
pub fn verdict_logprobs(choice: &[f32]) -> Option<VerdictLogprobs> {
    if choice.len() != VERDICTS.len() {
        return None;
    }
    let of = |v: Verdict| {
        VERDICTS
            .iter()
            .position(|(_, w)| *w == v)
            .map(|i| choice[i])
    };
    Some(VerdictLogprobs {
        supported: of(Verdict::Supported)?,
        refuted: of(Verdict::Refuted)?,
        not_enough_info: of(Verdict::NotEnoughInfo)?,
    })
}

/// Most bytes the model copies into one quote (its citation is the whole sentence).
const MAX_QUOTE_BYTES: usize = 240;

/// The Korean letters an English answer may still hold: a figure or date copied from the quote
/// (`230억`, `10만`, `22일`, `6개월`) is then written the English way ([`english_figures_as_quoted`]);
/// without `개` the model wrote `1년 6월` (June) for `1년 6개월`.
const KOREAN_MAGNITUDES: &str = "만억조년월일개";

/// Most bytes of the lead quote: it is fed as one batch, so a long sentence costs little and
/// the model reads its evidence whole.
const MAX_LEAD_BYTES: usize = 600;

/// Least share of an answer's words a cited sentence must hold for the citation to stand.
const SUPPORTED: f32 = 0.5;
/// Least share for another sentence to replace the model's citation.
const REPLACES: f32 = 0.6;
/// Least retrieval score, as a share of the best passage's, of a passage whose sentence may
/// replace the model's citation. An answer whose words only a far weaker passage holds was
/// drawn from text that does not bear on the question (asked which state Crystal Land is
/// planned in, the 1.5B model quoted the lead and wrote `오클랜드 주` from a photo caption
/// scored 0.29 of the best passage): it is refused, not re-cited. Scores fall steeply after
/// the first passage once the dense stage is fused in (a right re-citation came from a
/// passage at 0.385), so the floor is low (BENCHMARKS.md, "Answers re-cited from weak
/// passages").
const REPLACES_FROM_SHARE: f32 = 1.0 / 3.0;

/// The form for a request of `kind` over the passages `ctx`.
pub fn form(kind: Kind, input: &str, ctx: &[ContextPassage], abstain_bias: f32) -> QuoteFirstForm {
    let english = kind == Kind::Question && !super::is_korean(input);
    let yes_no = kind == Kind::Question && asks_yes_no(input);
    QuoteFirstForm {
        opener: "근거: ".into(),
        none: NO_ANSWER.into(),
        passages: ctx
            .iter()
            .map(|p| (p.label.clone(), p.text.clone()))
            .collect(),
        starts: {
            let asked = tokens(input);
            ctx.iter().map(|p| quote_starts(&p.text, &asked)).collect()
        },
        max_quotes: 2,
        answer: match kind {
            Kind::Question if yes_no => "\n답: ".into(),
            // No space after the colon: the model writes its own (` 애리조나` is one token).
            Kind::Question => "\n답:".into(),
            Kind::Claim => "\n판정: ".into(),
        },
        choices: match kind {
            Kind::Question if yes_no => {
                let words = if english { YES_NO_EN } else { YES_NO_KO };
                words.iter().map(|w| w.to_string()).collect()
            }
            Kind::Question => Vec::new(),
            Kind::Claim => VERDICTS.iter().map(|(w, _)| w.to_string()).collect(),
        },
        min_quote_chars: MIN_QUOTE_CHARS,
        max_quote_bytes: MAX_QUOTE_BYTES,
        whole_sentences: true,
        lead: lead(ctx, MAX_LEAD_BYTES),
        echo: match kind {
            Kind::Question => input.to_string(),
            Kind::Claim => String::new(),
        },
        latin_answer: english.then(|| KOREAN_MAGNITUDES.into()),
        list: kind == Kind::Question && asks_for_several(input),
        // Korean answers over Korean passages; a Korean question over English text is
        // answered in translation.
        own_words: kind == Kind::Question && !english && ctx.iter().any(|p| has_hangul(&p.text)),
        // Questions only: a claim's no-evidence verdict is a judgement, not an abstention.
        abstain_bias: if kind == Kind::Question {
            abstain_bias
        } else {
            0.0
        },
    }
}

/// Where a quote of passage `text` may start: at a sentence that shares a content token with
/// the request (`asked`) or follows one that does, or at any sentence when none does (an
/// English question over Korean text shares none). Small models asked to quote a passage copy
/// its first sentence whether or not it bears on the request (c03: `현재 소프트뱅크는 외부
/// 파트너를…` of a line whose last sentence answers the claim). The sentence after a related
/// one stays open: Korean prose drops the subject it continues, and it may answer in other
/// words (`성판악 코스는 약 9.6km로 … 길이 길고` after `정상 … 오를 수 있는 길은`, asked for the
/// longest trail by `거리가 가장 긴 길은`).
fn quote_starts(text: &str, asked: &HashSet<String>) -> Vec<usize> {
    let spans = sentence_spans(text);
    let related: Vec<bool> = spans
        .iter()
        .map(|r| !tokens(&text[r.clone()]).is_disjoint(asked))
        .collect();
    if !related.contains(&true) {
        return spans.into_iter().map(|r| r.start).collect();
    }
    spans
        .iter()
        .enumerate()
        .filter(|(i, _)| related[*i] || (*i > 0 && related[*i - 1]))
        .map(|(_, r)| r.start)
        .collect()
}

/// Particles after a plural `들` (`기업들은`, `곳들을`, `인물들의`).
const PLURAL_PARTICLES: [&str; 13] = [
    "", "은", "는", "이", "가", "을", "를", "의", "에", "과", "와", "도", "로",
];

/// The words a yes/no question is answered with, yes first: a Korean question, an English one.
const YES_NO_KO: [&str; 2] = ["네", "아니요"];
const YES_NO_EN: [&str; 2] = ["Yes", "No"];

/// Korean endings of a verb or adjective asked about (`되나요`, `있어`, `고장인가요`), not of a
/// noun asked for (`기업은?`).
const YES_NO_ENDINGS: [&str; 16] = [
    "나요",
    "나",
    "까요",
    "까",
    "니",
    "냐",
    "어",
    "아",
    "어요",
    "아요",
    "가요",
    "는가",
    "인가",
    "습니까",
    "죠",
    "지요",
];

/// English words that open a yes/no question.
const YES_NO_OPENERS: [&str; 18] = [
    "is", "are", "was", "were", "can", "could", "does", "do", "did", "will", "would", "should",
    "has", "have", "had", "may", "must", "isn't",
];

/// Whether `question` asks for yes or no (`수습사원도 재택근무를 할 수 있어?`, `Can I use 5GHz
/// Wi-Fi?`) rather than for a thing (`…선정한 곳은?`, `How long…?`): no question word, and a
/// Korean question ends in a predicate's question ending, an English one opens with an
/// auxiliary verb. A small model asked such a question restated it as its answer (`주말에도
/// 전화할 수 있습니다.`, where the passage gives Saturday's hours only; `다시 쓴 수 있습니다`,
/// where it says the last five may not be used again), and made to choose between the two
/// words it said yes to every one (BENCHMARKS.md, "Yes/no questions"). Its answer line is
/// therefore a choice between the two words, one token, and is not shown: the answer is the
/// sentence it quoted, which says which.
pub fn asks_yes_no(question: &str) -> bool {
    let lower = question.to_lowercase();
    if has_hangul(question) {
        let asks_for_a_thing = lower.split_whitespace().any(|w| {
            let w = w.trim_start_matches(|c: char| !c.is_alphanumeric());
            KO_QUESTION_WORDS.iter().any(|q| w.starts_with(q))
        });
        if asks_for_a_thing {
            return false;
        }
        let last = lower
            .split_whitespace()
            .next_back()
            .unwrap_or("")
            .trim_end_matches(|c: char| !c.is_alphanumeric());
        return YES_NO_ENDINGS.iter().any(|e| last.ends_with(e));
    }
    let first = lower
        .split(|c: char| !(c.is_alphanumeric() || c == '\''))
        .find(|w| !w.is_empty())
        .unwrap_or("");
    YES_NO_OPENERS.contains(&first)
}

/// Whether a Korean `question` asks how or why: how something goes or is done (`어떻게 되나?`,
/// `어떻게 동작하나요?`, `어떻게 계산하나요?`), or why (`왜`, `이유는`, `까닭은`, `어째서`). Its
/// answer is a condition and what follows it, a procedure, or a reason, which a small model's
/// short answer line cuts short (`계정이 30분 동안 잠긴다.` for `5회 연속 잘못 입력하면 계정이
/// 30분 동안 잠긴다`) or reduces to a noun of the sentence (`챗GPT` for why Musk sued, where the
/// quote says `"오픈AI가 '인류를 위한 AI 개발' 약속을 어겼다"며 소송을 냈다`). Such a question is
/// answered with the quoted sentence that holds the model's answer ([`answer_sentence`]), as a
/// yes/no question is with its quote. An English question over a Korean corpus keeps its English
/// answer line.
pub fn asks_how_or_why(question: &str) -> bool {
    has_hangul(question)
        && (question.contains("어떻게")
            || crate::retrieval::analyzer::hangul_words(question)
                .iter()
                .any(|w| WHY_WORDS.contains(&w.as_str()) || w.starts_with("어째서")))
}

/// Korean words that ask why, without their particle (`이유는` → `이유`): whole words, since
/// `왜군` and `이유식` ask nothing.
const WHY_WORDS: [&str; 4] = ["왜", "왜요", "이유", "까닭"];

/// The quote that holds most of the answer line's words (the first on ties), for a question
/// answered with its quote ([`asks_how_or_why`]); `None` without citations.
pub fn answer_sentence(read: &Read) -> Option<&Citation> {
    read.citations.iter().max_by(|a, b| {
        let held = |c: &Citation| support(&c.quote, &read.answer).unwrap_or(0.0);
        held(a)
            .total_cmp(&held(b))
            .then(std::cmp::Ordering::Greater)
    })
}

/// Whether `question` asks for several things: a Korean noun with the plural `들` (`기업들은?`;
/// not the verbs `만들`, `들어`), or English `which`/`what` before a plural noun (`Which
/// companies…`, `What German robot companies…`: up to three words on, before a verb).
pub fn asks_for_several(question: &str) -> bool {
    let korean = question.split_whitespace().any(|w| {
        let w = w.trim_end_matches(|c: char| !c.is_alphanumeric());
        let Some((stem, particle)) = w.rsplit_once('들') else {
            return false;
        };
        let before = stem.chars().next_back();
        PLURAL_PARTICLES.contains(&particle)
            && before.is_some_and(|c| ('가'..='힣').contains(&c) && c != '만')
    });
    let lower = question.to_lowercase();
    let words: Vec<&str> = lower
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    const VERBS: [&str; 12] = [
        "is", "was", "are", "were", "does", "did", "do", "has", "have", "can", "will", "this",
    ];
    let plural = |w: &str| w.len() > 3 && w.ends_with('s') && !w.ends_with("ss");
    let english = words.iter().enumerate().any(|(i, w)| {
        matches!(*w, "which" | "what")
            && words[i + 1..]
                .iter()
                .take(3)
                .take_while(|w| !VERBS.contains(w))
                .any(|w| plural(w))
    });
    korean || english
}

/// The first quote: the best passage's best sentence, up to a line break in it or `max_bytes`,
/// quotation marks and all (`트럼프 대통령은 "…"라며 "미국에 일자리 10만 개가 창출될 것"…`:
/// cut at its first mark, it would be the speaker alone). Retrieval ranks similar passages
/// better than a small model's first label token does (dev: the 1.5B model's own choice covered
/// the gold evidence for 0.63 of items, this sentence alone for 0.92); the model still decides
/// whether to quote or abstain, and may add a quote of its own choosing.
fn lead(ctx: &[ContextPassage], max_bytes: usize) -> Option<Lead> {
    let best = ctx.first()?;
    let at = best.text.find(best.highlight.as_str())?;
    let sentence = &best.text[at..at + best.highlight.len()];
    let skip = sentence.len() - sentence.trim_start().len();
    let body = &sentence[skip..];
    let mut end = body.find(['\n', '\r']).unwrap_or(body.len()).min(max_bytes);
    while !body.is_char_boundary(end) {
        end -= 1;
    }
    let quote = body[..end].trim_end();
    (char_len(quote) >= MIN_QUOTE_CHARS).then(|| Lead {
        passage: 0,
        start: at + skip,
        end: at + skip + quote.len(),
    })
}

/// What a quote-first output says.
#[derive(Debug, Clone, Default)]
pub struct Read {
    /// Verified citations, in the order quoted.
    pub citations: Vec<Citation>,
    /// The answer line (questions), empty when none.
    pub answer: String,
    /// The verdict word's meaning (claims), when one was written.
    pub verdict: Option<Verdict>,
    /// The model wrote that no passage holds the evidence.
    pub no_evidence: bool,
    /// Why something the model wrote was not kept, for the debug view.
    pub notes: Vec<String>,
}

impl Read {
    /// The quotes of the verified citations, one per line.
    fn quoted(&self) -> String {
        self.citations
            .iter()
            .map(|c| c.quote.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// `answer` without a trailing run of one repeated symbol (`Mathpresso////…`): what a small
/// model writes when the form does not let it stop yet (an answer that only repeats the
/// question must go on) and it has nothing to add.
fn without_filler(answer: &str) -> &str {
    let Some(last) = answer.chars().next_back() else {
        return answer;
    };
    if last.is_alphanumeric() {
        return answer;
    }
    let kept = answer.trim_end_matches(last);
    if answer.len() - kept.len() >= 3 * last.len_utf8() {
        kept.trim_end()
    } else {
        answer
    }
}

/// Reads `text` (written under `form`) against the passages and the corpus.
pub fn read(form: &QuoteFirstForm, text: &str, ctx: &[ContextPassage], corpus: &Corpus) -> Read {
    let out = QuoteFirst::parse(form, text);
    let mut read = Read {
        answer: without_filler(&out.answer).to_string(),
        no_evidence: out.no_evidence,
        verdict: VERDICTS
            .iter()
            .find(|(w, _)| *w == out.answer)
            .map(|(_, v)| *v),
        ..Read::default()
    };
    for q in &out.quotes {
        let Some(p) = ctx.get(q.passage) else {
            continue;
        };
        match sentence_citation(p, &q.text, corpus) {
            Some(c) if !read.citations.contains(&c) => read.citations.push(c),
            Some(_) => {}
            None => read.notes.push(format!(
                "quote from {} not found in its lines: {:?}",
                p.label, q.text
            )),
        }
    }
    read
}

/// The verified citation of the sentence of `p` that holds `quote` (or of the quote itself).
fn sentence_citation(p: &ContextPassage, quote: &str, corpus: &Corpus) -> Option<Citation> {
    let key = comparable(quote);
    if key.is_empty() {
        return None;
    }
    let sentence = p
        .sentences
        .iter()
        .find(|s| comparable(s).contains(&key))
        .cloned();
    [sentence, Some(quote.trim().to_string())]
        .into_iter()
        .flatten()
        .find_map(|q| citation(p, q, corpus))
}

fn citation(p: &ContextPassage, quote: String, corpus: &Corpus) -> Option<Citation> {
    passage_citation(p, quote, corpus).ok()
}

/// The answer as shown: in an English answer (`form.latin_answer`), the Korean figures it
/// copied are written the English way (`22일` → `the 22nd`; `14일` → `14 days` where its quote
/// counts days: [`english_figures_as_quoted`]). Grounding reads the answer as the model wrote
/// it, which the passages' figures match.
pub fn shown_answer(form: &QuoteFirstForm, read: &Read) -> String {
    let answer = without_emphasis(&read.answer);
    match form.latin_answer {
        Some(_) => english_figures_as_quoted(&answer, &read.quoted()),
        None => answer,
    }
}

/// `answer` without the emphasis marks of Markdown (`**`, `__`) that an answer copied from a
/// passage written in it (`대만의 **훙하이 정밀공업**`) carries; quotes keep them, being
/// verbatim.
fn without_emphasis(answer: &str) -> String {
    let plain = answer.replace("**", "").replace("__", "");
    plain.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Holds the answer to `question` to its evidence (see the module doc). Returns false when the
/// answer must not be returned.
pub fn ground(read: &mut Read, question: &str, ctx: &[ContextPassage], corpus: &Corpus) -> bool {
    let answer = read.answer.clone();
    if answer.is_empty() {
        return !read.citations.is_empty();
    }
    let quoted = read.quoted();
    let together = support(&quoted, &answer);
    if together.is_some_and(|s| s >= SUPPORTED) {
        return true;
    }
    let held: Vec<_> = sentences(ctx)
        .filter_map(|(p, s)| support(s, &answer).map(|v| (v, p, s)))
        .collect();
    // The best-held sentence among passages scored at least `floor`.
    let most = |floor: f32| {
        held.iter()
            .filter(|h| h.1.score >= floor)
            .copied()
            .max_by(|a, b| a.0.total_cmp(&b.0))
    };
    let best = most(f32::NEG_INFINITY);
    let top = ctx.iter().map(|c| c.score).fold(f32::MIN, f32::max);
    let near_best = most(if top > 0.0 {
        REPLACES_FROM_SHARE * top
    } else {
        f32::NEG_INFINITY
    });
    if let Some((_, p, s)) = near_best.filter(|b| b.0 >= REPLACES) {
        if let Some(c) = citation(p, s.clone(), corpus) {
            read.notes.push(format!(
                "the quoted sentence does not hold the answer; cited {} instead",
                c.label
            ));
            read.citations = vec![c];
            return true;
        }
        return !read.citations.is_empty();
    }
    match best {
        Some((v, p, _)) if v >= REPLACES => {
            read.notes.push(format!(
                "the answer {answer:?} is held only by {}, which retrieval scores far below the \
                 best passage; not returned",
                p.label
            ));
            false
        }
        // The quotes together hold the figures (`230억 달러` in one, `250억 달러` in the other),
        // or there are none: keep the model's citations.
        _ if together.is_some() => !read.citations.is_empty(),
        // Nothing quoted to keep: refused, with the reason when no sentence holds the figures.
        _ if read.citations.is_empty() => {
            if best.is_none() {
                refuse(read, &answer);
            }
            false
        }
        _ => match spread(&answer, &quoted, question, ctx, corpus) {
            Some(more) => {
                read.notes.push(format!(
                    "the answer's figures are in {} more sentence(s) of the passages; cited them too",
                    more.len()
                ));
                read.citations.extend(more);
                true
            }
            // One sentence holds every figure, if few of the answer's words (`4.5 리터` and
            // `물통 용량: 4.5L`): it is cited too, since the quotes do not hold the figure.
            None => match best.and_then(|(_, p, s)| citation(p, s.clone(), corpus)) {
                Some(c) => {
                    read.notes.push(format!(
                        "the answer's figures are in {} only; cited it too",
                        c.label
                    ));
                    read.citations.push(c);
                    true
                }
                None => slip(read, &answer, &quoted),
            },
        },
    }
}

/// Clears an answer line that says nothing the question does not, its asides (parenthesised
/// parts) aside: `중소벤처기업부(이하 중기부)` for the question which company 중소벤처기업부
/// chose, `가야금(법금)` for which king had the 가야금 made. The decoding form does not let a
/// model end on the question's words alone ([`crate::engine::quote_first`]), and a small model
/// then escapes with an aside. The response then shows its quote, which the question was
/// answered from. An answer holding a figure is left alone (`교육(8시간)`); a digit glued to a
/// word of the question is no figure (`Mathpresso0`).
pub fn drop_echo(read: &mut Read, question: &str) {
    let answer = without_stray(&read.answer, question);
    let head = crate::text::without_asides(&answer);
    if head.trim().is_empty()
        || !extract(&answer).is_empty()
        || !crate::engine::quote_first::echoes(&head, &question.to_lowercase())
    {
        return;
    }
    read.notes.push(format!(
        "the answer {:?} only repeats the question's words; its quote is shown instead",
        read.answer
    ));
    read.answer.clear();
}

/// The words of `question`, lower-cased (runs of letters and digits).
fn asked_words(question: &str) -> HashSet<String> {
    question
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// Words of a question an answer line may restate before it answers: at least this many, up
/// to the question's topic (a word ending in `은`/`는`).
const RESTATED_WORDS: usize = 3;

/// Drops the restated question an answer line opens with: its first words are the question's
/// own, up to the question's topic (`…일본 공장은 샤프 '사카이 공장'` → `샤프 '사카이 공장'`, `…늘린
/// 방법은 옥수수 침지액을…` → `옥수수 침지액을…`). Held to the order of the words the quote and
/// the question share ([`crate::engine::quote_first`]), a small model sometimes writes the
/// question back first; the answer is what follows. Fewer than three words, or
/// nothing new after them, are left alone.
pub fn drop_restated_question(read: &mut Read, question: &str) {
    let asked = asked_words(question);
    let norm = |w: &str| {
        w.trim_matches(|c: char| !c.is_alphanumeric())
            .to_lowercase()
    };
    let words: Vec<&str> = read.answer.split_whitespace().collect();
    let run = words
        .iter()
        .take_while(|w| asked.contains(&norm(w)))
        .count();
    let Some(topic) = (0..run)
        .rev()
        .find(|&i| norm(words[i]).ends_with(['은', '는']))
    else {
        return;
    };
    let rest = words[topic + 1..].join(" ");
    if topic + 1 < RESTATED_WORDS
        || rest.trim().is_empty()
        || crate::engine::quote_first::echoes(&rest, &question.to_lowercase())
    {
        return;
    }
    read.notes.push(format!(
        "the answer {:?} opens by restating the question; shown from what follows",
        read.answer
    ));
    read.answer = rest;
}

/// `answer` without a digit glued to a word of the question (`Mathpresso0`): made to go on past
/// the question's words, a small model with nothing to add writes one character of nothing,
/// and the answer must still read as the echo it is.
fn without_stray(answer: &str, question: &str) -> String {
    let asked = asked_words(question);
    answer
        .split_whitespace()
        .map(|w| {
            let mut chars = w.chars();
            let last = chars.next_back();
            let stem = chars.as_str();
            let glued = last.is_some_and(|c| c.is_ascii_digit())
                && stem.chars().next_back().is_some_and(char::is_alphabetic)
                && asked.contains(&stem.to_lowercase());
            if glued {
                stem
            } else {
                w
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// In the answer to a Korean question, a figure the model wrote the English way (`150 minutes`
/// for `150분`, `$23 billion`) is written as its quote writes it, when a quoted figure has its
/// value: the answer is in the question's language. So is a bare number (`180,000`) that is
/// the value of a quoted count in Korean words (`18만 명`), when the quotes write that value
/// one way only: the reader then finds the figure as the source has it.
pub fn figures_as_quoted(read: &mut Read) {
    let quoted = read.quoted();
    let have = extract(&quoted);
    let korean = |h: &Quantity| {
        let text = &quoted[h.written_span()];
        has_hangul(text).then_some(text)
    };
    let mut answer = read.answer.clone();
    for q in extract(&read.answer).iter().rev() {
        let span = q.written_span();
        let written = &read.answer[span.clone()];
        let english = written
            .chars()
            .any(|c| c.is_ascii_alphabetic() || "$€¥".contains(c));
        let bare = written
            .chars()
            .all(|c| c.is_ascii_digit() || c == ',' || c == '.');
        let as_quoted = if has_hangul(written) {
            None
        } else if english {
            have.iter()
                .filter(|h| h.same_value(q) == Some(true))
                .find_map(korean)
        } else if bare {
            let mut ways = have.iter().filter(|h| same_count(q, h)).map(korean);
            ways.next()
                .flatten()
                .filter(|first| ways.all(|w| w == Some(*first)))
        } else {
            None
        };
        if let Some(text) = as_quoted {
            answer.replace_range(span, text);
        }
    }
    if answer != read.answer {
        read.notes.push(format!(
            "the answer's figures were written the English way; written as the quote has them: {answer:?}"
        ));
        read.answer = answer;
    }
}

/// In an English answer, an amount of money the passages hold in another currency only (the
/// model wrote `9,900 dollars` for `월 9,900원`) is written in the passages' currency (`9,900
/// won`): the figure is the source's, its currency word a slip of translation. The quotes are
/// read first, then every sentence of the passages (grounding then cites the one that holds
/// it); only where one amount there has the number and none has it in the answer's currency.
pub fn currency_as_quoted(read: &mut Read, ctx: &[ContextPassage]) {
    let money = |text: &str| -> Vec<Quantity> {
        extract(text)
            .into_iter()
            .filter(|h| h.measure == Measure::Money)
            .collect()
    };
    let quoted = money(&read.quoted());
    let passages: Vec<Quantity> = sentences(ctx).flat_map(|(_, s)| money(s)).collect();
    let mut answer = read.answer.clone();
    for q in extract(&read.answer).iter().rev() {
        let held = |have: &[Quantity]| have.iter().any(|h| h.same_value(q) == Some(true));
        if q.measure != Measure::Money || held(&quoted) || held(&passages) {
            continue;
        }
        // The answer's number in `h`'s currency.
        let same_number = |h: &Quantity| {
            let recast = Quantity {
                unit: h.unit,
                ..q.clone()
            };
            h.unit != q.unit && recast.same_value(h) == Some(true)
        };
        let other = |have: &[Quantity]| {
            let mut found = have.iter().filter(|h| same_number(h));
            let first = found.next()?;
            found.all(|h| h.unit == first.unit).then_some(first.clone())
        };
        if let Some(english) = other(&quoted)
            .or_else(|| other(&passages))
            .and_then(|h| h.english())
        {
            answer.replace_range(q.span.clone(), &english);
        }
    }
    if answer != read.answer {
        read.notes.push(format!(
            "the answer's currency is not its passages'; written as they have it: {answer:?}"
        ));
        read.answer = answer;
    }
}

/// A short Korean answer copied from a quote takes the words that qualify it there
/// ([`super::phrase::widen`]): `7년` → `생산 종료 후 7년`; a name the quote gives another
/// name beside comes with it ([`super::phrase::with_other_name`]). The first quote holding the
/// answer decides; an answer the model spaced otherwise (`1,870 대`) is first written as its
/// quote writes it ([`super::phrase::as_spaced`]).
pub fn widen_answer(read: &mut Read) {
    let answer = read.answer.trim().to_string();
    if answer.is_empty() {
        return;
    }
    let quotes = || read.citations.iter().map(|c| c.quote.as_str());
    let found = quotes()
        .find(|q| q.contains(&answer))
        .map(|q| (q, None))
        .or_else(|| {
            quotes().find_map(|q| super::phrase::as_spaced(&answer, q).map(|run| (q, Some(run))))
        });
    let Some((quote, spaced)) = found else {
        return;
    };
    let mut notes = Vec::new();
    let mut shown = answer.clone();
    if let Some(run) = spaced {
        notes.push(format!(
            "the answer {answer:?} is spaced as its quote has it: {run:?}"
        ));
        shown = run.to_string();
    }
    if let Some(both) = super::phrase::with_other_name(&shown, quote) {
        notes.push(format!(
            "the answer {shown:?} is given with its other name: {both:?}"
        ));
        shown = both.to_string();
    } else if let Some(phrase) = super::phrase::widen(&shown, quote) {
        notes.push(format!(
            "the answer {shown:?} is written with the words its quote qualifies it with: {phrase:?}"
        ));
        shown = phrase;
    }
    read.notes.extend(notes);
    read.answer = shown;
}

/// Gives each figure of a held answer the rate its quote counts it per, when the answer says
/// none (`50,000원` for `월 5만 원` → `월 50,000원`; `2주` for `2주에 한 번` → `2주에 한 번`): a
/// figure without its rate reads as another fact. A Korean answer takes the rate's words as the
/// quote writes them; an English one (`english`) the English words (`a month`). A figure the
/// quotes count per different periods is left as it is.
pub fn add_rates(read: &mut Read, english: bool) {
    let quoted = read.quoted();
    let have = extract(&quoted);
    let mut answer = read.answer.clone();
    for q in extract(&read.answer).iter().rev() {
        if q.rate.is_some() {
            continue;
        }
        let rated: Vec<&Quantity> = have
            .iter()
            .filter(|h| h.rate.is_some() && h.same_amount(q) == Some(true))
            .collect();
        let Some(first) = rated.first() else {
            continue;
        };
        let Some(r) = first
            .rate
            .as_ref()
            .filter(|_| rated.iter().all(|h| h.per() == first.per()))
        else {
            continue;
        };
        match (english, r.per) {
            (true, Per::Every) => answer.insert_str(q.span.start, "every "),
            (true, per) => answer.insert_str(q.span.end, &format!(" {}", per.english())),
            (false, _) if r.before => {
                answer.insert_str(q.span.start, &quoted[r.span.start..first.span.start])
            }
            (false, _) => answer.insert_str(q.span.end, &quoted[first.span.end..r.span.end]),
        }
    }
    if answer != read.answer {
        read.notes.push(format!(
            "the quote counts the answer's figure per a period or item; written {answer:?}"
        ));
        read.answer = answer;
    }
}

/// Korean words that bound the figure before them, with their English.
const BOUNDS: [(&str, &str); 6] = [
    ("미만", "less than"),
    ("이하", "at most"),
    ("이상", "at least"),
    ("초과", "more than"),
    ("넘는", "more than"),
    ("넘게", "more than"),
];

/// English words that bound the figure after them.
const ENGLISH_BOUNDS: [&str; 9] = [
    "less than",
    "under",
    "below",
    "at most",
    "at least",
    "more than",
    "over",
    "up to",
    "fewer than",
];

/// The bound of [`BOUNDS`] written after the figure that ends at `end` of `text` (past a
/// space and a parenthesised aside: `100억 달러(약 14조4,000억 원) 미만`).
fn bound_after(text: &str, end: usize) -> Option<(&'static str, &'static str)> {
    let mut rest = text.get(end..)?.trim_start();
    if let Some(aside) = rest.strip_prefix('(') {
        rest = aside.split_once(')')?.1.trim_start();
    }
    BOUNDS.into_iter().find(|(ko, _)| rest.starts_with(ko))
}

/// Gives each figure of a held answer the bound its quote puts on it, when the answer says
/// none (`100억 달러` for `100억 달러(약 14조4,000억 원) 미만` → `100억 달러 미만`, in English
/// `less than $10 billion`): the bare figure says another thing than the source. A figure the
/// quotes bound differently, or do not all bound, is left as it is.
pub fn add_bounds(read: &mut Read, english: bool) {
    let quoted = read.quoted();
    let have = extract(&quoted);
    let mut answer = read.answer.clone();
    for q in extract(&read.answer).iter().rev() {
        let bounds: Vec<Option<(&str, &str)>> = have
            .iter()
            .filter(|h| h.same_amount(q) == Some(true))
            .map(|h| bound_after(&quoted, h.span.end))
            .collect();
        let Some(Some(bound)) = bounds.first().copied() else {
            continue;
        };
        if bounds.iter().any(|b| *b != Some(bound)) {
            continue;
        }
        let before = answer[..q.span.start].trim_end().to_lowercase();
        let bounded = bound_after(&answer, q.span.end).is_some()
            || ENGLISH_BOUNDS.iter().any(|w| before.ends_with(w));
        if bounded {
            continue;
        }
        match english {
            true => answer.insert_str(q.span.start, &format!("{} ", bound.1)),
            false => answer.insert_str(q.span.end, &format!(" {}", bound.0)),
        }
    }
    if answer != read.answer {
        read.notes.push(format!(
            "the quote bounds the answer's figure; written {answer:?}"
        ));
        read.answer = answer;
    }
}

/// Every sentence of the given passages, in retrieval order, with its passage.
fn sentences(ctx: &[ContextPassage]) -> impl Iterator<Item = (&ContextPassage, &String)> {
    ctx.iter()
        .flat_map(|p| p.sentences.iter().map(move |s| (p, s)))
}

/// Notes why `answer` is not returned; always false (the answer must not be returned).
fn refuse(read: &mut Read, answer: &str) -> bool {
    read.notes.push(format!(
        "no passage holds the figures of the answer {answer:?}"
    ));
    false
}

/// The citations of the sentences of `ctx` that hold the answer's figures the quotes do not
/// (the first such sentence in retrieval order for each), when every figure is held somewhere
/// and the quotes and those sentences together hold most of the answer's words: asked for
/// the first and second quarters' sales, the model quoted one report and took the other's
/// figure from a passage it did not quote. A figure the question states (`2025년에 얼마쯤`) is
/// the answer's only with one of its own: no sentence is brought for it alone, for the quote
/// that lacks it speaks of another (`2028년 84억 달러`, answered as `2025년 84억 달러`). `None`
/// when a figure is held nowhere.
fn spread(
    answer: &str,
    quoted: &str,
    question: &str,
    ctx: &[ContextPassage],
    corpus: &Corpus,
) -> Option<Vec<Citation>> {
    let asked = extract(question);
    let (echoed, own): (Vec<_>, Vec<_>) = extract(answer)
        .into_iter()
        .partition(|f| asked.iter().any(|q| q.same_value(f) == Some(true)));
    let mut more: Vec<(&ContextPassage, &String)> = Vec::new();
    for f in own {
        let figure = &answer[f.span.clone()];
        let held = |s: &str| support(s, figure).is_some();
        if held(quoted) || more.iter().any(|(_, s)| held(s)) {
            continue;
        }
        more.push(sentences(ctx).find(|(_, s)| held(s))?);
    }
    for f in echoed {
        let figure = &answer[f.span.clone()];
        let held = |s: &str| support(s, figure).is_some();
        if !held(quoted) && !more.iter().any(|(_, s)| held(s)) {
            return None;
        }
    }
    let all = std::iter::once(quoted)
        .chain(more.iter().map(|(_, s)| s.as_str()))
        .collect::<Vec<_>>()
        .join("\n");
    if more.is_empty() || support(&all, answer).is_none_or(|v| v < SUPPORTED) {
        return None;
    }
    more.into_iter()
        .map(|(p, s)| citation(p, s.clone(), corpus))
        .collect()
}

/// The answer with a misread magnitude repaired ([`magnitude_slip`]), or refused.
fn slip(read: &mut Read, answer: &str, quoted: &str) -> bool {
    match magnitude_slip(answer, quoted) {
        Some(fixed) => {
            read.notes.push(format!(
                "the answer's figure was off by a power of ten ({answer:?}); written as the quote has it"
            ));
            read.answer = fixed;
            true
        }
        None => refuse(read, answer),
    }
}

/// Words of a question that ask for an area, and for a number of people.
const AREA_WORDS: [&str; 6] = ["면적", "넓이", "평수", "area", "square", "acre"];
const PEOPLE_WORDS: [&str; 6] = [
    "몇 명",
    "몇명",
    "인구",
    "how many people",
    "population",
    "how many persons",
];

/// Words of a question that ask for a share or a multiple (`인구 중 몇 퍼센트`, `몇 배`): its
/// answer is a percentage or a ratio whatever the share is of (people, an area, a price), so
/// the measures above do not hold it.
const SHARE_WORDS: [&str; 11] = [
    "퍼센트",
    "비율",
    "비중",
    "몇 배",
    "몇배",
    "percent",
    "share of",
    "proportion",
    "what fraction",
    "how many times",
    "ratio",
];

/// Words of a question that ask for a place.
const PLACE_WORDS: [&str; 2] = ["어디", "where"];
/// Words of a question that ask for a weight.
const MASS_WORDS: [&str; 6] = ["무게", "중량", "몇 kg", "몇 킬로그램", "weigh", "how heavy"];
/// Words of a question that ask for a length, a height, a depth or a distance. Korean nouns
/// with their particle: `높이는` alone is also the verb (`생산성을 높이는`), `깊이` the adverb.
const LENGTH_WORDS: [&str; 25] = [
    "높이는 얼마",
    "높이는 몇",
    "높이가 얼마",
    "높이가 몇",
    "깊이는",
    "깊이가",
    "둘레는",
    "둘레가",
    "두께는",
    "두께가",
    "몇 미터",
    "몇 km",
    "몇 cm",
    "몇 킬로미터",
    "how tall",
    "how high",
    "how deep",
    "how far",
    "how wide",
    "how thick",
    "length",
    "height",
    "depth",
    "distance",
    "altitude",
];
/// Words of a question that ask how long something takes or lasts.
const DURATION_WORDS: [&str; 12] = [
    "얼마 동안",
    "얼마동안",
    "얼마나 걸",
    "몇 년 동안",
    "몇 년간",
    "how long did",
    "how long does",
    "how long do",
    "how long will",
    "how long would",
    "how long has",
    "how long have",
];
/// `How long is …`: a length (`the shoreline`) or a span of time (`the warranty`).
const EXTENT_WORDS: [&str; 4] = [
    "how long is",
    "how long was",
    "how long are",
    "how long were",
];
/// Words of a question that asks what something costs: its price (`가격은`, `구독료는`, `사면
/// 얼마`) or a change in it.
const PRICE_WORDS: [&str; 15] = [
    "가격",
    "얼마에",
    "값은",
    "값이",
    "비용",
    "요금",
    "구독료",
    "수수료",
    "사면 얼마",
    "사려면 얼마",
    "구입하면 얼마",
    "구매하면 얼마",
    "price",
    "cost",
    " fee",
];
/// The figures that may answer a price question: an amount of money, a change in percent (a
/// cut of 10%), or a bare number (`9900`).
const PRICE_MEASURES: [Measure; 4] = [
    Measure::Money,
    Measure::Percent,
    Measure::PercentPoint,
    Measure::Count,
];
/// A kind of figure a question asks for, by the words that ask for it ([`fits_question`]).
#[derive(Clone, Copy)]
struct Asked {
    words: &'static [&'static str],
    /// The measures that answer it.
    measures: &'static [Measure],
    /// What it is, for the refusal's note.
    what: &'static str,
    /// A price: a count of things does not answer it, nor digits the figure reader cannot read.
    price: bool,
    /// A bare number answers it too (and `4일` a span of time).
    bare: bool,
}

/// The kinds [`fits_question`] holds answers to, the first whose words a question has.
const ASKED: [Asked; 7] = [
    Asked {
        words: &AREA_WORDS,
        measures: &[Measure::Area],
        what: "an area",
        price: false,
        bare: false,
    },
    Asked {
        words: &PEOPLE_WORDS,
        measures: &[Measure::Count],
        what: "a number of people",
        price: false,
        bare: false,
    },
    Asked {
        words: &PRICE_WORDS,
        measures: &PRICE_MEASURES,
        what: "a price",
        price: true,
        bare: false,
    },
    Asked {
        words: &MASS_WORDS,
        measures: &[Measure::Mass],
        what: "a weight",
        price: false,
        bare: true,
    },
    Asked {
        words: &DURATION_WORDS,
        measures: &[Measure::Duration],
        what: "a span of time",
        price: false,
        bare: true,
    },
    Asked {
        words: &LENGTH_WORDS,
        measures: &[Measure::Length],
        what: "a length",
        price: false,
        bare: true,
    },
    Asked {
        words: &EXTENT_WORDS,
        measures: &[Measure::Length, Measure::Duration],
        what: "a length or a span of time",
        price: false,
        bare: true,
    },
];

/// Measures that never name a place.
const NOT_PLACES: [Measure; 5] = [
    Measure::Money,
    Measure::Percent,
    Measure::Area,
    Measure::Volume,
    Measure::Mass,
];

/// Whether `answer`'s figures are of the kind `question` asks for: a question about an area
/// (`부지 면적은?`) is not answered by an amount of money, one about a number of people
/// (`How many people live in Busan?`) not by a span of time, a date or a count of things
/// (`연간 60만 대`), one about a place
/// (`Where is the new factory being built?`) not by figures alone that are no place (`8만
/// 2,000㎡`, the site's area), one about a price (`물걸레 패드만 따로 사면 얼마예요?`) not by a
/// count of things (`물걸레 패드 2장`; a percentage cut may answer it), one about a weight
/// (`How much does it weigh?`) not by a volume (`2.4 litres`, the jug's capacity), one about a
/// length or a depth not by an area, one about how long something takes (`얼마나 걸려?`) not
/// by a year (`1877년`, when it was found); a bare number may answer these last three. `Err`
/// names the mismatch. Only these are checked: other measures are asked loosely, and a
/// question that asks for a share (`인구 중 몇 퍼센트`, `몇 배`) is not held to them. An answer
/// without figures is left to grounding.
pub fn fits_question(question: &str, answer: &str) -> Result<(), String> {
    let q = question.to_lowercase();
    let asks = |words: &[&str]| words.iter().any(|w| q.contains(w));
    if asks(&PLACE_WORDS) {
        let figures = extract(answer);
        let mut rest = answer.to_string();
        for f in figures.iter().rev() {
            rest.replace_range(f.span.clone(), " ");
        }
        let only_figures = !rest.chars().any(char::is_alphabetic);
        if !figures.is_empty()
            && only_figures
            && figures.iter().all(|f| NOT_PLACES.contains(&f.measure))
        {
            return Err(format!(
                "the question asks for a place; the answer is only figures ({answer:?})"
            ));
        }
        return Ok(());
    }
    if asks(&SHARE_WORDS) {
        return Ok(());
    }
    let Some(&Asked {
        measures,
        what,
        price,
        bare,
        ..
    }) = ASKED.iter().find(|a| asks(a.words))
    else {
        return Ok(());
    };
    // A count in a counter of things (`60만 대`), not of people or a bare number.
    let things = |f: &Quantity| {
        f.measure == Measure::Count && ends_in_thing_counter(&answer[f.span.clone()])
    };
    // A count followed by a word of its own (`28자`, `3 pads`): not a bare number.
    let counted = |f: &Quantity| {
        f.measure == Measure::Count
            && answer[f.span.end..]
                .trim_start()
                .starts_with(char::is_alphabetic)
    };
    // A bare number answers a measure the question names (`58` for how deep).
    let bare_number = |f: &Quantity| f.measure == Measure::Count && !things(f) && !counted(f);
    // Korean writes a number of days as it writes a day of the month (`4일`).
    let days = |f: &Quantity| {
        f.date
            .is_some_and(|d| d.year.is_none() && d.month.is_none() && d.day.is_some())
    };
    let figures = extract(answer);
    let kind = |f: &Quantity| {
        (measures.contains(&f.measure) && !things(f) && !(price && counted(f)))
            || (bare && (bare_number(f) || (measures.contains(&Measure::Duration) && days(f))))
    };
    // A price may be words (`무료`); digits that read as no price (`1통`, `2판`: a lone digit
    // before a word the figure reader knows no counter in is no quantity at all) answer
    // another question.
    let unread_digits = price && answer.chars().any(|c| c.is_ascii_digit());
    if (figures.is_empty() && !unread_digits) || figures.iter().any(kind) {
        return Ok(());
    }
    Err(format!(
        "the question asks for {what}; the answer's figures are not one ({answer:?})"
    ))
}

/// The answer with its one unheld figure written as the quotes have it, when that figure is a
/// quoted one's value times a power of ten (same measure and unit, the only such quoted figure):
/// the model misread a Korean magnitude (`10만 개` copied as `10,000 개`). `None` otherwise: a
/// figure the quotes do not hold in any magnitude is not repaired, it is refused.
fn magnitude_slip(answer: &str, quoted: &str) -> Option<String> {
    let have = extract(quoted);
    let unheld: Vec<Quantity> = extract(answer)
        .into_iter()
        .filter(|a| !have.iter().any(|h| h.same_value(a) == Some(true)))
        .collect();
    let [slip] = unheld.as_slice() else {
        return None;
    };
    if slip.date.is_some() || slip.value == 0.0 {
        return None;
    }
    let power_of_ten = |h: &Quantity| {
        let k = (h.value / slip.value).log10();
        let whole = k.round();
        whole != 0.0 && whole.abs() <= 8.0 && (k - whole).abs() < 1e-6
    };
    let same_kind: Vec<&Quantity> = have
        .iter()
        .filter(|h| h.measure == slip.measure && h.unit == slip.unit && h.date.is_none())
        .collect();
    let [source] = same_kind.as_slice() else {
        return None;
    };
    if !power_of_ten(source) {
        return None;
    }
    let (from, to) = (&answer[slip.span.clone()], &quoted[source.span.clone()]);
    let (numeral, rest) = from.split_at(numeral_len(from));
    let rest = rest.trim_start().to_ascii_lowercase();
    let word_magnitude = ["thousand", "million", "billion", "trillion"]
        .iter()
        .any(|m| rest.starts_with(m));
    if numeral.is_empty() || word_magnitude {
        return None;
    }
    let start = slip.span.start;
    let mut fixed = answer.to_string();
    fixed.replace_range(start..start + numeral.len(), &to[..numeral_len(to)]);
    Some(fixed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn an_english_answer_takes_its_quotes_currency() {
        let with = |line: &str, answer: &str| {
            let mut read = cited(line, line, answer);
            assert_eq!(read.citations.len(), 1);
            currency_as_quoted(&mut read, &[]);
            let quoted = read.answer;
            // The same figure in a passage's sentence the model did not quote.
            let mut read = Read {
                answer: answer.into(),
                ..Read::default()
            };
            currency_as_quoted(&mut read, &[ctx(line)]);
            assert_eq!(read.answer, quoted);
            quoted
        };
        let fee = "AP-300용 필터 구독료는 월 9,900원이다.";
        assert_eq!(with(fee, "9,900 dollars a month"), "9,900 won a month");
        // Held in its own currency, or by no quoted figure of that number: left as written.
        let cash = "현금 230억 달러를 보유했다.";
        assert_eq!(with(cash, "$23 billion"), "$23 billion");
        assert_eq!(with(cash, "$9,900"), "$9,900");
        assert_eq!(with(fee, "9,900 won"), "9,900 won");
    }

    #[test]
    fn an_answer_is_shown_without_emphasis_marks() {
        assert_eq!(
            without_emphasis("대만의 **훙하이 정밀공업**, 삼성"),
            "대만의 훙하이 정밀공업, 삼성"
        );
        assert_eq!(without_emphasis("대만의 **"), "대만의");
        assert_eq!(without_emphasis("3 * 4"), "3 * 4");
    }

    #[test]
    fn answers_fit_the_measure_the_question_asks_for() {
        let q = "크리스탈 랜드 단지의 예정 부지 면적은 얼마인가?";
        assert!(fits_question(q, "1조 달러").unwrap_err().contains("area"));
        assert!(fits_question(q, "33㎡(약 10평)").is_ok());
        // Words without figures, and questions about other things, are left alone.
        assert!(fits_question(q, "애리조나 주").is_ok());
        assert!(fits_question("투자 규모는 얼마인가?", "1조 달러").is_ok());
        let q = "Where is the new factory being built?";
        assert!(fits_question(q, "8만 2,000㎡")
            .unwrap_err()
            .contains("place"));
        assert!(fits_question(q, "Pyeongtaek, 82,000 m2 site").is_ok());
        assert!(fits_question(q, "3층").is_ok());
        assert!(fits_question("공장은 어디에 짓나?", "1,200억 원").is_err());
        assert!(fits_question("공장은 어디에 짓나?", "평택 포승국가산업단지").is_ok());
        // A price is money, a cut in percent or a bare number; not a count of things.
        let q = "RV-7 물걸레 패드만 따로 사면 얼마예요?";
        assert!(fits_question(q, "물걸레 패드 2장")
            .unwrap_err()
            .contains("a price"));
        assert!(fits_question(q, "2장에 1만 5,000원").is_ok());
        assert!(fits_question("필터 가격은 얼마나 내렸나?", "10%").is_ok());
        assert!(fits_question("출장 수리 비용은 얼마인가?", "무료").is_ok());
        assert!(fits_question(
            "How much does the filter subscription cost?",
            "9,900 won a month"
        )
        .is_ok());
        assert!(fits_question("How much coffee do they drink?", "2 cups").is_ok());
        assert!(fits_question("What is the area of the site?", "$1 trillion").is_err());
        // A number of people is a count, not a year or a length.
        let q = "How many people live in Busan?";
        assert!(fits_question(q, "1,592 years")
            .unwrap_err()
            .contains("people"));
        assert!(fits_question(q, "3.4 million").is_ok());
        assert!(fits_question("부산의 인구는 몇 명인가?", "약 340만 명").is_ok());
        // A count of things is not a number of people.
        let q = "신공장 가동에 맞춰 몇 명을 뽑을 계획인가?";
        assert!(fits_question(q, "연간 60만 대").is_err());
        assert!(fits_question(q, "3개").is_err());
        assert!(fits_question(q, "약 300명").is_ok());
        assert!(fits_question(q, "300").is_ok());
        assert!(fits_question("How many people attended?", "200 people").is_ok());
        // A share of people (or of an area, a price) is a percentage or a ratio.
        let q = "홍역이 퍼지지 않게 하려면 인구 중 몇 퍼센트가 면역을 가져야 해?";
        assert!(fits_question(q, "약 95%").is_ok());
        assert!(fits_question("도시 인구는 몇 배로 늘었나?", "3배").is_ok());
        assert!(fits_question("What share of the population is immune?", "95%").is_ok());
        assert!(fits_question("부산의 인구는 몇 명인가?", "95%").is_err());
        // A weight, a length, a span of time: that measure, or a bare number.
        let q = "How much does the Clara 2.4 weigh when it is empty?";
        assert!(fits_question(q, "2.4 litres")
            .unwrap_err()
            .contains("weight"));
        assert!(fits_question(q, "1.2 kg").is_ok());
        assert!(fits_question(q, "about 900").is_ok());
        assert!(fits_question("백두산의 높이는 얼마인가?", "해발 2,744m").is_ok());
        assert!(fits_question("천지의 깊이는 몇 m야?", "약 384㎡").is_err());
        assert!(fits_question("How deep is the lake?", "58 metres").is_ok());
        assert!(fits_question("How deep is the lake?", "58").is_ok());
        let q = "데이모스가 화성 둘레를 한 번 도는 데 얼마나 걸려?";
        assert!(fits_question(q, "1877년")
            .unwrap_err()
            .contains("span of time"));
        assert!(fits_question(q, "약 30시간").is_ok());
        assert!(fits_question(q, "4일").is_ok());
        let q = "How long is the shoreline of Lake Tessimere?";
        assert!(fits_question(q, "9.6 square kilometres").is_err());
        assert!(fits_question(q, "14 km").is_ok());
        assert!(fits_question("How long is the warranty?", "two years").is_ok());
        assert!(fits_question("화성에서 하루의 길이는 얼마나 되나?", "24시간 37분").is_ok());
        assert!(fits_question("강의 길이는 얼마인가?", "약 510km").is_ok());
        // `얼마에` asks what something sells for.
        let q = "AP-500 가습 필터 HF-500은 얼마에 팔아요?";
        assert!(fits_question(q, "HF-500 필터는 AP-500 가습과 함께").is_err());
        assert!(fits_question(q, "2만 9,000원").is_ok());
        // `높이는` is also the verb, `깊이` the adverb: no measure asked.
        assert!(fits_question("수율을 얼마나 높이는 것이 목표인가?", "20%").is_ok());
        assert!(fits_question("누가 깊이 관여했나?", "3명").is_ok());
    }

    #[test]
    fn a_magnitude_slip_is_written_as_the_quote_has_it() {
        let quote =
            "트럼프 대통령은 \"미국에 일자리 10만 개가 창출될 것으로 예상한다\"고 자랑했다.";
        assert_eq!(
            magnitude_slip("10,000 개", quote).as_deref(),
            Some("10만 개")
        );
        assert_eq!(
            magnitude_slip("about 10,000 jobs", quote).as_deref(),
            Some("about 10만 jobs")
        );
        // Not a power of ten, or no figure of that kind: refused, not repaired.
        assert_eq!(magnitude_slip("30,000 개", quote), None);
        assert_eq!(magnitude_slip("10,000 달러", quote), None);
        // Two quoted figures of the kind: which one was meant is unknown.
        assert_eq!(magnitude_slip("10,000 개", "10만 개와 20만 개"), None);
        // A held figure needs no repair (ground does not ask), and nothing to repair is None.
        assert_eq!(magnitude_slip("10만 개", quote), None);
    }

    #[test]
    fn filler_runs_are_dropped() {
        assert_eq!(without_filler("Mathpresso//////"), "Mathpresso");
        assert_eq!(without_filler("18%"), "18%");
        assert_eq!(without_filler("약 250억 달러..."), "약 250억 달러");
        assert_eq!(without_filler("(주)"), "(주)");
        assert_eq!(without_filler(""), "");
    }

    fn ctx(text: &str) -> ContextPassage {
        ContextPassage {
            label: "P1".into(),
            id: "a:1-1".into(),
            source: "a.txt".into(),
            start_line: 1,
            end_line: 1,
            sentences: sentence_spans(text)
                .into_iter()
                .map(|r| text[r].to_string())
                .collect(),
            text: text.into(),
            highlight: String::new(),
            score: 1.0,
            coverage: 1.0,
            passage: 0,
        }
    }

    #[test]
    fn figures_from_an_unquoted_sentence_are_cited_too() {
        use crate::retrieval::corpus::SourceFile;
        let text = "2분기 매출은 2,215억 원이다.\n1분기 매출은 1,842억 원이다.\n";
        let corpus = Corpus::from_files(vec![SourceFile::from_text("a.txt", text)]);
        let line = |n: usize, t: &str| ContextPassage {
            label: format!("P{n}"),
            id: format!("a:{n}-{n}"),
            start_line: n,
            end_line: n,
            ..ctx(t)
        };
        let ctx = [
            line(1, "2분기 매출은 2,215억 원이다."),
            line(2, "1분기 매출은 1,842억 원이다."),
        ];
        let quoted = sentence_citation(&ctx[0], "2분기 매출은 2,215억 원이다.", &corpus);
        let mut read = Read {
            citations: quoted.into_iter().collect(),
            answer: "1분기 1,842억 원, 2분기 2,215억 원".into(),
            ..Read::default()
        };
        assert!(ground(&mut read, "", &ctx, &corpus), "{:?}", read.notes);
        let lines: Vec<usize> = read.citations.iter().map(|c| c.start_line).collect();
        assert_eq!(lines, vec![1, 2]);
        // A figure the quote lacks and one sentence holds with few of the answer's words
        // (`4.5 리터`, `물통 용량: 4.5L`): that sentence is cited too.
        let text = "호스를 연결하면 물이 흘러 나갑니다.\n물통 용량: 4.5L\n";
        let corpus2 = Corpus::from_files(vec![SourceFile::from_text("a.txt", text)]);
        let ctx2 = [
            line(1, "호스를 연결하면 물이 흘러 나갑니다."),
            line(2, "물통 용량: 4.5L"),
        ];
        let quoted = sentence_citation(&ctx2[0], "호스를 연결하면 물이 흘러 나갑니다.", &corpus2);
        let mut read2 = Read {
            citations: quoted.clone().into_iter().collect(),
            answer: "물이 흘러 나가는 물통은 4.5 리터".into(),
            ..Read::default()
        };
        assert!(ground(&mut read2, "", &ctx2, &corpus2), "{:?}", read2.notes);
        let lines: Vec<usize> = read2.citations.iter().map(|c| c.start_line).collect();
        assert_eq!(lines, vec![1, 2], "{:?}", read2.notes);
        // The bare figure (`4.5 리터` is `4.5L`) is held by the second sentence alone: it is
        // cited instead of the quote that lacks it.
        let mut read3 = Read {
            citations: quoted.into_iter().collect(),
            answer: "4.5 리터".into(),
            ..Read::default()
        };
        assert!(ground(&mut read3, "", &ctx2, &corpus2), "{:?}", read3.notes);
        let lines: Vec<usize> = read3.citations.iter().map(|c| c.start_line).collect();
        assert_eq!(lines, vec![2], "{:?}", read3.notes);
        // A figure no sentence holds is still refused.
        let mut read = Read {
            citations: read.citations[..1].to_vec(),
            answer: "1분기 1,900억 원, 2분기 2,215억 원".into(),
            ..Read::default()
        };
        assert!(!ground(&mut read, "", &ctx, &corpus));
    }

    #[test]
    fn a_figure_the_question_states_is_not_brought_from_another_sentence() {
        use crate::retrieval::corpus::SourceFile;
        let line = |n: usize, t: &str| ContextPassage {
            label: format!("P{n}"),
            id: format!("a:{n}-{n}"),
            start_line: n,
            end_line: n,
            ..ctx(t)
        };
        let text = "시장 규모는 2023년 71억 달러에서 2028년 84억 달러로 커진다.\n업계는 2025년 양산을 목표로 한다.\n";
        let corpus = Corpus::from_files(vec![SourceFile::from_text("a.txt", text)]);
        let ctx = [
            line(
                1,
                "시장 규모는 2023년 71억 달러에서 2028년 84억 달러로 커진다.",
            ),
            line(2, "업계는 2025년 양산을 목표로 한다."),
        ];
        let quote = sentence_citation(&ctx[0], "시장 규모는 2023년 71억 달러에서", &corpus);
        let mut read = Read {
            citations: quote.into_iter().collect(),
            answer: "2025년 84억 달러".into(),
            ..Read::default()
        };
        let question = "시장 규모가 2025년에 얼마쯤 될 거라고 봤어?";
        assert!(
            !ground(&mut read, question, &ctx, &corpus),
            "{:?}",
            read.notes
        );
        // Each year with its own figure, from two sentences: both cited.
        let text = "2024년 매출은 100억 원이다.\n2025년 매출은 120억 원이다.\n";
        let corpus = Corpus::from_files(vec![SourceFile::from_text("a.txt", text)]);
        let ctx = [
            line(1, "2024년 매출은 100억 원이다."),
            line(2, "2025년 매출은 120억 원이다."),
        ];
        let quote = sentence_citation(&ctx[1], "2025년 매출은 120억 원이다.", &corpus);
        let mut read = Read {
            citations: quote.into_iter().collect(),
            answer: "2024년 100억 원, 2025년 120억 원".into(),
            ..Read::default()
        };
        let question = "2024년과 2025년 매출은 각각 얼마인가?";
        assert!(
            ground(&mut read, question, &ctx, &corpus),
            "{:?}",
            read.notes
        );
        assert_eq!(read.citations.len(), 2);
    }

    #[test]
    fn only_a_passage_near_the_best_may_hold_an_answer_its_quote_lacks() {
        use crate::retrieval::corpus::SourceFile;
        let text =
            "크리스탈 랜드의 실현 여부는 수요에 달려 있다.\n미국 캘리포니아주 오클랜드 항구.\n";
        let corpus = Corpus::from_files(vec![SourceFile::from_text("a.txt", text)]);
        let line = |n: usize, t: &str, score: f32| ContextPassage {
            label: format!("P{n}"),
            id: format!("a:{n}-{n}"),
            start_line: n,
            end_line: n,
            score,
            ..ctx(t)
        };
        let lead = "크리스탈 랜드의 실현 여부는 수요에 달려 있다.";
        let read_with = |second: f32| {
            let ctx = [
                line(1, lead, 0.96),
                line(2, "미국 캘리포니아주 오클랜드 항구.", second),
            ];
            let mut read = Read {
                citations: sentence_citation(&ctx[0], lead, &corpus)
                    .into_iter()
                    .collect(),
                answer: "오클랜드 주".into(),
                ..Read::default()
            };
            let kept = ground(&mut read, "", &ctx, &corpus);
            (kept, read)
        };
        let (kept, read) = read_with(0.28);
        assert!(!kept, "{:?}", read.notes);
        assert!(read.notes[0].contains("far below"), "{:?}", read.notes);
        let (kept, read) = read_with(0.4);
        assert!(kept, "{:?}", read.notes);
        assert_eq!(read.citations[0].start_line, 2);
    }

    #[test]
    fn how_and_why_questions_are_answered_with_the_quote_that_holds_the_answer() {
        assert!(asks_how_or_why("로그인 암호를 계속 틀리면 어떻게 되나?"));
        assert!(asks_how_or_why(
            "영수증을 잃어버렸으면 보증 기간은 어떻게 계산하나요?"
        ));
        assert!(!asks_how_or_why("계정은 몇 분 동안 잠기나?"));
        assert!(!asks_how_or_why("How does penicillin kill bacteria?"));
        assert!(asks_how_or_why(
            "머스크는 왜 오픈AI를 상대로 소송을 걸었나요?"
        ));
        assert!(asks_how_or_why(
            "자금 모금이 예상보다 더딘 이유는 무엇인가?"
        ));
        assert!(asks_how_or_why("나뭇잎이 녹색으로 보이는 까닭은 무엇인가?"));
        assert!(!asks_how_or_why("임진왜란 때 왜군이 처음 발을 디딘 곳은?"));
        assert!(!asks_how_or_why("이유식은 생후 몇 개월부터 먹이나?"));
        assert!(!asks_how_or_why("Why did Musk sue OpenAI?"));
        let lock = "5회 연속 잘못 입력하면 계정이 30분 동안 잠긴다.";
        let reset = "잠긴 계정은 보안팀이 풀어 준다.";
        let line = format!("{reset} {lock}");
        let mut read = cited(&line, reset, "계정이 30분 동안 잠긴다.");
        read.citations.extend(cited(&line, lock, "").citations);
        assert_eq!(answer_sentence(&read).unwrap().quote, lock);
        // Ties: the first quote.
        read.answer = "계정".into();
        assert_eq!(answer_sentence(&read).unwrap().quote, reset);
        read.citations.clear();
        assert!(answer_sentence(&read).is_none());
    }

    #[test]
    fn answers_carry_the_bound_their_quote_puts_on_a_figure() {
        let musk =
            "머스크는 \"소프트뱅크는 100억 달러(약 14조4,000억 원) 미만의 돈을 갖고 있다\"고 썼다.";
        let staff = "직원은 300명 이상이다.";
        let line = format!("{musk} {staff}");
        let with = |answer: &str, english: bool| {
            let quote = if answer.contains('3') { staff } else { musk };
            let mut read = cited(&line, quote, answer);
            add_bounds(&mut read, english);
            read.answer
        };
        assert_eq!(with("$10 billion", true), "less than $10 billion");
        assert_eq!(with("100억 달러", false), "100억 달러 미만");
        assert_eq!(with("100억 달러의 돈", false), "100억 달러 미만의 돈");
        assert_eq!(with("300명", false), "300명 이상");
        assert_eq!(with("300 people", true), "at least 300 people");
        // Already bounded, or not a figure the quote bounds.
        assert_eq!(with("under $10 billion", true), "under $10 billion");
        assert_eq!(with("100억 달러 미만", false), "100억 달러 미만");
        assert_eq!(with("14조4,000억 원", false), "14조4,000억 원");
        assert_eq!(with("$20 billion", true), "$20 billion");
        assert_eq!(with("소프트뱅크", false), "소프트뱅크");
    }

    #[test]
    fn answers_carry_the_rate_their_quote_gives() {
        let line = "회사는 직원에게 월 5만 원의 수당을 지급한다. 필터는 2주에 한 번 씻는다.";
        let with = |answer: &str, quote: &str, english: bool| {
            let mut read = cited(line, quote, answer);
            add_rates(&mut read, english);
            read.answer
        };
        let pay = "회사는 직원에게 월 5만 원의 수당을 지급한다.";
        let filter = "필터는 2주에 한 번 씻는다.";
        assert_eq!(with("50,000원", pay, false), "월 50,000원");
        assert_eq!(with("5만 원", pay, true), "5만 원 a month");
        assert_eq!(with("매달 5만 원", pay, false), "매달 5만 원");
        assert_eq!(with("수당", pay, false), "수당");
        assert_eq!(with("3만 원", pay, false), "3만 원");
        assert_eq!(with("2주", filter, false), "2주에 한 번");
        assert_eq!(with("2주", filter, true), "every 2주");
        // A rate that contradicts the quote's is the answer's own (grounding refuses it).
        assert_eq!(with("연 5만 원", pay, false), "연 5만 원");
    }

    /// A read of `answer` citing the sentence of a one-line corpus `line` that holds `quote`.
    fn cited(line: &str, quote: &str, answer: &str) -> Read {
        use crate::retrieval::corpus::SourceFile;
        let corpus = Corpus::from_files(vec![SourceFile::from_text("a.txt", &format!("{line}\n"))]);
        Read {
            citations: sentence_citation(&ctx(line), quote, &corpus)
                .into_iter()
                .collect(),
            answer: answer.into(),
            ..Read::default()
        }
    }

    proptest! {
        /// The steps that rewrite a held answer (echo, figures, spacing, other names, the
        /// phrase, rates, the question's measure) take any answer over any quote without a
        /// panic: marks, digits, particles and half-pairs of each included.
        #[test]
        fn rewriting_an_answer_never_panics(
            line in crate::answer::phrase::text_of(
                vec![
                    " ", "'", "\"", "“", "”", "『", "』", "(", ")", "또는", "1,870", "대", "월",
                    "5만 원", "2주에 한 번", "약", "까지", "의", "은", "3일", "%", ".", ",", "**",
                    "Mathpresso", "0", "미만", "넘는",
                ],
                1..14,
            ),
            answer in "\\PC{0,8}|1,870 대|월 5만 원|Mathpresso0|또는|'",
            question in "\\PC{0,10}|몇 대\\?|How much\\?|Mathpresso는\\?",
            english in any::<bool>(),
        ) {
            let mut read = cited(&line, line.trim(), &answer);
            drop_echo(&mut read, &question);
            if !english {
                figures_as_quoted(&mut read);
                widen_answer(&mut read);
            }
            add_rates(&mut read, english);
            add_bounds(&mut read, english);
            let _ = fits_question(&question, &read.answer);
        }
    }

    /// `answer` after [`figures_as_quoted`], its citation `quote` of a one-line corpus `line`.
    fn as_quoted(line: &str, quote: &str, answer: &str) -> String {
        let mut read = cited(line, quote, answer);
        figures_as_quoted(&mut read);
        read.answer
    }

    #[test]
    fn yes_no_questions_are_told_from_questions_for_a_thing() {
        for q in [
            "수습사원도 재택근무를 할 수 있어?",
            "AP-500을 앱에 연결할 때 5GHz 와이파이도 되나요?",
            "제습기를 껐다 켰더니 컴프레서가 바로 안 돌아요. 고장인가요?",
            "예전에 썼던 비밀번호를 다시 써도 되나?",
            "AP-300이 전원이 안 들어오는데 뒷면 덮개와 관련이 있나요?",
            "크리스탈 랜드는 애리조나에 세워지는가?",
            "Can employees on probation work from home?",
            "Is the Jikji kept in Korea?",
        ] {
            assert!(asks_yes_no(q), "{q}");
        }
        for q in [
            "중소벤처기업부가 6호 자상한 기업으로 선정한 곳은?",
            "크리스탈 랜드는 미국의 어느 주에 설립될 계획인가?",
            "가습 공기청정기에 E3 표시가 뜨는 건 무슨 의미인가요?",
            "체감 온도가 35도를 넘으면 바깥 작업은 어떻게 하나?",
            "스타게이트 프로젝트에 참여하는 기업들은?",
            "백두산에서 제일 높은 봉우리는?",
            "Where is the Jikji kept today?",
            "How long is the warranty?",
            "Which company makes the RV-7?",
        ] {
            assert!(!asks_yes_no(q), "{q}");
        }
    }

    #[test]
    fn a_restated_question_before_the_answer_is_dropped() {
        let shown = |question: &str, answer: &str| {
            let mut read = Read {
                answer: answer.into(),
                ..Read::default()
            };
            drop_restated_question(&mut read, question);
            read.answer
        };
        let q = "소프트뱅크가 인수해 AI 데이터 센터 거점으로 삼은 일본 공장은?";
        assert_eq!(
            shown(q, "일본 소프트뱅크가 인수해 AI 데이터 센터 거점으로 삼은 일본 공장은 샤프 '사카이 공장'"),
            "샤프 '사카이 공장'"
        );
        let q = "전쟁 중 페니실린 생산량을 크게 늘린 방법은?";
        assert_eq!(
            shown(q, "페니실린 생산량을 크게 늘린 방법은 깊은 탱크 발효법"),
            "깊은 탱크 발효법"
        );
        // Too short a restatement, none up to a topic, or nothing new after it: as written.
        assert_eq!(
            shown(q, "방법은 깊은 탱크 발효법"),
            "방법은 깊은 탱크 발효법"
        );
        let q = "10년 근속하면 어떤 혜택이 있나?";
        assert_eq!(
            shown(q, "10년 근속하면 5일의 휴가"),
            "10년 근속하면 5일의 휴가"
        );
        let q = "소프트뱅크가 삼은 일본 공장은?";
        assert_eq!(
            shown(q, "소프트뱅크가 삼은 일본 공장은 일본"),
            "소프트뱅크가 삼은 일본 공장은 일본"
        );
    }

    #[test]
    fn an_answer_that_only_repeats_the_question_is_dropped() {
        let dropped = |question: &str, answer: &str| {
            let mut read = Read {
                answer: answer.into(),
                ..Read::default()
            };
            drop_echo(&mut read, question);
            read.answer.is_empty()
        };
        let q = "중소벤처기업부가 6호 자상한 기업으로 선정한 곳은?";
        assert!(dropped(q, "중소벤처기업부(이하 중기부)"));
        assert!(dropped(q, "중소벤처기업부"));
        assert!(!dropped(q, "소프트뱅크벤처스"));
        assert!(!dropped(q, "중소벤처기업부가 선정한 소프트뱅크벤처스"));
        assert!(!dropped(
            "지게차 기사 대상 특별 안전교육은 몇 시간인가?",
            "교육(8시간)"
        ));
        assert!(!dropped(q, "(이하 중기부)"));
        // A digit glued to a word of the question is no figure; a model code is one.
        let q = "What is the name of the platform Mathpresso built?";
        assert!(dropped(q, "Mathpresso0"));
        assert!(!dropped(q, "Qanda0"));
        assert!(!dropped(
            "Which model of the AP series is quieter?",
            "AP300"
        ));
        assert!(dropped(
            "Which startup made the AI announcer?",
            "The AI announcer (video)"
        ));
    }

    #[test]
    fn a_korean_answer_writes_its_figures_as_the_quote_does() {
        let with = |answer: &str| {
            as_quoted(
                "사용 시간: 최대 150분(일반 흡입 모드)",
                "사용 시간: 최대 150분",
                answer,
            )
        };
        assert_eq!(with("150 minutes"), "150분");
        assert_eq!(with("최대 150 minutes 동안"), "최대 150분 동안");
        assert_eq!(with("150분"), "150분");
        assert_eq!(with("150"), "150");
        assert_eq!(with("2 hours"), "2 hours");
    }

    #[test]
    fn a_bare_number_is_written_as_the_quoted_count() {
        let line = "구독 고객은 3월 말 기준 18만 명으로 늘었다. 사고는 2건, 부상자는 2명이었다.";
        let with = |answer: &str| as_quoted(line, line, answer);
        assert_eq!(with("180,000"), "18만 명");
        assert_eq!(with("약 180000"), "약 18만 명");
        // Two ways to write 2 in the quote: the answer keeps its own.
        assert_eq!(with("2"), "2");
        assert_eq!(with("3"), "3");
    }

    #[test]
    fn questions_that_ask_for_several_things() {
        for q in [
            "유리 기판 경쟁에 뛰어든 국내 기업들은?",
            "스타게이트 프로젝트에 참여하는 기업들은?",
            "회동에 참석한 인물들의 이름은?",
            "Which companies take part in Stargate?",
            "What German robot companies were named?",
        ] {
            assert!(asks_for_several(q), "{q}");
        }
        for q in [
            "크리스탈 랜드는 미국의 어느 주에 설립될 계획인가?",
            "AI 단지를 만들 곳은?",
            "회사에 들어간 금액은?",
            "What is the name of the platform?",
            "What does SoftBank plan?",
            "Which business was sold?",
        ] {
            assert!(!asks_for_several(q), "{q}");
        }
    }

    #[test]
    fn forms_follow_the_request_kind() {
        let c = [ctx("첫 문장이다. 둘째 문장이다.")];
        let f = form(Kind::Question, "질문?", &c, 1.5);
        assert_eq!(f.starts, vec![vec![0, "첫 문장이다. ".len()]]);
        assert!(f.choices.is_empty());
        assert_eq!(f.latin_answer, None);
        let f = form(Kind::Question, "Which state?", &c, 1.5);
        assert_eq!(f.latin_answer.as_deref(), Some(KOREAN_MAGNITUDES));
        let f = form(Kind::Claim, "주장.", &c, 1.5);
        assert_eq!(f.choices, vec!["supported", "refuted", "unknown"]);
        assert_eq!(form(Kind::Claim, "A claim.", &c, 1.5).latin_answer, None);
        // The abstention bias is for questions; a claim's `unknown` is a verdict.
        assert_eq!(form(Kind::Question, "질문?", &c, 1.5).abstain_bias, 1.5);
        assert_eq!(f.abstain_bias, 0.0);
    }

    #[test]
    fn quotes_start_at_sentences_that_bear_on_the_request() {
        let text = "현재 소프트뱅크는 외부 파트너를 모색하고 있습니다. 손정의는 TSMC와 삼성의 참여를 요청했지만, 양사는 아직 공식 답변을 하지 않았습니다.";
        let second = text.find("손정의").unwrap();
        let asked = tokens("TSMC와 삼성은 크리스탈 랜드 참여를 공식 확정했다.");
        assert_eq!(quote_starts(text, &asked), vec![second]);
        // The sentence after a related one continues it.
        let trails = "정상까지 오를 수 있는 길은 두 곳이다. 성판악 코스는 약 9.6km로 길이 길다. 어리목 코스는 윗세오름까지만 오른다.";
        let longest = tokens("한라산 정상으로 가는 탐방로 중 거리가 가장 긴 길은?");
        assert_eq!(
            quote_starts(trails, &longest),
            vec![0, trails.find("성판악").unwrap()]
        );
        // Nothing shared (another language): every sentence.
        let asked = tokens("Who has confirmed it?");
        assert_eq!(
            quote_starts(text, &asked),
            vec![0, text.find("손정의").unwrap()]
        );
    }

    #[test]
    fn the_lead_keeps_the_sentences_quotation_marks() {
        let text = "앞 문장. 트럼프는 \"역사상 가장 큰 프로젝트\"라며 \"일자리 10만 개\"라고 했다.\n다음 줄";
        let mut p = ctx(text);
        p.highlight =
            "트럼프는 \"역사상 가장 큰 프로젝트\"라며 \"일자리 10만 개\"라고 했다.".into();
        let l = lead(&[p.clone()], MAX_LEAD_BYTES).unwrap();
        assert_eq!(&text[l.start..l.end], p.highlight);
        let l = lead(&[p.clone()], "트럼프는 \"역사".len()).unwrap();
        assert_eq!(&text[l.start..l.end], "트럼프는 \"역사");
    }
}
