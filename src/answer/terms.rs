//! Terms that differ: where a claim names one thing and its evidence, in the same place of a
//! sentence about the same fact, names another. `…기업은 마이크로소프트가 인수했다` against
//! `미국 회사는 구글이 인수했다`; `백악관 오벌오피스에서` against `백악관 루스벨트룸에서`;
//! `항소심에서 유죄 판결을` against `항소심에서 무죄 판결을`. The numeric signals
//! ([`super::signals`]) catch a changed figure; this catches a changed name, place or word, which
//! the small answering model does not: it judges such claims supported or unknown.
//!
//! A claim word is taken as replaced, and the claim refuted, only when all of these hold:
//! - the word (without its particle) stands nowhere in the corpus, nor does any synonym the
//!   thesaurus gives it stand in the evidence passages: the claim names what the corpus never
//!   names (a word the corpus uses elsewhere, `업체` where the evidence says `회사`, may be the
//!   same thing said another way);
//! - a sentence of the evidence holds most of the claim's other words (0.7 of them): it states
//!   the same fact;
//! - in that sentence a word of the same role (the same particle: `가`/`이`, `에서`, …) stands
//!   next to the same neighbour as the claim's word (its word before or after); a word with no
//!   particle, and every English word, needs both neighbours the same (one of them a content
//!   word, not `the` or `in`);
//! - that word is not in the claim and is no synonym of the claim's word.
//!
//! Each rule keeps paraphrases out: a supported claim says the evidence's fact in other words,
//! seldom one word for another with everything around it unchanged.
//!
//! It also catches two words that trade places: `해가 동쪽에서 떠서 서쪽으로 진다` against `해가
//! 서쪽에서 떠서 동쪽으로 진다`, `A가 B를 인수했다` against `B가 A를 인수했다`. A sentence of the
//! same fact (as above) holds each of the two claim words with the other's particle role, and
//! neither with its own.

use serde_json::json;
use unicode_normalization::UnicodeNormalization;

use super::signals::{EvidenceText, Signal, SignalEvidence, SignalKind, Status};
use crate::retrieval::analyzer::normalize;
use crate::retrieval::query::EN_STOPWORDS;
use crate::retrieval::thesaurus::Thesaurus;
use crate::text::sentence_spans;

/// The share of the claim's other content words a sentence must hold to state the same fact.
const SAME_FACT: f32 = 0.7;
/// The fewest other content words a claim needs for [`SAME_FACT`] to mean anything.
const MIN_OTHERS: usize = 2;

/// Endings after a Korean noun, each with its role: words with endings of one role can stand
/// in each other's place (`가` and `이` are one ending after a vowel and after a consonant).
/// Longest first, so that `에서는` is not read as `는`.
const ENDINGS: &[(&str, u8)] = &[
    ("에서는", 0),
    ("이었다", 1),
    ("에서", 2),
    ("에게", 3),
    ("으로", 4),
    ("까지", 5),
    ("부터", 6),
    ("이다", 7),
    ("였다", 1),
    ("로", 4),
    ("이", 8),
    ("가", 8),
    ("은", 9),
    ("는", 9),
    ("을", 10),
    ("를", 10),
    ("와", 11),
    ("과", 11),
    ("의", 12),
    ("에", 13),
    ("도", 14),
    ("만", 15),
    ("인", 16),
];

/// English function words beyond the query's stopwords: never a replaced term.
const EN_FUNCTION: &[&str] = &[
    "will", "would", "can", "could", "may", "might", "must", "shall", "should", "not", "no", "but",
    "than", "then", "there", "their", "they", "she", "he", "his", "her", "we", "our", "you",
    "your", "also", "after", "before", "into", "over", "under", "about", "all", "any", "each",
    "only", "up", "down", "out", "more", "most", "less", "very", "just",
];

/// Marks that separate words besides spaces: quotes, brackets and punctuation.
const MARKS: &str = "\"'“”‘’()[]{}<>·,.:;!?「」『』《》〈〉…|";

fn separates(c: char) -> bool {
    c.is_whitespace() || MARKS.contains(c)
}

/// One word of a text: whole and as written without its particle (NFKC), its key (lowercase,
/// without its particle) and the role of its particle (`None`: no particle, or not Korean).
#[derive(Debug, Clone)]
struct Word {
    whole: String,
    written: String,
    key: String,
    role: Option<u8>,
}

/// The words of `text`.
fn words(text: &str) -> Vec<Word> {
    let text: String = text.nfkc().collect();
    text.split(separates)
        .filter(|w| !w.is_empty())
        .map(|w| {
            let (core, role) = split_ending(w);
            Word {
                whole: w.to_string(),
                written: core.to_string(),
                key: core.to_lowercase(),
                role,
            }
        })
        .collect()
}

/// `word` without its particle, and the particle's role; a particle is taken off only when at
/// least two characters remain (`회사는` → `회사`, but `있는` stays).
fn split_ending(word: &str) -> (&str, Option<u8>) {
    if word
        .chars()
        .last()
        .is_some_and(crate::text::is_hangul_syllable)
    {
        for &(ending, role) in ENDINGS {
            if let Some(core) = word.strip_suffix(ending) {
                if core.chars().count() >= 2 {
                    return (core, Some(role));
                }
            }
        }
    }
    (word, None)
}

/// A word that can name something: no digits (figures are the numeric signals'), not an
/// English function word, at least two Hangul syllables or three Latin letters.
fn is_content(key: &str) -> bool {
    if key.chars().any(|c| c.is_numeric())
        || EN_STOPWORDS.contains(&key)
        || EN_FUNCTION.contains(&key)
    {
        return false;
    }
    let n = key.chars().count();
    match key.chars().any(crate::text::is_hangul_syllable) {
        true => n >= 2,
        false => n >= 3,
    }
}

/// Whether the thesaurus makes `a` and `b` the same thing (either expands to a form of the
/// other).
fn synonyms(thesaurus: &Thesaurus, a: &str, b: &str) -> bool {
    let linked = |x: &str, y: &str| {
        thesaurus
            .expansions(x, true)
            .iter()
            .any(|m| m.contains(y) || y.contains(*m))
    };
    linked(a, b) || linked(b, a)
}

/// One way the claim's word could have been replaced.
struct Found<'a> {
    ev: EvidenceText<'a>,
    word: String,
    share: f32,
}

/// The claim's words that its evidence replaces with others (see the module docs), each as a
/// [`Signal`] of kind [`SignalKind::Term`] with status [`Status::Mismatch`]. `in_corpus` says
/// whether a word (lowercase, NFKC) stands anywhere in the corpus; it is asked only of a word
/// the evidence seems to replace.
pub fn compare(
    claim: &str,
    evidence: &[EvidenceText<'_>],
    thesaurus: &Thesaurus,
    in_corpus: &dyn Fn(&str) -> bool,
) -> Vec<Signal> {
    let claim_words = words(claim);
    let texts: Vec<String> = evidence.iter().map(|e| normalize(e.text)).collect();
    let sentences: Vec<(EvidenceText, String, Vec<Word>)> = evidence
        .iter()
        .flat_map(|ev| {
            sentence_spans(ev.text).into_iter().map(move |s| {
                let text = &ev.text[s];
                (*ev, normalize(text), words(text))
            })
        })
        .collect();
    let said = |key: &str| texts.iter().any(|t| t.contains(key));
    let mut out = Vec::new();
    for (i, x) in claim_words.iter().enumerate() {
        if !is_content(&x.key) || said(&x.key) {
            continue;
        }
        if thesaurus.expansions(&x.key, true).iter().any(|m| said(m)) {
            continue;
        }
        let others: Vec<&str> = claim_words
            .iter()
            .enumerate()
            .filter(|&(k, w)| k != i && is_content(&w.key))
            .map(|(_, w)| w.key.as_str())
            .collect();
        if others.len() < MIN_OTHERS {
            continue;
        }
        let mut best: Option<Found> = None;
        for (ev, text, sw) in &sentences {
            let share =
                others.iter().filter(|o| text.contains(**o)).count() as f32 / others.len() as f32;
            if share < SAME_FACT || best.as_ref().is_some_and(|b| b.share >= share) {
                continue;
            }
            let replaced = (0..sw.len()).find(|&j| {
                let z = &sw[j];
                // Whether the claim's word at `ci` and the sentence's at `ej` are the same,
                // and whether that word is a content word.
                let neighbour = |ci: Option<usize>, ej: Option<usize>| match (ci, ej) {
                    (Some(ci), Some(ej)) if ci < claim_words.len() && ej < sw.len() => {
                        let same = claim_words[ci].key == sw[ej].key;
                        (same, same && is_content(&sw[ej].key))
                    }
                    _ => (false, false),
                };
                let (before, before_content) = neighbour(i.checked_sub(1), j.checked_sub(1));
                let (after, after_content) = neighbour(Some(i + 1), Some(j + 1));
                z.role == x.role
                    && is_content(&z.key)
                    && (before_content || after_content)
                    && (z.role.is_some() || (before && after))
                    && !claim_words
                        .iter()
                        .any(|c| c.key.contains(&z.key) || z.key.contains(&c.key))
                    && !synonyms(thesaurus, &x.key, &z.key)
            });
            if let Some(j) = replaced {
                best = Some(Found {
                    ev: *ev,
                    word: sw[j].written.clone(),
                    share,
                });
            }
        }
        if best.is_some() && in_corpus(&x.key) {
            continue;
        }
        if let Some(f) = best {
            out.push(term_signal(&x.written, &f.word, &f.ev));
        }
    }
    out.extend(swapped(&claim_words, &sentences));
    out
}

/// A [`Signal`] of kind [`SignalKind::Term`]: the claim says `claimed` where `ev` says `said`.
fn term_signal(claimed: &str, said: &str, ev: &EvidenceText<'_>) -> Signal {
    Signal {
        kind: SignalKind::Term,
        claim_text: claimed.to_string(),
        claim_value: json!(claimed),
        unit: String::new(),
        per: None,
        status: Status::Mismatch,
        evidence: vec![SignalEvidence {
            text: said.to_string(),
            value: json!(said),
            agrees: false,
            passage: ev.label.to_string(),
            passage_id: ev.passage_id.to_string(),
            source: ev.source.to_string(),
        }],
    }
}

/// Two words of the claim whose roles a sentence of the same fact exchanges: `해가 동쪽에서 떠서
/// 서쪽으로 진다` against `해가 서쪽에서 떠서 동쪽으로 진다`, `A가 B를 인수했다` against `B가 A를
/// 인수했다`. The sentence must hold most of the claim's content words ([`SAME_FACT`]), each of
/// the two in the other's role and neither in its own.
fn swapped(claim: &[Word], sentences: &[(EvidenceText<'_>, String, Vec<Word>)]) -> Vec<Signal> {
    let content: Vec<&Word> = claim.iter().filter(|w| is_content(&w.key)).collect();
    let roled: Vec<&Word> = content
        .iter()
        .copied()
        .filter(|w| w.role.is_some())
        .collect();
    if content.len() < MIN_OTHERS + 1 {
        return Vec::new();
    }
    // The sentences of the same fact, found once for every pair of words.
    let same_fact: Vec<&(EvidenceText, String, Vec<Word>)> = sentences
        .iter()
        .filter(|(_, text, _)| {
            let held = content.iter().filter(|w| text.contains(&w.key)).count();
            held as f32 / content.len() as f32 >= SAME_FACT
        })
        .collect();
    let mut out = Vec::new();
    for (a, x) in roled.iter().enumerate() {
        for y in &roled[a + 1..] {
            if x.key == y.key || x.role == y.role {
                continue;
            }
            let found = same_fact.iter().find_map(|(ev, _, sw)| {
                let at = |w: &Word, role| sw.iter().position(|z| z.key == w.key && z.role == role);
                if at(x, x.role).is_some() || at(y, y.role).is_some() {
                    return None;
                }
                let (i, j) = (at(x, y.role)?, at(y, x.role)?);
                Some((ev, &sw[i.min(j)].whole, &sw[i.max(j)].whole))
            });
            if let Some((ev, first, second)) = found {
                out.push(term_signal(
                    &format!("{} … {}", x.whole, y.whole),
                    &format!("{first} … {second}"),
                    ev,
                ));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    /// [`compare`] over passages given as their texts (labelled P1, P2, …), with the built-in
    /// thesaurus and a corpus of those passages alone.
    fn replaced(claim: &str, passages: &[&str]) -> Vec<(String, String)> {
        let labels: Vec<String> = (1..=passages.len()).map(|i| format!("P{i}")).collect();
        let tokens = HashSet::new();
        let evidence: Vec<EvidenceText> = passages
            .iter()
            .zip(&labels)
            .map(|(text, label)| EvidenceText {
                label,
                passage_id: label,
                source: "a.txt",
                text,
                row: false,
                tokens: &tokens,
            })
            .collect();
        compare(
            claim,
            &evidence,
            &crate::retrieval::thesaurus::THESAURUS,
            &|_| false,
        )
        .into_iter()
        .map(|s| {
            assert_eq!(s.kind, SignalKind::Term);
            assert_eq!(s.status, Status::Mismatch);
            (s.claim_text, s.evidence[0].text.clone())
        })
        .collect()
    }

    fn pair(a: &str, b: &str) -> Vec<(String, String)> {
        vec![(a.to_string(), b.to_string())]
    }

    #[test]
    fn two_words_in_each_others_roles() {
        let sun = "금성에서는 해가 서쪽에서 떠서 동쪽으로 진다.";
        assert_eq!(
            replaced(
                "금성에서는 지구에서처럼 해가 동쪽에서 떠서 서쪽으로 진다.",
                &[sun]
            ),
            pair("동쪽에서 … 서쪽으로", "서쪽에서 … 동쪽으로")
        );
        let deal = "지난해 소프트뱅크가 앰피어를 65억 달러에 인수했다.";
        assert_eq!(
            replaced("지난해 앰피어가 소프트뱅크를 인수했다.", &[deal]),
            pair("앰피어가 … 소프트뱅크를", "소프트뱅크가 … 앰피어를")
        );
        // The same roles in another order, or both ways in one sentence, say the same fact.
        assert!(replaced("지난해 앰피어를 소프트뱅크가 인수했다.", &[deal]).is_empty());
        let both = "서울에서 부산으로 갔다가 부산에서 서울로 돌아왔다.";
        assert!(replaced("그는 부산에서 서울로 갔다가 돌아왔다.", &[both]).is_empty());
    }

    #[test]
    fn a_name_in_the_place_of_another() {
        let told = "이용재 대표는 \"현재 우리와 같은 AI 교육 기업은 중국 2곳, 미국 1곳 있는데 미국 회사는 구글이 인수했다\"며 말했다.";
        assert_eq!(
            replaced(
                "이용재 대표가 언급한 미국의 AI 교육 기업은 마이크로소프트가 인수했다.",
                &[told]
            ),
            pair("마이크로소프트", "구글")
        );
        let room = "도널드 트럼프 미국 대통령이 21일 워싱턴 백악관 루스벨트룸에서 스타게이트 합작 벤처 설립을 발표하고 있다.";
        assert_eq!(
            replaced(
                "트럼프 대통령은 백악관 오벌오피스에서 스타게이트 합작 벤처 설립을 발표했다.",
                &[room]
            ),
            pair("오벌오피스", "루스벨트룸")
        );
    }

    #[test]
    fn an_opposite_word_between_the_same_neighbours() {
        let ruling = "전날 기소된 항소심에서 무죄 판결을 받은 이재용 회장은 다음날 회동을 했다.";
        assert_eq!(
            replaced(
                "이재용 회장은 회동 전날 항소심에서 유죄 판결을 받았다.",
                &[ruling]
            ),
            pair("유죄", "무죄")
        );
        // A word with no particle needs both neighbours: one is not enough.
        let one_side = "전날 기소된 항소심에서 무죄를 선고받은 이재용 회장은 다음날 회동을 했다.";
        assert!(replaced(
            "이재용 회장은 회동 전날 항소심에서 유죄 판결을 받았다.",
            &[one_side]
        )
        .is_empty());
    }

    #[test]
    fn paraphrases_are_not_replacements() {
        // A predicate said another way has no particle and stands at the end: no second
        // neighbour.
        let seated = "르네 하스 Arm CEO도 이날 회동에 배석했다.";
        assert!(replaced("르네 하스 Arm CEO도 이날 회동에 참석했다.", &[seated]).is_empty());
        // The claim's word is in the evidence: nothing is replaced.
        let plan = "기아는 유럽 시장에서 전기차 판매를 늘릴 계획이다.";
        assert!(replaced("기아는 유럽 시장에서 전기차 판매를 늘린다.", &[plan]).is_empty());
        // A sentence about another fact does not count, however the neighbours fall.
        let other = "기아 유럽법인은 올해 EV3 출시를 앞두고 있다.";
        assert!(replaced(
            "현대차 미국법인은 올해 아이오닉 출시를 앞두고 있다.",
            &[other]
        )
        .is_empty());
        // Synonyms by the thesaurus: `company` and `회사`.
        let firm = "The company was founded by two engineers in Seoul in 2019.";
        assert!(replaced("The firm was founded by two engineers in Seoul.", &[firm]).is_empty());
    }

    #[test]
    fn a_word_the_corpus_uses_elsewhere_is_not_taken_for_another_thing() {
        let evidence = "나인테크는 지난 3년간 모든 장비를 해외 반도체 회사에 납품해왔다.";
        let claim = "나인테크는 지난 5년간 모든 장비를 해외 반도체 업체에 납품해왔다.";
        assert_eq!(replaced(claim, &[evidence]), pair("업체", "회사"));
        let tokens = HashSet::new();
        let ev = [EvidenceText {
            label: "P1",
            passage_id: "P1",
            source: "a.txt",
            text: evidence,
            row: false,
            tokens: &tokens,
        }];
        let thesaurus = &crate::retrieval::thesaurus::THESAURUS;
        assert!(compare(claim, &ev, thesaurus, &|w| w == "업체").is_empty());
    }

    #[test]
    fn english_words_need_both_neighbours() {
        let report =
            "Dr Helen Marsh stepped down as chief executive in September 2023 after eleven years.";
        assert!(replaced(
            "Helen Marsh ran the trust for many years before she stood down.",
            &[report]
        )
        .is_empty());
        assert_eq!(
            replaced(
                "Dr Helen Marsh stepped down as chief engineer in September 2023.",
                &[report]
            ),
            pair("engineer", "executive")
        );
    }

    proptest::proptest! {
        /// Whatever the texts: nothing panics; a flagged claim word stands in no evidence
        /// passage, the evidence's word stands in its passage and not in the claim; and a
        /// claim that is one of the passages flags nothing.
        #[test]
        fn a_replaced_word_is_absent_and_its_replacement_present(
            claim in crate::answer::phrase::text_of(WORDS.to_vec(), 0..14),
            passage in crate::answer::phrase::text_of(WORDS.to_vec(), 0..20),
        ) {
            let tokens = HashSet::new();
            let thesaurus = &crate::retrieval::thesaurus::THESAURUS;
            let ev = [EvidenceText {
                label: "P1",
                passage_id: "P1",
                source: "a.txt",
                text: &passage,
                row: false,
                tokens: &tokens,
            }];
            let lower = normalize(&passage);
            for s in compare(&claim, &ev, thesaurus, &|_| false) {
                let (x, z) = (s.claim_text.to_lowercase(), s.evidence[0].text.to_lowercase());
                proptest::prop_assert!(!lower.contains(&x), "{} in {}", x, passage);
                proptest::prop_assert!(lower.contains(&z), "{} not in {}", z, passage);
                proptest::prop_assert!(!claim.to_lowercase().contains(&z), "{} in {}", z, claim);
            }
            let same = [EvidenceText { text: &claim, ..ev[0] }];
            proptest::prop_assert!(compare(&claim, &same, thesaurus, &|_| false).is_empty());
        }
    }

    /// Pieces of claims and evidence for the property test: words with particles, neighbours,
    /// English words, marks.
    const WORDS: &[&str] = &[
        " ",
        "항소심에서 ",
        "유죄 ",
        "무죄 ",
        "판결을 ",
        "구글이 ",
        "애플이 ",
        "인수했다",
        ". ",
        "회사는 ",
        "백악관 ",
        "서울에서 ",
        "도쿄에서 ",
        "열렸다",
        "the ",
        "chief ",
        "executive ",
        "engineer ",
        "in ",
        "\"",
        "(",
        ")",
        "회사",
        "는",
    ];

    #[test]
    fn particles_come_off_only_when_a_word_remains() {
        assert_eq!(split_ending("회사는"), ("회사", Some(9)));
        assert_eq!(split_ending("구글이"), ("구글", Some(8)));
        assert_eq!(split_ending("백악관에서는"), ("백악관", Some(0)));
        assert_eq!(split_ending("있는"), ("있는", None));
        assert_eq!(split_ending("Google"), ("Google", None));
    }
}
