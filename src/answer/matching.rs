//! Whether an answer contains a reference answer, as a reader would judge it: Unicode NFC,
//! case and spacing aside; numbers compared by value (`5,000억 달러`, `5000억 달러` and
//! `$500 billion` are one amount; `10만 개` and `100,000`; `1446년` and `1446`); English number
//! words up to twelve read as digits when a reference is scored (`two` and `2`); hedges (`약`,
//! `최대`, `about`, `up to`, `less than`) and
//! parenthesised asides of the reference optional; a list reference (`A, B, C`) needs every
//! item. Each item's words must each appear in the answer (so Korean particles and word order do
//! not matter), and each of its quantities must have an equal one in the answer.

use unicode_normalization::UnicodeNormalization;

use super::quantity::{extract, small_number_word, Measure, Quantity};

/// Words a reference may use that an answer need not repeat.
const HEDGES: &[&str] = &[
    "약",
    "대략",
    "이상",
    "이하",
    "정도",
    "가량",
    "about",
    "around",
    "approximately",
    "roughly",
    "nearly",
    "over",
    "more",
    "less",
    "than",
    "under",
    "below",
    "up",
    "to",
    "미만",
    "최대",
    "최소",
    "some",
    "the",
    "a",
    "an",
    "및",
    "and",
    "or",
    "또는",
];

/// True when `answer` contains `reference` in the sense of the module doc.
pub fn answer_matches(answer: &str, reference: &str) -> bool {
    answer_matches_question(answer, reference, "")
}

/// [`answer_matches`] for an answer to `question`: a reference word the question already says
/// need not be repeated (`230억 달러, 1,720억 달러` answers "현금 보유액과 순자산은 얼마였나?"
/// whose reference is `현금 약 230억 달러, 순자산 약 1,720억 달러`); figures always must.
pub fn answer_matches_question(answer: &str, reference: &str, question: &str) -> bool {
    let asked = squeeze(question);
    let items = reference_items(reference);
    !items.is_empty()
        && items.iter().all(|item| {
            item_matches(answer, &item.text, &asked)
                || item
                    .alias
                    .as_deref()
                    .is_some_and(|a| item_matches(answer, a, &asked))
        })
}

/// One item of a reference answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReferenceItem {
    /// The item, parenthesised asides removed.
    pub text: String,
    /// Its other name: an aside written in another script (`엔비디아(NVIDIA)`).
    pub alias: Option<String>,
}

/// The items of a reference answer: split on list separators (`, ` but not `1,720`; `·`; `/`;
/// `;`), with parenthesised asides removed (kept as the item's alias when in another script).
pub fn reference_items(reference: &str) -> Vec<ReferenceItem> {
    split_items(reference)
        .into_iter()
        .map(|raw| {
            let (text, asides) = strip_asides(&raw);
            let head = script(&text);
            let alias = asides
                .into_iter()
                .filter(|a| {
                    // `(및 MGX)`, `(about 1/4)`: an addition or a hedge, not a name.
                    let first = a.split_whitespace().next().unwrap_or("").to_lowercase();
                    !HEDGES.contains(&first.as_str())
                })
                .find(|a| script(a).is_some_and(|s| Some(s) != head));
            ReferenceItem {
                text: text.trim().to_string(),
                alias,
            }
        })
        .filter(|i| !i.text.is_empty())
        .collect()
}

/// Whether `text`'s letters are mostly Hangul (`Some(true)`), mostly other letters
/// (`Some(false)`), or it has none.
fn script(text: &str) -> Option<bool> {
    let hangul = text
        .chars()
        .filter(|&c| crate::text::is_hangul_syllable(c))
        .count();
    let other = text
        .chars()
        .filter(|c| c.is_alphabetic() && !crate::text::is_hangul_syllable(*c))
        .count();
    match (hangul, other) {
        (0, 0) => None,
        (h, o) => Some(h >= o),
    }
}

/// `text` without its parenthesised parts, and those parts (trimmed, not empty).
fn strip_asides(text: &str) -> (String, Vec<String>) {
    let mut plain = String::new();
    let mut asides = Vec::new();
    let mut cur = String::new();
    let mut depth = 0usize;
    for c in text.chars() {
        match c {
            '(' | '（' => depth += 1,
            ')' | '）' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    let a = std::mem::take(&mut cur).trim().to_string();
                    if !a.is_empty() {
                        asides.push(a);
                    }
                }
            }
            _ if depth == 0 => plain.push(c),
            _ => cur.push(c),
        }
    }
    (plain, asides)
}

/// A reference split on list separators outside parentheses.
fn split_items(reference: &str) -> Vec<String> {
    let text: String = reference.nfc().collect();
    let mut items = Vec::new();
    let mut cur = String::new();
    let chars: Vec<char> = text.chars().collect();
    let mut depth = 0usize;
    for (i, &c) in chars.iter().enumerate() {
        match c {
            '(' | '（' => depth += 1,
            ')' | '）' => depth = depth.saturating_sub(1),
            _ => {}
        }
        let next_digit = chars.get(i + 1).is_some_and(|d| d.is_ascii_digit());
        let prev_digit = i > 0 && chars[i - 1].is_ascii_digit();
        let sep = depth == 0
            && (matches!(c, '·' | ';' | '、' | '/') || (c == ',' && !(prev_digit && next_digit)));
        if sep {
            items.push(std::mem::take(&mut cur));
        } else {
            cur.push(c);
        }
    }
    items.push(cur);
    items
}

/// Lower-cased NFC text without whitespace, for substring tests.
fn squeeze(s: &str) -> String {
    s.nfc()
        .flat_map(char::to_lowercase)
        .filter(|c| !c.is_whitespace())
        .collect()
}

/// How well `text` (a sentence of the corpus) supports `answer`: `None` when a quantity of the
/// answer has no equal in `text`; else the share of the answer's words (outside its
/// quantities, hedges aside) that appear in `text`, or 1 when it has no such words.
pub fn support(text: &str, answer: &str) -> Option<f32> {
    let (quantities, words) = parts(answer);
    found(text, &quantities, &words)
}

/// `None` when a quantity has no equal in `text`; else the share of `words` found in it (1
/// when there are none).
fn found(text: &str, quantities: &[Quantity], words: &[String]) -> Option<f32> {
    let have = extract(&text.nfc().collect::<String>());
    if !quantities.iter().all(|q| {
        have.iter()
            .any(|h| h.same_value(q) == Some(true) || same_count(q, h) || q.year_of(h))
    }) {
        return None;
    }
    if words.is_empty() {
        return Some(1.0);
    }
    let hay = squeeze(text);
    let n = words.iter().filter(|w| hay.contains(w.as_str())).count();
    Some(n as f32 / words.len() as f32)
}

/// Whether `answer` is a bare count (`13`, `10만 개`) of the same value as the text's count of
/// anything (`13명`): a bare number claims no unit. A count of people must meet one.
pub(crate) fn same_count(answer: &Quantity, text: &Quantity) -> bool {
    answer.measure == Measure::Count
        && answer.unit.is_empty()
        && Quantity {
            unit: text.unit,
            ..answer.clone()
        }
        .same_value(text)
            == Some(true)
}

/// The quantities of `text` and its other words (squeezed, hedges and quote marks aside).
fn parts(text: &str) -> (Vec<Quantity>, Vec<String>) {
    let nfc: String = text.nfc().collect();
    let quantities = extract(&nfc);
    let mut rest = String::new();
    let mut at = 0;
    for q in &quantities {
        if q.span.start >= at {
            rest.push_str(&nfc[at..q.span.start]);
            rest.push(' ');
            at = q.span.end;
        }
    }
    rest.push_str(&nfc[at..]);
    let words = rest
        .split(|c: char| c.is_whitespace() || is_mark(c))
        .map(squeeze)
        .filter(|w| !w.is_empty() && !HEDGES.contains(&w.as_str()))
        .collect();
    (quantities, words)
}

/// `text` with each English number word up to twelve written in digits (`two` → `2`, `one
/// year and six months` → `1 year and 6 months`), so a reference and an answer that spell a
/// small number differently compare by value. Whole words only (`someone`, `often` stay).
fn number_words(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String| {
        match small_number_word(word) {
            Some(n) => out.push_str(&n.to_string()),
            None => out.push_str(word),
        }
        word.clear();
    };
    for c in text.chars() {
        if c.is_alphanumeric() {
            word.push(c);
        } else {
            flush(&mut word, &mut out);
            out.push(c);
        }
    }
    flush(&mut word, &mut out);
    out
}

/// Punctuation that never decides whether words match.
fn is_mark(c: char) -> bool {
    matches!(
        c,
        ',' | '.'
            | '"'
            | '\''
            | '“'
            | '”'
            | '‘'
            | '’'
            | '「'
            | '」'
            | '『'
            | '』'
            | '!'
            | '?'
            | ':'
            | '·'
            | '~'
            | '～'
            | '–'
    )
}

/// Whether `answer` holds `item`; `asked` (squeezed question text) excuses words it contains,
/// unless that would leave the item with nothing to hold.
fn item_matches(answer: &str, item: &str, asked: &str) -> bool {
    let (answer, item) = (&number_words(answer), &number_words(item));
    let (quantities, words) = parts(item);
    if quantities.is_empty() && words.is_empty() {
        // Only hedges: fall back to the whole item.
        return squeeze(answer).contains(&squeeze(item));
    }
    let needed: Vec<String> = words
        .iter()
        .filter(|w| !asked.contains(w.as_str()))
        .cloned()
        .collect();
    let words = if quantities.is_empty() && needed.is_empty() {
        words
    } else {
        needed
    };
    found(answer, &quantities, &words) == Some(1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bare_year_is_held_by_a_date_in_it_but_does_not_answer_for_it() {
        assert!(support("It froze over most recently in February 2012.", "2012").is_some());
        assert!(support("It froze over most recently in February 2012.", "2013").is_none());
        assert!(!answer_matches("2012", "February 2012"));
        assert!(answer_matches("in February 2012", "February 2012"));
    }

    #[test]
    fn a_count_of_people_needs_people() {
        let text = "인조는 남한산성으로 피신해 45일 동안 버티다가 항복하였다.";
        assert_eq!(support(text, "45 people"), None);
        assert_eq!(support("직원이 13명이지만", "13 people"), Some(1.0));
        assert_eq!(
            support("직원이 13명이지만", "13"),
            Some(1.0),
            "a bare number claims no unit"
        );
        assert_eq!(support("일자리 10만 개", "10만 개"), Some(1.0));
    }

    #[test]
    fn items_split_on_list_separators_not_on_thousands() {
        let texts =
            |r: &str| -> Vec<String> { reference_items(r).into_iter().map(|i| i.text).collect() };
        assert_eq!(
            texts("현금 약 230억 달러, 순자산 약 1,720억 달러"),
            vec!["현금 약 230억 달러", "순자산 약 1,720억 달러"]
        );
        assert_eq!(
            texts("OpenAI, 오라클, 소프트뱅크 (및 MGX)"),
            vec!["OpenAI", "오라클", "소프트뱅크"]
        );
        assert_eq!(texts("1조 달러(이상)"), vec!["1조 달러"]);
        // Separators inside an aside do not split the item.
        assert_eq!(texts("28자(자음 17자, 모음 11자)"), vec!["28자"]);
    }

    #[test]
    fn units_ranges_and_odd_counts_are_read_as_a_reader_would() {
        assert!(answer_matches("4.5 리터", "4.5L"));
        assert!(answer_matches("6,000Pa", "up to 6,000 Pa"));
        assert!(answer_matches("150분", "최대 150분"));
        assert!(answer_matches(
            "2 days a week",
            "two (three for pregnant employees)"
        ));
        assert!(answer_matches(
            "1 year 6 months",
            "up to one year and six months"
        ));
        assert!(answer_matches("one year and six months", "1년 6개월"));
        assert!(!answer_matches("3 days a week", "two"));
        assert_eq!(number_words("Someone often won two"), "Someone often won 2");
        assert!(answer_matches("under $10 billion", "less than $10 billion"));
        assert!(answer_matches("100억 달러 미만", "less than $10 billion"));
        assert!(!answer_matches("$20 billion", "less than $10 billion"));
        assert!(!answer_matches("4 리터", "4.5L"));
        assert!(answer_matches("1982년부터 1986년까지", "1982년~1986년"));
        assert!(answer_matches("14,000 people", "1만 4천여 명"));
        assert!(!answer_matches("10,000", "1만 4천여 명"));
        assert!(answer_matches("2.5 centimeters", "2.5cm"));
    }

    #[test]
    fn an_aside_in_another_script_is_another_name() {
        assert!(answer_matches("NVIDIA입니다", "엔비디아(NVIDIA)"));
        assert!(answer_matches("엔비디아", "엔비디아(NVIDIA)"));
        assert!(answer_matches("콴다", "Qanda (콴다)"));
        // Same script: an aside, not a name.
        assert!(!answer_matches("1894년", "갑오개혁(1894년)"));
        assert!(!answer_matches("폭스콘", "훙하이 정밀공업(폭스콘)"));
        assert_eq!(reference_items("개경(지금의 개성)")[0].alias, None);
        assert_eq!(reference_items("소프트뱅크 (및 MGX)")[0].alias, None);
    }

    #[test]
    fn numbers_compare_by_value() {
        assert!(answer_matches("약 5000억 달러입니다", "5,000억 달러"));
        assert!(answer_matches("It is $500 billion.", "5,000억 달러"));
        assert!(answer_matches("100,000 jobs", "10만 개"));
        assert!(answer_matches("10만 개의 일자리", "100,000"));
        assert!(answer_matches("7만2000㎡ 규모", "72,000㎡"));
        assert!(!answer_matches("100억 달러", "65억 달러"));
        assert!(!answer_matches("100 days", "10 days"));
    }

    #[test]
    fn words_in_any_order_with_particles() {
        assert!(answer_matches(
            "샤프의 사카이 공장을 인수했다",
            "샤프 사카이 공장"
        ));
        assert!(answer_matches(
            "현금은 약 230억 달러, 순자산은 1,720억 달러",
            "현금 약 230억 달러, 순자산 약 1,720억 달러"
        ));
        assert!(!answer_matches(
            "230억 달러, 1,720억 달러",
            "현금 약 230억 달러, 순자산 약 1,720억 달러"
        ));
        assert!(answer_matches("Agile Robots SE입니다", "Agile Robots SE"));
        assert!(!answer_matches(
            "the tariffs of Trump",
            "트럼프의 관세 영향"
        ));
        assert!(answer_matches(
            "OpenAI, Oracle과 오라클, 소프트뱅크",
            "OpenAI, 오라클, 소프트뱅크 (및 MGX)"
        ));
        assert!(!answer_matches(
            "OpenAI와 소프트뱅크",
            "OpenAI, 오라클, 소프트뱅크"
        ));
    }

    #[test]
    fn words_the_question_says_need_not_be_repeated() {
        let q = "3월 말 기준 소프트뱅크의 현금 보유액과 순자산은 얼마였나?";
        let r = "현금 약 230억 달러, 순자산 약 1,720억 달러";
        assert!(answer_matches_question("230억 달러, 1,720억 달러", r, q));
        assert!(!answer_matches("230억 달러, 1,720억 달러", r));
        // Figures still must be there.
        assert!(!answer_matches_question("현금, 순자산", r, q));
        // An item made only of question words still needs them.
        assert!(!answer_matches_question("모른다", "소프트뱅크", q));
        assert!(answer_matches_question("소프트뱅크입니다", "소프트뱅크", q));
    }

    #[test]
    fn support_needs_every_quantity_and_counts_words() {
        let s = "소프트뱅크는 샤프 ‘사카이 공장’을 인수해 AI 데이터 센터 거점으로 삼았다.";
        assert_eq!(support(s, "샤프 ‘사카이 공장’"), Some(1.0));
        assert_eq!(support(s, "샤프 공장 100곳"), None);
        assert_eq!(support("인구는 1,000만 명이다", "10,000,000"), Some(1.0));
        assert!(support(s, "도요타 공장").is_some_and(|v| v < 0.6));
    }

    #[test]
    fn empty_reference_never_matches() {
        assert!(!answer_matches("anything", ""));
    }
}
