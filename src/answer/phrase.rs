//! A short answer copied from its quote, widened to the phrase the quote gives it: the words
//! that qualify it on its left (`7년` → `생산 종료 후 7년`, `6시` → `근무일 전날 오후 6시까지`,
//! `상품권` → `1건당 3만 원 상당의 상품권`) and a bound glued to its end (`까지`, `경`). A small
//! model answers with the bare figure or noun, which reads as another fact than the source's
//! (`6시` is not `전날 오후 6시까지`). Only Korean text is read this way: the words taken are
//! those of the noun phrase the answer ends, up to a word that closes a clause or marks another
//! part of the sentence (a topic, subject or object particle, a verb ending, punctuation).
//!
//! Two other readings of the quote go with it: an answer the model spaced otherwise than its
//! quote (`1,870 대`) is found as the quote spaces it ([`as_spaced`]), and a name the quote gives
//! beside another (`'아프리카 습윤기' 또는 '초록 사하라'`) comes with that other name
//! ([`with_other_name`]).

use crate::text::char_len;

/// Most characters of an answer that is widened: longer answers already say their phrase.
const MAX_ANSWER_CHARS: usize = 16;
/// Most words an answer of its own may have.
const MAX_ANSWER_WORDS: usize = 3;
/// Most words taken from the left.
const MAX_LEFT_WORDS: usize = 4;

/// Last syllables of a word that ends a noun phrase's modifiers: particles (`은`, `를`, `에`,
/// `로`…) and verb endings (`하고`, `하며`, `되면`, `한`, `된`, `섞어`…). A word ending so
/// belongs to another part of the sentence.
const CLOSING: &str =
    "은는이가을를에도만로와과고며면서다요게지여해한된던난운린진까께랑니어아워너려";

/// Last syllables that close a word holding a figure (`2030년까지`, `10개월이`, `5명은`).
const FIGURE_CLOSING: &str = "은는이가을를에도와과로지서다고며면";

/// Particles of more than one syllable whose last one [`CLOSING`] cannot hold (`센터` is a
/// noun, `때부터` is not).
const CLOSING_PARTICLES: [&str; 4] = ["부터", "처럼", "마다", "한테"];

/// Words that relate what follows them to a word before (`전년 동기(88억 원) 대비`, `전라남도
/// 출신의`): taken only with that word.
const RELATIONAL: [&str; 5] = ["대비", "기준", "대해", "관련", "출신"];

/// Bounds a figure may carry glued to its end (`6시까지`, `40분경`), longest first.
const BOUNDS: [&str; 11] = [
    "까지", "부터", "이내", "이상", "이하", "미만", "가량", "경", "쯤", "씩", "째",
];

/// `answer` widened to its phrase in `quote`, or `None` when the answer is not a short run of
/// `quote` standing on word boundaries, or the quote adds nothing to it.
pub fn widen(answer: &str, quote: &str) -> Option<String> {
    let answer = answer.trim();
    if answer.is_empty()
        || char_len(answer) > MAX_ANSWER_CHARS
        || answer.split_whitespace().count() > MAX_ANSWER_WORDS
        || lists(answer)
    {
        return None;
    }
    let at = quote.match_indices(answer).map(|(i, _)| i).find(|&i| {
        quote[..i]
            .chars()
            .next_back()
            .is_none_or(|c| !c.is_alphanumeric())
    })?;
    let end = at + answer.len();
    let figure = answer.chars().any(|c| c.is_ascii_digit());
    // A bound belongs to a figure (`6시까지`), not to a name (`우림까지`).
    let mut stop = end + if figure { bound(&quote[end..]) } else { 0 };
    let cut = answer.ends_with(|c: char| c.is_ascii_digit())
        && quote[stop..]
            .chars()
            .next()
            .is_some_and(char::is_alphanumeric);
    if cut {
        // A figure without the rest of its word (`14` of `14건`): the model cut it; left as
        // written. A particle after a word is not part of it (`10mm의`).
        return None;
    }
    let (start, open) = left(quote, at, quote[stop..].starts_with(')'), figure);
    if open {
        // The answer closes the parenthesis of the word it qualifies (`33㎡(약 10평)`).
        stop += 1;
    }
    let phrase = quote[start..stop].trim();
    (phrase != answer).then(|| phrase.to_string())
}

/// Whether `answer` names several things: it holds a list's separator (`,` `、` `·` `/`), a
/// comma between digits aside (`1,870대` is one figure).
fn lists(answer: &str) -> bool {
    let chars: Vec<char> = answer.chars().collect();
    chars.iter().enumerate().any(|(i, &c)| match c {
        ',' => {
            let digit = |j: Option<usize>| {
                j.and_then(|j| chars.get(j))
                    .is_some_and(char::is_ascii_digit)
            };
            !(digit(i.checked_sub(1)) && digit(Some(i + 1)))
        }
        '、' | '·' | '/' => true,
        _ => false,
    })
}

/// The run of `quote` that reads as `answer` once spaces are set aside (`1,870대` for the
/// model's `1,870 대`), starting on a word boundary; `None` when the quote has none or writes it
/// as the answer does. A small model spaces a figure and its counter apart, and the answer is
/// then no run of its quote to widen.
pub fn as_spaced<'q>(answer: &str, quote: &'q str) -> Option<&'q str> {
    let wanted: Vec<char> = answer.chars().filter(|c| !c.is_whitespace()).collect();
    if wanted.is_empty() {
        return None;
    }
    let have: Vec<(usize, char)> = quote
        .char_indices()
        .filter(|(_, c)| !c.is_whitespace())
        .collect();
    let found = have.windows(wanted.len()).find(|w| {
        w.iter().map(|(_, c)| *c).eq(wanted.iter().copied()) && starts_a_word(&quote[..w[0].0])
    })?;
    let (start, (last, c)) = (found[0].0, found[found.len() - 1]);
    let run = &quote[start..last + c.len_utf8()];
    (run != answer.trim()).then_some(run)
}

/// Whether a word starts after `before`: it ends in no letter, digit, or separator of a
/// number's digits (`870` does not start a word in `1,870`).
fn starts_a_word(before: &str) -> bool {
    let mut back = before.chars().rev();
    match back.next() {
        None => true,
        Some(c) if c.is_alphanumeric() => false,
        Some(',' | '.') => !back.next().is_some_and(|c| c.is_ascii_digit()),
        Some(_) => true,
    }
}

/// Marks that open and close a term a text names (`'초록 사하라'`, `『직지』`).
const TERM_MARKS: [(char, char); 6] = [
    ('\'', '\''),
    ('‘', '’'),
    ('"', '"'),
    ('“', '”'),
    ('「', '」'),
    ('『', '』'),
];

/// Words that join a term to its other name (`'아프리카 습윤기' 또는 '초록 사하라'`).
const OTHER_NAME: [&str; 2] = ["또는", "혹은"];

/// A named term's other name beside it in `quote`: the answer is one of two marked terms the
/// quote joins by `또는` or `혹은`, and the run of the quote that holds both is returned
/// (`'아프리카 습윤기' 또는 '초록 사하라'` for `초록 사하라`). A reader asked what a thing is
/// called is owed both names the source gives, not the one a small model happened to copy.
pub fn with_other_name<'q>(answer: &str, quote: &'q str) -> Option<&'q str> {
    let answer = answer.trim_matches(|c: char| {
        c.is_whitespace() || TERM_MARKS.iter().any(|m| m.0 == c || m.1 == c)
    });
    if answer.is_empty() {
        return None;
    }
    // Each marked term of the quote: the byte range with its marks.
    let mut terms = Vec::new();
    for (open, close) in TERM_MARKS {
        let mut from = 0;
        while let Some(i) = quote[from..].find(open).map(|i| from + i) {
            let inner = i + open.len_utf8();
            let Some(j) = quote[inner..].find(close).map(|j| inner + j) else {
                break;
            };
            terms.push((i, j + close.len_utf8(), &quote[inner..j]));
            from = j + close.len_utf8();
        }
    }
    terms.sort_unstable();
    terms.windows(2).find_map(|w| {
        let ((a_start, a_end, a), (b_start, b_end, b)) = (w[0], w[1]);
        // A term inside another (`"… '올트먼을 경멸한다'고 …"`) is no neighbour of it.
        let joined = a_end <= b_start && OTHER_NAME.contains(&quote[a_end..b_start].trim());
        (joined && (a == answer || b == answer)).then(|| &quote[a_start..b_end])
    })
}

/// Where the phrase ending at `at` starts: back over the words that qualify it. Inside
/// parentheses the words stop at the opening one; the word before it is taken too, with the
/// whole parenthesis, when it qualifies and the parenthesis closes right after the answer
/// (`closes`: `33㎡(약 10평)`, not `많았고(응답자의 46%)`) and the answer is a `figure`. The flag
/// is true when so taken.
fn left(quote: &str, at: usize, closes: bool, figure: bool) -> (usize, bool) {
    // Starts of the words taken, nearest first.
    let mut taken: Vec<(usize, &str)> = Vec::new();
    let mut rest = &quote[..at];
    let open = loop {
        let trimmed = rest.trim_end();
        // Glued to the answer: only an opening parenthesis is read (`(10평`).
        let glued = trimmed.len() == rest.len() && !rest.is_empty() && !rest.ends_with('(');
        if glued || trimmed.is_empty() || taken.len() == MAX_LEFT_WORDS {
            break false;
        }
        let word_start = trimmed
            .char_indices()
            .rev()
            .find(|(_, c)| c.is_whitespace())
            .map_or(0, |(i, c)| i + c.len_utf8());
        let word = &trimmed[word_start..];
        if let Some(p) = word.rfind('(').filter(|&p| !word[p..].contains(')')) {
            let (before, inner) = (&word[..p], &word[p + 1..]);
            if !inner.is_empty() {
                if !qualifies(inner) {
                    break false;
                }
                taken.push((word_start + p + 1, inner));
            }
            // A figure's other form (`33㎡(약 10평)`), not a name's (`정밀공업(폭스콘)`).
            if closes && figure && qualifies(before) {
                taken.push((word_start, word));
                break true;
            }
            break false;
        }
        // A date before a name or a noun sets the scene (`4일 서울`); before a figure it is
        // part of it (`4일 오후 2시`).
        if !qualifies(word) || (!figure && is_date(word)) {
            break false;
        }
        taken.push((word_start, word));
        rest = &trimmed[..word_start];
    };
    // A word that relates the phrase to one left out (`대비`, `기준`) is left out with it.
    while !open
        && taken
            .last()
            .is_some_and(|(_, w)| RELATIONAL.contains(&w.trim_end_matches('의')))
    {
        taken.pop();
    }
    (taken.last().map_or(at, |(i, _)| *i), open)
}

/// Whether `word` qualifies the phrase after it: a bare noun (`생산`, `전날`), a figure (`3만`,
/// `1건당`), a genitive (`상당의`), not a word of another part of the sentence.
fn qualifies(word: &str) -> bool {
    let Some(last) = word.chars().next_back() else {
        return false;
    };
    if CLOSING_PARTICLES.iter().any(|p| word.ends_with(p)) {
        return false;
    }
    if word.chars().any(|c| c.is_ascii_digit()) {
        // A figure's unit or magnitude may end in a closing syllable (`3만`, `20일`) or a
        // sign (`33㎡`, `5%`), not in a particle or a clause's punctuation.
        return !FIGURE_CLOSING.contains(last) && !",.;:!?\"'”’)".contains(last);
    }
    if last == '의' {
        return true;
    }
    crate::text::is_hangul_syllable(last) && !CLOSING.contains(last)
}

/// Whether `word` is a date or a day (`4일`, `2025년`, `3월`, `15일부터` is not taken anyway).
fn is_date(word: &str) -> bool {
    let digits = word.trim_end_matches(['일', '월', '년']);
    digits.len() < word.len() && !digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit())
}

/// Bytes of a bound glued to the answer's end in `after` (`까지` of `까지 그룹웨어…`), or 0.
fn bound(after: &str) -> usize {
    BOUNDS
        .iter()
        .find(|b| {
            after.starts_with(*b)
                && after[b.len()..]
                    .chars()
                    .next()
                    .is_none_or(|c| !c.is_alphanumeric())
        })
        .map_or(0, |b| b.len())
}

/// Texts for property tests of answers and quotes: runs of `pieces` (words, figures, marks,
/// particles) and of up to three arbitrary characters, `count` of them.
#[cfg(test)]
pub(crate) fn text_of(
    pieces: Vec<&'static str>,
    count: std::ops::Range<usize>,
) -> impl proptest::strategy::Strategy<Value = String> {
    use proptest::prelude::*;
    prop::collection::vec(
        prop_oneof![
            prop::sample::select(pieces).prop_map(String::from),
            "\\PC{0,3}",
        ],
        count,
    )
    .prop_map(|parts| parts.concat())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// A widened answer is a run of its quote that holds the answer, and adds at most the
        /// words allowed, a parenthesis and a bound; nothing panics on any text.
        #[test]
        fn a_widened_answer_is_a_run_of_the_quote(
            quote in text_of(
                vec![
                    " ", "7년", "생산", "후", "은", "를", "(", ")", "약", "10평", "33㎡", "까지",
                    "의", ",", "대비", "섞어", "14", "건", "오후 6시",
                ],
                0..12,
            ),
            answer in prop::sample::select(vec!["7년", "10평", "6시", "14", "오후 6시", "생산"]),
        ) {
            if let Some(phrase) = widen(answer, &quote) {
                prop_assert!(quote.contains(phrase.as_str()), "{} / {}", phrase, quote);
                prop_assert!(phrase.contains(answer));
                prop_assert!(phrase != answer);
                let added = phrase.split_whitespace().count() - answer.split_whitespace().count();
                prop_assert!(added <= MAX_LEFT_WORDS + 1, "{} / {}", phrase, quote);
            }
        }
    }

    proptest! {
        /// A respaced answer is a run of its quote that reads as the answer without spaces; an
        /// answer with its other name is a run of the quote that holds it. Nothing panics.
        #[test]
        fn respaced_and_renamed_answers_are_runs_of_the_quote(
            quote in text_of(
                vec![
                    " ", "1,870", "대", "'", "\"", "『", "』", "또는", "혹은", "초록", "사하라", ",",
                    "(",
                ],
                0..12,
            ),
            answer in prop::sample::select(vec!["1,870 대", "초록 사하라", "사하라", "대", "'"]),
        ) {
            let squeeze = |s: &str| s.chars().filter(|c| !c.is_whitespace()).collect::<String>();
            if let Some(run) = as_spaced(answer, &quote) {
                prop_assert!(quote.contains(run));
                prop_assert_eq!(squeeze(run), squeeze(answer));
            }
            if let Some(both) = with_other_name(answer, &quote) {
                prop_assert!(quote.contains(both));
                prop_assert!(both.contains(answer.trim_matches('\'')));
            }
        }
    }

    #[test]
    fn figures_take_their_qualifiers() {
        let q = "재택근무를 하려는 직원은 근무일 전날 오후 6시까지 그룹웨어의 근태 시스템으로 신청하고 팀장의 승인을 받아야 한다.";
        assert_eq!(widen("6시", q).as_deref(), Some("근무일 전날 오후 6시까지"));
        let q = "제품 뒷면의 배수구 마개를 빼고 안지름 10mm의 호스를 연결한 뒤, 호스 끝을 낮은 곳에 두십시오.";
        assert_eq!(widen("10mm", q).as_deref(), Some("안지름 10mm"));
        let q = "아차사고를 신고한 직원에게는 1건당 3만 원 상당의 상품권을 지급한다.";
        assert_eq!(
            widen("상품권", q).as_deref(),
            Some("1건당 3만 원 상당의 상품권")
        );
        let q = "손정의 회장은 4일 오후 2시 40분경 삼성전자 사옥에 도착했다.";
        assert_eq!(
            widen("오후 2시 40분", q).as_deref(),
            Some("4일 오후 2시 40분경")
        );
        assert_eq!(
            widen("사용 면적: 33㎡(약 10평)", "사용 면적: 33㎡(약 10평)"),
            None
        );
        assert_eq!(
            widen("10평", "사용 면적: 33㎡(약 10평)").as_deref(),
            Some("33㎡(약 10평)")
        );
    }

    #[test]
    fn other_parts_of_the_sentence_stay_out() {
        // A topic, an object, a clause ending: nothing to take.
        let q = "회사는 2022년 배출량을 기준으로 2030년까지 온실가스를 40% 줄이고, 목표를 세웠다.";
        assert_eq!(widen("40%", q), None);
        let q = "보안 사고를 발견한 때부터 1시간 안에 정보보안팀에 신고해야 한다.";
        assert_eq!(widen("1시간", q), None);
        // Not on a word boundary: `3개월` inside `13개월`.
        assert_eq!(widen("3개월", "보증은 13개월이다."), None);
        // Not in the quote, too long, or a list: left alone.
        assert_eq!(widen("7년", "부품은 5년 동안 보관한다."), None);
        assert_eq!(widen("OpenAI, 오라클", "전날 OpenAI, 오라클과 함께"), None);
        assert_eq!(widen("3,200대,1,870대", "대상 3,200대,1,870대"), None);
        // A thousands separator is no list.
        let q = "5월 16일 기준 대상 3,200대 가운데 1,870대(58%) 점검 완료";
        assert_eq!(
            widen("1,870대", q).as_deref(),
            Some("대상 3,200대 가운데 1,870대")
        );
        assert_eq!(
            widen(
                "부품은 생산 종료 후 7년 동안 보관합니다",
                "부품은 생산 종료 후 7년 동안 보관합니다."
            ),
            None
        );
        // Inside parentheses: the words stop at the opening one, and the word before it is
        // taken only when the parenthesis is the answer's own.
        let q = "재택근무가 더 효율적이라는 답이 많았고(응답자의 46%), 나머지는 같다고 했다.";
        assert_eq!(widen("46%", q).as_deref(), Some("응답자의 46%"));
        let q = "제습기: 620억 원(매출 비중 38%, 전년 동기 대비 +14%)";
        assert_eq!(widen("38%", q).as_deref(), Some("매출 비중 38%"));
        let q = "1년 동안 1일의 연차 휴가가 생긴다(최대 11일).";
        assert_eq!(widen("11일", q).as_deref(), Some("최대 11일"));
        assert_eq!(
            widen("58%", "회수 1,870대(58%)").as_deref(),
            Some("1,870대(58%)")
        );
        // A verb, a relating word cut from its complement, a bound after a name: not taken.
        let q = "먼지는 대서양을 건너 남아메리카의 아마존 열대 우림까지 날아간다.";
        assert_eq!(
            widen("아마존 열대 우림", q).as_deref(),
            Some("남아메리카의 아마존 열대 우림")
        );
        let q = "1896년 무렵 전라남도 출신의 백낙준이 처음 짰다.";
        assert_eq!(widen("백낙준", q), None);
        // A name's other form in parentheses, and a date before a name, are not taken.
        assert_eq!(
            widen("폭스콘", "대만의 훙하이 정밀공업(폭스콘)과 함께"),
            None
        );
        let q = "손정의 회장은 4일 서울 서초구 삼성전자 사옥에서 만났다.";
        assert_eq!(widen("서울", q), None);
        assert_eq!(
            widen("3시", "4일 오후 3시에 만났다.").as_deref(),
            Some("4일 오후 3시")
        );
        // An answer that ends inside a word was cut by the model: left as it is.
        assert_eq!(widen("14", "아차사고 제보 14건이 접수되었다."), None);
        // A figure with a particle closes its phrase too.
        let q = "그 뒤 2030년까지 1,000명을 뽑는다.";
        assert_eq!(widen("1,000명", q), None);
        // A verb before the figure, or a relating word left alone, is not taken.
        assert_eq!(
            widen("12자", "영문과 숫자를 섞어 12자 이상으로 정한다."),
            None
        );
        let q = "영업이익률은 전년 동기(5.1%) 대비 35.5% 늘었다.";
        assert_eq!(widen("35.5%", q), None);
        let q = "영업이익률은 전년 대비 35.5% 늘었다.";
        assert_eq!(widen("35.5%", q).as_deref(), Some("전년 대비 35.5%"));
        // A particle glued to the end is not a bound.
        let q = "부품은 생산 종료 후 7년을 보관한다.";
        assert_eq!(widen("7년", q).as_deref(), Some("생산 종료 후 7년"));
    }

    #[test]
    fn an_answer_spaced_otherwise_is_found_as_its_quote_spaces_it() {
        let q = "5월 16일 기준 대상 3,200대 가운데 1,870대(58%) 점검 완료";
        assert_eq!(as_spaced("1,870 대", q), Some("1,870대"));
        assert_eq!(as_spaced("대상 3,200 대", q), Some("대상 3,200대"));
        // Written as the quote writes it, not in it, or inside a word: nothing.
        assert_eq!(as_spaced("1,870대", q), None);
        assert_eq!(as_spaced("2,000 대", q), None);
        assert_eq!(as_spaced("870 대", q), None);
        assert_eq!(as_spaced(" ", q), None);
    }

    #[test]
    fn a_name_comes_with_the_other_name_its_quote_gives() {
        let q = "이 시기를 '아프리카 습윤기' 또는 '초록 사하라'라 부른다.";
        assert_eq!(
            with_other_name("초록 사하라", q),
            Some("'아프리카 습윤기' 또는 '초록 사하라'")
        );
        assert_eq!(
            with_other_name("'아프리카 습윤기'", q),
            Some("'아프리카 습윤기' 또는 '초록 사하라'")
        );
        let q = "현존하는 가장 오래된 금속활자본은 『직지심체요절』 또는 『직지』라고 불린다.";
        assert_eq!(
            with_other_name("직지", q),
            Some("『직지심체요절』 또는 『직지』")
        );
        // Terms listed, not named twice; a term not marked; an answer of another term.
        assert_eq!(
            with_other_name("비단길", "「침향무」, 「비단길」 등을 지었다."),
            None
        );
        assert_eq!(
            with_other_name("초록 사하라", "초록 사하라라 부른다."),
            None
        );
        assert_eq!(with_other_name("사하라", q), None);
        assert_eq!(with_other_name("", q), None);
        // A term inside another is not beside it.
        let q = "WSJ는 \"머스크는 '올트먼을 경멸한다'고 얘기한다는 게 측근들 전언\"이라고 전했다.";
        assert_eq!(with_other_name("올트먼을 경멸한다", q), None);
    }

    #[test]
    fn at_most_four_words_are_taken() {
        let q = "가 나 하 파 타 카 7년";
        assert_eq!(widen("7년", q).as_deref(), Some("하 파 타 카 7년"));
    }
}
