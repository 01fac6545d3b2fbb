//! The question's focus: what form of answer a query asks for, and whether a passage has it.
//!
//! A factoid question names the thing it asks for (its *focus*: "…에 참여하는 **기업들**은?",
//! "**which companies** …", "…의 **규모**는?"), and the passage that answers it rarely repeats
//! that word: it names the companies, or gives the number. Retrieval uses the focus twice. The
//! focus word counts less in the query (a passage that merely says 기업 is not an answer), and
//! the form of answer is checked on each passage's surface: a plural focus wants a list
//! (`오픈AI·오러클·소프트뱅크`, `OpenAI, 오라클, MGX`), 얼마/몇/규모/how much want a number,
//! 주기/기간/얼마 동안/how often a span of time, 언제/when a date, 시각/what time a clock
//! time. Passages without that form rank lower.
//! Detection is deliberately narrow: claims and other statements have no focus and expect
//! nothing, so their ranking does not change.

use crate::retrieval::analyzer::normalize;
use crate::retrieval::query::EN_STOPWORDS;
use crate::text::{is_hangul_syllable, native_numeral};

/// Counters that count the same things, for the form of answer ([`has_count`]): a question
/// asking `몇 곳` is answered by `세 군데`, `몇 번` by `두 차례`.
const SAME_COUNTERS: &[(&str, &str)] = &[("곳", "군데"), ("번", "차례"), ("회", "차례")];

/// The form of answer a question asks for, as far as a passage's surface can show it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Expect {
    /// Nothing in particular (also every claim and every non-question).
    #[default]
    Anything,
    /// Several things (`…기업들은?`, `which companies`): passages that enumerate.
    List,
    /// An amount or a count (`얼마`, `몇`, `규모는?`, `how much`): passages with numbers.
    Number,
    /// A count in a named unit (`몇 분`, `며칠`, `몇 명`, `몇 자리`): passages with a number
    /// followed by that counter (`150분`, `20일`, `60만 대`, `12자`).
    Count(&'static str),
    /// A span of time (`주기는?`, `기간은?`, `얼마 동안`, `얼마 만에`, `얼마마다`, `how often`):
    /// passages with a number followed by a unit of time (`12개월마다`, `30일`, `3초`).
    Duration,
    /// A date or a time of day (`언제`, `when`): passages with dates or times.
    Time,
    /// A time of day (`시각은?`, `몇 시`, `what time`): passages with clock times.
    Clock,
}

/// What a query asks for.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Focus {
    /// Index, among the query's whitespace words, of the focus word (the asked-for noun).
    pub word: Option<usize>,
    /// The form of answer the question wants.
    pub expect: Expect,
}

/// Korean plural endings on the focus noun, with the particle that follows them.
const KO_PLURAL: &[&str] = &["들은", "들이", "들을", "들로", "들과", "들"];
/// Korean determiners that ask which one(s): the next word is the focus.
const KO_WHICH: &[&str] = &["어떤", "어느", "무슨"];
/// English words that ask which one(s): the next word is the focus.
const EN_WHICH: &[&str] = &["which", "what"];
/// Korean question words that ask for an amount or a count, and focus nouns that do.
const KO_NUMBER_ASK: &[&str] = &["얼마", "몇"];
const KO_NUMBER_FOCUS: &[&str] = &[
    "규모",
    "가격",
    "금액",
    "액수",
    "비용",
    "비율",
    "성장률",
    "매출",
    "인원",
    "보유액",
];
/// English asks for an amount or a measure: `how` with an adjective of size or degree
/// (`how deep`, `how far`, `how old`) and the share words.
const EN_NUMBER_ASK: &[&str] = &[
    "how much",
    "how many",
    "how long",
    "how deep",
    "how high",
    "how tall",
    "how far",
    "how old",
    "how big",
    "how large",
    "how heavy",
    "how wide",
    "how fast",
    "how hot",
    "how cold",
    "how warm",
    "how expensive",
    "what percentage",
    "what proportion",
    "what share",
];
/// Korean counters that `몇` asks in (`몇 분`, `몇 명`), each with the unit a passage writes
/// after its number; longest first, so `몇 시간` is not read as `몇 시`. Korean grammar, not any
/// corpus: the closed class of counting words.
const KO_COUNTERS: &[(&str, &str)] = &[
    ("개월", "개월"),
    ("시간", "시간"),
    ("자리", "자"),
    ("퍼센트", "%"),
    ("분", "분"),
    ("초", "초"),
    ("일", "일"),
    ("주", "주"),
    ("년", "년"),
    ("명", "명"),
    ("개", "개"),
    ("대", "대"),
    ("평", "평"),
    ("배", "배"),
    ("번", "번"),
    ("회", "회"),
    ("건", "건"),
    ("곳", "곳"),
    ("층", "층"),
    ("세", "세"),
    ("살", "세"),
    ("원", "원"),
    ("달러", "달러"),
    ("km", "km"),
    ("kg", "kg"),
];
/// Korean nouns that ask for a span of time as the subject or topic (`교체 주기는`, `보증
/// 기간은`, `점검 간격이`; not `장마 기간인데도`, which only sets the scene), words
/// after `얼마` that do (`얼마 동안`, `얼마 만에`; also fused: `얼마마다`, `얼마만에`), and
/// English phrases.
const KO_DURATION_FOCUS: &[&str] = &["주기", "기간", "간격"];
const KO_DURATION_AFTER: &[&str] = &["동안", "만에", "마다"];
const EN_DURATION_ASK: &[&str] = &["how often", "how frequently"];
/// The units a span of time is counted in, Korean and English (a plural starts with its
/// singular: `40 minutes`).
const TIME_UNITS: &[&str] = &[
    "초", "분", "시간", "일", "주", "개월", "달", "년", "second", "minute", "hour", "day", "week",
    "month", "year",
];
/// Korean question words that ask for a date or a time, and focus nouns that do.
const KO_TIME_ASK: &[&str] = &["언제"];
const KO_TIME_FOCUS: &[&str] = &["날짜", "시점", "일자", "연도"];
/// Focus nouns and English words that ask for a time of day.
const KO_CLOCK_FOCUS: &[&str] = &["시각", "몇시"];
const EN_CLOCK_ASK: &[&str] = &["what time"];
const EN_TIME_ASK: &[&str] = &["when ", "what day", "what date", "what year"];

/// The focus of `query`: the noun after a which-word (어떤 기업들이…, which companies…), or for a
/// Korean question the last word when it is a noun with a topic particle (…기업들은?); and the
/// form of answer it asks for. A Korean statement (ending in -다, as claims do) has none, even
/// when it says 얼마 전 or 몇 년.
pub fn focus(query: &str) -> Focus {
    let norm = normalize(query);
    let words: Vec<&str> = norm
        .split_whitespace()
        .map(|w| w.trim_matches(|c: char| !c.is_alphanumeric()))
        .collect();
    // Indices stay those of the whitespace words (the query plan counts the same way).
    let last = words.iter().rposition(|w| !w.is_empty());
    if last.is_some_and(|i| words[i].ends_with('다')) {
        return Focus::default();
    }
    let word = words
        .iter()
        .position(|w| KO_WHICH.contains(w) || EN_WHICH.contains(w))
        .and_then(|i| {
            // The noun after the which-word: `what does DNA…` asks about DNA, not `does`.
            (i + 1..words.len().min(i + 4))
                .find(|&j| !words[j].is_empty() && !EN_STOPWORDS.contains(&words[j]))
        })
        .or_else(|| {
            let last = last?;
            (norm.trim_end().ends_with('?') && ends_with_topic(words[last])).then_some(last)
        });
    let expect = expect(&norm, &words, word.map(|i| words[i]));
    Focus { word, expect }
}

fn expect(norm: &str, words: &[&str], focus: Option<&str>) -> Expect {
    let asks = |ask: &[&str], nouns: &[&str], en: &[&str]| {
        words.iter().any(|w| ask.iter().any(|k| w.starts_with(k)))
            || focus.is_some_and(|f| nouns.iter().any(|k| f.starts_with(k)))
            || en.iter().any(|e| norm.contains(e))
    };
    let clock = words
        .windows(2)
        .any(|w| w[0] == "몇" && w[1].starts_with('시') && !w[1].starts_with("시간"))
        || words
            .iter()
            .any(|w| KO_CLOCK_FOCUS.iter().any(|k| w.starts_with(k)) && !w.starts_with("몇시간"))
        || EN_CLOCK_ASK.iter().any(|e| norm.contains(e));
    let duration = words.iter().any(|w| {
        KO_DURATION_FOCUS.iter().any(|k| {
            w.strip_prefix(k)
                .is_some_and(|rest| ["", "은", "는", "이", "가"].contains(&rest))
        }) || w
            .strip_prefix("얼마")
            .is_some_and(|rest| KO_DURATION_AFTER.iter().any(|k| rest.starts_with(k)))
    }) || words
        .windows(2)
        .any(|w| w[0] == "얼마" && KO_DURATION_AFTER.iter().any(|k| w[1].starts_with(k)))
        || EN_DURATION_ASK.iter().any(|e| norm.contains(e));
    if clock {
        Expect::Clock
    } else if let Some(unit) = counter(words) {
        Expect::Count(unit)
    } else if duration {
        Expect::Duration
    } else if asks(KO_NUMBER_ASK, KO_NUMBER_FOCUS, EN_NUMBER_ASK) {
        Expect::Number
    } else if asks(KO_TIME_ASK, KO_TIME_FOCUS, EN_TIME_ASK) {
        Expect::Time
    } else if focus.is_some_and(|f| is_ko_plural(f) || is_en_plural(f)) {
        Expect::List
    } else {
        Expect::Anything
    }
}

/// The counter a Korean question counts in: the word after `몇` (`몇 분`, `몇 자리`), `몇` fused
/// with it (`몇분`), or `며칠` (days).
fn counter(words: &[&str]) -> Option<&'static str> {
    let unit_of = |w: &str| {
        KO_COUNTERS
            .iter()
            .find(|(c, _)| w.starts_with(c))
            .map(|&(_, unit)| unit)
    };
    words.iter().enumerate().find_map(|(i, w)| {
        if w.starts_with("며칠") {
            return Some("일");
        }
        let after = w.strip_prefix('몇')?;
        if after.is_empty() {
            words.get(i + 1).and_then(|next| unit_of(next))
        } else {
            unit_of(after)
        }
    })
}

/// Whether `text` has the form `expect` asks for (always, for [`Expect::Anything`]).
pub fn has_form(text: &str, expect: Expect) -> bool {
    match expect {
        Expect::Anything => true,
        Expect::List => list_items(text) >= 3,
        Expect::Number => text.chars().any(|c| c.is_ascii_digit()),
        Expect::Count(unit) => has_count(text, unit),
        Expect::Duration => TIME_UNITS.iter().any(|u| has_count(text, u)),
        Expect::Time => has_time(text),
        Expect::Clock => has_clock(text),
    }
}

/// A number followed by `unit` or a counter that means the same ([`SAME_COUNTERS`]): digits,
/// then any of spaces, digits, `,.~-`, and the Korean magnitudes 십/백/천/만/억 (`60만 대`,
/// `3~6개월`, `1,200 명`), then the unit; or a Korean native numeral, a word of its own, a space
/// and the unit (`세 곳`, `두 명`, `열세 척`: [`native_numeral`]).
fn has_count(text: &str, unit: &str) -> bool {
    let units: Vec<&str> = std::iter::once(unit)
        .chain(
            SAME_COUNTERS
                .iter()
                .filter(|(u, _)| *u == unit)
                .map(|(_, other)| *other),
        )
        .collect();
    let counted = |rest: &str| units.iter().any(|u| rest.starts_with(u));
    let words: Vec<&str> = text.split_whitespace().collect();
    if words.windows(2).any(|w| {
        let numeral = w[0].trim_start_matches(|c: char| !c.is_alphanumeric());
        native_numeral(numeral).is_some() && counted(w[1])
    }) {
        return true;
    }
    let mut rest = text;
    while let Some(start) = rest.find(|c: char| c.is_ascii_digit()) {
        rest = rest[start..].trim_start_matches(|c: char| {
            c.is_ascii_digit()
                || matches!(
                    c,
                    ' ' | ',' | '.' | '~' | '-' | '십' | '백' | '천' | '만' | '억'
                )
        });
        if counted(rest) {
            return true;
        }
    }
    false
}

/// A time of day: 오전/오후, or digits followed by 시 (`2시 40분`), or `2:40`.
fn has_clock(text: &str) -> bool {
    let chars: Vec<char> = text.chars().collect();
    text.contains("오전")
        || text.contains("오후")
        || chars
            .windows(2)
            .any(|w| w[0].is_ascii_digit() && w[1] == '시')
        || chars
            .windows(3)
            .any(|w| w[0].is_ascii_digit() && w[1] == ':' && w[2].is_ascii_digit())
}

/// A date or a time of day: digits followed by 년/월/일/시/분, an English month name, a date
/// written with dashes or slashes as tables and forms write it ([`numeric_date`]), or a year
/// written alone as English text writes it (`completed in 1874`: [`bare_year`]).
fn has_time(text: &str) -> bool {
    let chars: Vec<char> = text.chars().collect();
    let korean = chars.windows(2).enumerate().any(|(i, w)| {
        w[0].is_ascii_digit()
            && (matches!(w[1], '년' | '월' | '일' | '시' | '분')
                || (w[1] == '세' && chars.get(i + 2) == Some(&'기')))
    });
    const MONTHS: &[&str] = &[
        "january",
        "february",
        "march",
        "april",
        "may ",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
    ];
    let lower = text.to_lowercase();
    korean
        || lower.contains("centur")
        || MONTHS.iter().any(|m| lower.contains(m))
        || numeric_date(&chars)
        || bare_year(text)
}

/// A date as year, month and day joined by `-` or `/` (`2026-02-02`, `2025/9/1`): a year from
/// 1000 to 2199 not inside a longer number or a word, then a month of one or two digits and a day
/// of one or two digits, each after the same mark.
fn numeric_date(chars: &[char]) -> bool {
    let digits_from = |k: usize| chars[k..].iter().take_while(|c| c.is_ascii_digit()).count();
    (0..chars.len()).any(|i| {
        let starts = i == 0 || !chars[i - 1].is_alphanumeric();
        if !starts
            || digits_from(i) != 4
            || !(chars[i] == '1' || (chars[i] == '2' && chars[i + 1] <= '1'))
        {
            return false;
        }
        let mark = match chars.get(i + 4) {
            Some(&m @ ('-' | '/')) => m,
            _ => return false,
        };
        let month = digits_from(i + 5);
        let day_at = i + 5 + month;
        (1..=2).contains(&month)
            && chars.get(day_at) == Some(&mark)
            && (1..=2).contains(&digits_from(day_at + 1))
            && chars
                .get(day_at + 1 + digits_from(day_at + 1))
                .is_none_or(|c| !c.is_ascii_digit())
    })
}

/// Four digits from 1000 to 2199 standing alone: not part of a longer number (`1,874`, `3.1874`)
/// or a code (`RV7-2409`), and not followed by a letter or another counter (`1300만`, `2024명`).
fn bare_year(text: &str) -> bool {
    let chars: Vec<char> = text.chars().collect();
    let at = |k: Option<usize>| k.and_then(|k| chars.get(k)).copied();
    let apart = |k: Option<usize>| {
        at(k).is_none_or(|c| {
            c.is_whitespace() || matches!(c, '(' | ')' | '.' | ',' | ';' | ':' | '\'' | '"')
        })
    };
    // A mark between digits joins one number (`3.1874`, `1874,5`).
    let joins = |mark: Option<usize>, beyond: Option<usize>| {
        matches!(at(mark), Some('.' | ',')) && at(beyond).is_some_and(|c| c.is_ascii_digit())
    };
    chars.windows(4).enumerate().any(|(i, w)| {
        w.iter().all(char::is_ascii_digit)
            && matches!(w[0], '1' | '2')
            && (w[0] == '1' || w[1] <= '1')
            && apart(i.checked_sub(1))
            && apart(Some(i + 4))
            && !joins(i.checked_sub(1), i.checked_sub(2))
            && !joins(Some(i + 4), Some(i + 5))
    })
}

/// `기업들은`, `회사들이`: a noun of at least two syllables plus the plural marker.
fn is_ko_plural(word: &str) -> bool {
    KO_PLURAL.iter().any(|p| {
        word.strip_suffix(p)
            .is_some_and(|stem| stem.chars().count() >= 2 && stem.chars().all(is_hangul_syllable))
    })
}

/// `companies`, `firms`: an English plural noun (not `is`, `was`, `has`…).
fn is_en_plural(word: &str) -> bool {
    const SINGULAR: &[&str] = &["news", "series", "lens", "this", "does", "gas"];
    word.len() > 3
        && word.ends_with('s')
        && !word.ends_with("ss")
        && !word.ends_with("us")
        && !word.ends_with("is")
        && !SINGULAR.contains(&word)
        && word.chars().all(|c| c.is_ascii_alphabetic())
}

/// A Hangul word ending in the topic particle 은/는: the shape of a Korean question's focus.
fn ends_with_topic(word: &str) -> bool {
    word.chars().count() >= 2
        && word.chars().all(is_hangul_syllable)
        && (word.ends_with('은') || word.ends_with('는'))
        && !word.ends_with("하는")
        && !word.ends_with("되는")
}

/// Longest enumeration in `text`, in items: names joined by a middle dot (`A·B·C`: 3) or by
/// commas between short items (`A, B, C와`: 3). Digit groups (`1,720`) are not lists; a comma
/// list needs three items, since two comma-joined parts are usually clauses.
pub fn list_items(text: &str) -> usize {
    dot_list(text).max(comma_list(text))
}

fn dot_list(text: &str) -> usize {
    let chars: Vec<char> = text.chars().collect();
    let (mut best, mut run) = (0, 1);
    let mut since_sep = usize::MAX;
    for (i, &c) in chars.iter().enumerate() {
        let joins = matches!(c, '·' | 'ㆍ' | '・')
            && i > 0
            && i + 1 < chars.len()
            && chars[i - 1].is_alphanumeric()
            && chars[i + 1].is_alphanumeric();
        if joins {
            // A run goes on while the items between dots stay name-sized.
            run = if since_sep <= 12 { run + 1 } else { 2 };
            best = best.max(run);
            since_sep = 0;
        } else if c.is_whitespace() && since_sep != usize::MAX {
            since_sep = usize::MAX;
        } else if since_sep != usize::MAX {
            since_sep += 1;
        }
    }
    best
}

fn comma_list(text: &str) -> usize {
    let parts: Vec<&str> = text.split(',').collect();
    let short =
        |item: &str| item.trim().chars().count() <= 15 && item.split_whitespace().count() <= 2;
    let (mut best, mut commas) = (0, 0);
    for k in 1..parts.len() {
        let digit_group = parts[k - 1].ends_with(|c: char| c.is_ascii_digit())
            && parts[k].starts_with(|c: char| c.is_ascii_digit());
        if digit_group || !parts[k].starts_with(' ') {
            commas = 0;
            continue;
        }
        // Between two commas of one list stands one short item.
        if commas > 0 && !short(parts[k - 1]) {
            commas = 0;
        }
        commas += 1;
        best = best.max(commas + 1);
    }
    if best >= 3 {
        best
    } else {
        0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plural_korean_question_wants_a_list() {
        let f = focus("스타게이트 프로젝트에 참여하는 기업들은?");
        assert_eq!(f.word, Some(3));
        assert_eq!(f.expect, Expect::List);
        let f = focus("어떤 회사들이 투자했나?");
        assert_eq!(f.word, Some(1));
        assert_eq!(f.expect, Expect::List);
    }

    #[test]
    fn singular_and_non_questions() {
        let f = focus("앱솔릭스가 추진하는 제2공장의 연간 규모는?");
        assert_eq!(f.word, Some(4));
        assert_eq!(f.expect, Expect::Number);
        assert_eq!(
            focus("소프트뱅크는 샤프 공장을 인수했다."),
            Focus::default()
        );
        // 참여하는 is a verb form, not a topic-marked noun.
        assert_eq!(focus("스타게이트에 참여하는?").word, None);
        // 그들은: a pronoun, not a plural noun.
        assert_eq!(focus("그들은?").expect, Expect::Anything);
        assert_eq!(focus("독일 로봇 스타트업은?").expect, Expect::Anything);
    }

    #[test]
    fn english_which_question() {
        let f = focus("Which companies take part in Stargate?");
        assert_eq!(f.word, Some(1));
        assert_eq!(f.expect, Expect::List);
        assert_eq!(
            focus("Which company bought Ampere?").expect,
            Expect::Anything
        );
        assert_eq!(focus("What does DNA stand for?").word, Some(2));
        assert_eq!(focus("What does DNA stand for?").expect, Expect::Anything);
        assert_eq!(
            focus("Which news outlet reported it?").expect,
            Expect::Anything
        );
        assert_eq!(focus("What are the companies taking part?").word, Some(3));
        assert_eq!(
            focus("What are the companies taking part?").expect,
            Expect::List
        );
        assert_eq!(
            focus("How many jobs will it create?").expect,
            Expect::Number
        );
        assert_eq!(focus("When did Musk post?").expect, Expect::Time);
    }

    #[test]
    fn time_and_number_questions() {
        assert_eq!(focus("회동이 열린 날짜는 언제인가?").expect, Expect::Time);
        assert_eq!(focus("도착한 시각은 언제인가?").expect, Expect::Clock);
        assert_eq!(focus("몇 시에 도착했나?").expect, Expect::Clock);
        assert_eq!(focus("일자리가 몇 개 생기나?").expect, Expect::Count("개"));
        assert_eq!(focus("몇시간 걸리나?").expect, Expect::Count("시간"));
        assert_eq!(focus("현금 보유액은 얼마였나?").expect, Expect::Number);
        // A claim asks nothing, even with a question word in it.
        assert_eq!(
            focus("소프트뱅크는 얼마 전 공장을 샀다.").expect,
            Expect::Anything
        );
        assert_eq!(focus("어떤 기업들이 참여했는지 공개되지 않았다").word, None);
        // A stray mark does not move the focus off its word.
        assert_eq!(focus("— 참여하는 기업들은 ?").word, Some(2));
        assert_eq!(
            focus("회동은 3시간 동안 진행됐다.").expect,
            Expect::Anything
        );
    }

    #[test]
    fn forms_are_recognised() {
        assert!(has_form("이날 오후 2시 40분경 도착", Expect::Time));
        assert!(!has_form("서울 삼성전자 사옥에 도착", Expect::Time));
        // Dates as tables write them; codes and figures are none.
        for date in [
            "| 인증 | 2026-02-02 | 2026-03-13 |",
            "접수 2025/9/1 마감",
            "2024-12-31",
        ] {
            assert!(has_form(date, Expect::Time), "{date}");
        }
        for other in [
            "RV7-2409-1",
            "모델 X2025-01-02",
            "3025-01-02",
            "2025-123-1",
            "1,2024-01-0123",
        ] {
            assert!(!has_form(other, Expect::Time), "{other}");
        }
        assert!(has_form("이날 오후 2시 40분경 도착", Expect::Clock));
        assert!(!has_form("4일 서울에 도착", Expect::Clock));
        assert!(has_form("16세기 말에 들어왔다", Expect::Time));
        assert!(!has_form("16세 소년", Expect::Time));
        assert!(has_form("10만 개", Expect::Number));
        assert_eq!(
            focus("한 번 충전하면 몇 분 동안 청소하나요?").expect,
            Expect::Count("분")
        );
        assert_eq!(focus("남편은 며칠 쉴 수 있나?").expect, Expect::Count("일"));
        assert_eq!(
            focus("비밀번호는 최소 몇 자리로 만들어야 하나?").expect,
            Expect::Count("자")
        );
        assert_eq!(focus("몇 시간 걸리나?").expect, Expect::Count("시간"));
        assert!(has_form("사용 시간: 최대 150분", Expect::Count("분")));
        assert!(has_form("연간 60만 대의 제품을", Expect::Count("대")));
        assert!(has_form("3~6개월마다 교체", Expect::Count("개월")));
        assert!(!has_form(
            "필터 버튼을 3초 동안 누르면",
            Expect::Count("분")
        ));
        assert!(!has_form("분기마다 점검", Expect::Count("분")));
        // Native numerals, a word of their own, and counters that count the same things.
        assert!(has_form(
            "전 세계에서도 세 군데 밖에 없지만",
            Expect::Count("곳")
        ));
        assert!(has_form("이사 두 명이 반대했다", Expect::Count("명")));
        assert!(has_form("남은 배 열세 척으로", Expect::Count("척")));
        assert!(has_form("회의는 세 차례 열렸다", Expect::Count("번")));
        assert!(!has_form("세계 곳곳에 있다", Expect::Count("곳")));
        assert!(!has_form("한편 곳곳에서", Expect::Count("곳")));
        assert!(!has_form("두 사람이 왔다", Expect::Count("명")));
        assert!(!has_form("일자리가 생긴다", Expect::Number));
        assert!(has_form("아무 글", Expect::Anything));
    }

    #[test]
    fn english_forms_of_answer() {
        let d = |q: &str| focus(q).expect;
        assert_eq!(
            d("How deep is the lake at its deepest point?"),
            Expect::Number
        );
        assert_eq!(d("How far is the station from the lake?"), Expect::Number);
        assert_eq!(
            d("What percentage of income came from grants?"),
            Expect::Number
        );
        assert_eq!(d("When was the lighthouse completed?"), Expect::Time);
        // A year alone is a date in English text; a longer number, a code or a count is not.
        assert!(has_form(
            "It was completed in 1874 after two wrecks.",
            Expect::Time
        ));
        assert!(has_form("automated (1987).", Expect::Time));
        assert!(!has_form("about 1,874 visitors", Expect::Time));
        assert!(!has_form("a ratio of 3.1874", Expect::Time));
        assert!(!has_form("제조번호가 RV7-2409로 시작하는", Expect::Time));
        assert!(!has_form("약 1300만 명의 식수원", Expect::Time));
        assert!(!has_form("the lake is 3000 metres long", Expect::Time));
        assert!(!has_form("a depth of 58 metres", Expect::Time));
        // Spans of time counted in English units.
        assert!(has_form("Buses leave every 40 minutes", Expect::Duration));
        assert!(has_form("a warranty of 2 years", Expect::Duration));
        assert!(!has_form("tickets cost 3 pounds", Expect::Duration));
    }

    #[test]
    fn spans_of_time_are_asked_for() {
        let d = |q: &str| focus(q).expect;
        assert_eq!(
            d("AP-500 필터 교체 주기는 어떻게 되나요?"),
            Expect::Duration
        );
        assert_eq!(d("보증 기간은 어떻게 계산하나요?"), Expect::Duration);
        assert_eq!(d("필터는 얼마 만에 갈아야 해?"), Expect::Duration);
        assert_eq!(d("옆 솔은 얼마마다 바꿔야 하나요?"), Expect::Duration);
        assert_eq!(
            d("How often should the filter be replaced?"),
            Expect::Duration
        );
        // The scene, not the focus; a counter says more; a statement asks nothing.
        assert_eq!(
            d("장마 기간인데도 비가 안 오는 것을 뭐라고 해?"),
            Expect::Anything
        );
        assert_eq!(d("쉬는 기간은 며칠인가?"), Expect::Count("일"));
        assert_eq!(d("보증 기간은 2년이다."), Expect::Anything);
        assert!(has_form("약 12개월마다 교체하십시오", Expect::Duration));
        assert!(has_form("처음 30일은 유급으로", Expect::Duration));
        assert!(!has_form(
            "필터 세트의 모델명은 F-500이며",
            Expect::Duration
        ));
    }

    #[test]
    fn lists_are_counted() {
        assert_eq!(list_items("오픈AI·오러클·소프트뱅크 투자사 참여"), 3);
        assert_eq!(list_items("TSMC·삼성전자에 미국 제조기지"), 2);
        assert_eq!(
            list_items("또한 OpenAI, 오라클, 아랍에미리트 MGX와 함께"),
            3
        );
        assert_eq!(list_items("약 1,720억 달러의 순자산"), 0);
        assert_eq!(list_items("또한, 소프트뱅크는 대규모 설비 투자에 있어"), 0);
        assert_eq!(list_items("소프트뱅크그룹 자회사인 기업 Arm은"), 0);
    }
}
