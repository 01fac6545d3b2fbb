//! Text helpers shared by segmentation, retrieval, citation checks and evaluation: Unicode
//! normalisation with whitespace folding, Hangul detection, sentence boundaries for Korean and English, the
//! longest common run of characters between two strings, and Korean native numerals.
//!
//! Original corpus text is never rewritten; these functions produce comparison keys and spans.

use std::ops::Range;

use unicode_normalization::UnicodeNormalization;

/// The English month names, January first.
pub const MONTH_NAMES: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// Korean native numerals' units as they stand before a counter (`세 곳`, `두 권`, `석 달`), and
/// their values.
const NATIVE_UNITS: &[(&str, f64)] = &[
    ("한", 1.0),
    ("두", 2.0),
    ("세", 3.0),
    ("석", 3.0),
    ("네", 4.0),
    ("넉", 4.0),
    ("다섯", 5.0),
    ("여섯", 6.0),
    ("일곱", 7.0),
    ("여덟", 8.0),
    ("아홉", 9.0),
];

/// Korean native numerals' tens, and their values. `스무` stands alone (`스무 명`), `스물` before
/// a unit (`스물두 명`).
const NATIVE_TENS: &[(&str, f64)] = &[
    ("열", 10.0),
    ("스무", 20.0),
    ("스물", 20.0),
    ("서른", 30.0),
    ("마흔", 40.0),
    ("쉰", 50.0),
    ("예순", 60.0),
    ("일흔", 70.0),
    ("여든", 80.0),
    ("아흔", 90.0),
];

/// The value of `word` read as a Korean native numeral as it stands before a counter, 1 to 99:
/// a unit (`세`), a ten (`열`, `스무`), or a ten then a unit (`열세`, `스물두`, `서른한`).
/// `None` for any other word (`세계`, `열대`, `스물`).
pub fn native_numeral(word: &str) -> Option<f64> {
    let unit = |w: &str| NATIVE_UNITS.iter().find(|(u, _)| *u == w).map(|(_, v)| *v);
    if let Some(v) = unit(word) {
        return Some(v);
    }
    NATIVE_TENS.iter().find_map(|&(ten, tens)| {
        let rest = word.strip_prefix(ten)?;
        match rest {
            "" => (ten != "스물").then_some(tens),
            _ if ten == "스무" => None,
            _ => unit(rest).map(|u| tens + u),
        }
    })
}

/// True for a precomposed Hangul syllable (가..힣), the unit of Korean words in the corpus.
#[inline]
pub fn is_hangul_syllable(c: char) -> bool {
    ('\u{AC00}'..='\u{D7A3}').contains(&c)
}

/// True when the text contains a Hangul syllable (the analyzer's and the glossary's test).
pub fn has_hangul(text: &str) -> bool {
    text.chars().any(is_hangul_syllable)
}

/// True when the text contains Hangul (syllables or conjoining jamo): the answer is then written
/// in Korean.
pub fn is_korean(text: &str) -> bool {
    text.chars()
        .any(|c| is_hangul_syllable(c) || ('\u{1100}'..='\u{11ff}').contains(&c))
}

/// Collapses every run of whitespace to one space and trims both ends.
pub fn fold_whitespace(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for word in s.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

/// The comparison key used for quotes and evidence: Unicode NFC, then whitespace folded.
pub fn comparable(s: &str) -> String {
    fold_whitespace(&s.nfc().collect::<String>())
}

/// Closing marks that may follow a sentence-final punctuation mark and still belong to it.
fn is_closer(c: char) -> bool {
    matches!(
        c,
        '"' | '\'' | '”' | '’' | ')' | ']' | '」' | '』' | '》' | '〉' | '）'
    )
}

fn is_terminal(c: char) -> bool {
    matches!(c, '.' | '!' | '?' | '。' | '！' | '？' | '…')
}

/// Byte ranges of the sentences of `s`, trimmed of surrounding whitespace, in order.
///
/// A sentence ends after `.`, `!`, `?` (and their full-width forms or `…`), plus any closing
/// quotes or brackets, when whitespace or the end of the text follows. So `1.5` and `U.S.A` do not
/// end a sentence, while `했다.”` followed by a space does. Every non-whitespace character of `s`
/// lies in exactly one range.
pub fn sentence_spans(s: &str) -> Vec<Range<usize>> {
    let mut spans = Vec::new();
    let mut start = 0;
    let chars: Vec<(usize, char)> = s.char_indices().collect();
    let mut i = 0;
    while i < chars.len() {
        if is_terminal(chars[i].1) {
            let mut j = i + 1;
            while j < chars.len() && (is_terminal(chars[j].1) || is_closer(chars[j].1)) {
                j += 1;
            }
            if (j == chars.len() || chars[j].1.is_whitespace()) && !dotted_number(&chars, i, j) {
                let end = chars.get(j).map_or(s.len(), |c| c.0);
                push_trimmed(s, start..end, &mut spans);
                start = end;
            }
            i = j;
        } else {
            i += 1;
        }
    }
    push_trimmed(s, start..s.len(), &mut spans);
    spans
}

/// Whether the terminal at `i` (its closers end at `j`) is the dot after a number that the
/// next word continues with a number: a date written `2025. 10. 17.(금)`, an item's number
/// before a figure (`1. 2025년 1분기 보고`).
fn dotted_number(chars: &[(usize, char)], i: usize, j: usize) -> bool {
    chars[i].1 == '.'
        && j == i + 1
        && i > 0
        && chars[i - 1].1.is_ascii_digit()
        && chars[j..]
            .iter()
            .find(|c| !c.1.is_whitespace())
            .is_some_and(|c| c.1.is_ascii_digit())
}

fn push_trimmed(s: &str, range: Range<usize>, out: &mut Vec<Range<usize>>) {
    let piece = &s[range.clone()];
    let lead = piece.len() - piece.trim_start().len();
    let trail = piece.len() - piece.trim_end().len();
    if lead + trail < piece.len() {
        out.push(range.start + lead..range.end - trail);
    }
}

/// Length, in characters, of the longest run of characters that `a` and `b` share.
pub fn longest_common_run(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut prev = vec![0usize; b.len() + 1];
    let mut cur = vec![0usize; b.len() + 1];
    let mut best = 0;
    for &ca in &a {
        for (j, &cb) in b.iter().enumerate() {
            cur[j + 1] = if ca == cb { prev[j] + 1 } else { 0 };
            best = best.max(cur[j + 1]);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    best
}

/// Number of characters (not bytes) of `s`.
pub fn char_len(s: &str) -> usize {
    s.chars().count()
}

/// `text` without its parenthesised parts.
pub fn without_asides(text: &str) -> String {
    let mut depth = 0usize;
    let mut out = String::new();
    for c in text.chars() {
        match c {
            '(' | '（' => depth += 1,
            ')' | '）' => depth = depth.saturating_sub(1),
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sentences(s: &str) -> Vec<&str> {
        sentence_spans(s).into_iter().map(|r| &s[r]).collect()
    }

    #[test]
    fn folds_whitespace_and_normalises() {
        assert_eq!(fold_whitespace("  a \t b\n\nc "), "a b c");
        // Decomposed jamo (NFD) compare equal to the precomposed syllable.
        let nfd: String = "한국".nfd().collect();
        assert_eq!(comparable(&nfd), "한국");
    }

    #[test]
    fn splits_korean_and_english_sentences() {
        let s = "회동은 1시간 50분 가량 진행됐다. 그는 “왔다.” 라고 말했다! Really? Yes 1.5 times.";
        assert_eq!(
            sentences(s),
            vec![
                "회동은 1시간 50분 가량 진행됐다.",
                "그는 “왔다.”",
                "라고 말했다!",
                "Really?",
                "Yes 1.5 times."
            ]
        );
    }

    #[test]
    fn dates_written_with_dots_stay_in_their_sentence() {
        assert_eq!(
            sentences(
                "서류 접수: 2025. 10. 13.(월) ~ 10. 17.(금) 오후 6시까지. 면접은 따로 알린다."
            ),
            vec![
                "서류 접수: 2025. 10. 13.(월) ~ 10. 17.(금) 오후 6시까지.",
                "면접은 따로 알린다."
            ]
        );
        assert_eq!(
            sentences("시행일은 2025. 7. 1. 그 전에 발급된 정기권은 유효하다."),
            vec!["시행일은 2025. 7. 1.", "그 전에 발급된 정기권은 유효하다."]
        );
        // A sentence that ends on a counted figure still ends.
        assert_eq!(
            sentences("총 11명. 2명은 야간."),
            vec!["총 11명.", "2명은 야간."]
        );
    }

    #[test]
    fn text_without_terminal_is_one_sentence() {
        assert_eq!(sentences("  제목 줄  "), vec!["제목 줄"]);
        assert!(sentences("   ").is_empty());
    }

    #[test]
    fn common_run_counts_characters() {
        assert_eq!(longest_common_run("가나다라", "나다"), 2);
        assert_eq!(longest_common_run("abc", "xyz"), 0);
        assert_eq!(longest_common_run("", "a"), 0);
    }

    #[test]
    fn native_numerals_read_from_one_to_ninety_nine() {
        for (word, value) in [
            ("한", 1.0),
            ("세", 3.0),
            ("석", 3.0),
            ("열", 10.0),
            ("열세", 13.0),
            ("스무", 20.0),
            ("스물두", 22.0),
            ("서른한", 31.0),
            ("아흔아홉", 99.0),
        ] {
            assert_eq!(native_numeral(word), Some(value), "{word}");
        }
        for word in ["스물", "스무두", "세계", "열대", "열세척", "한국", "", "13"] {
            assert_eq!(native_numeral(word), None, "{word}");
        }
    }
}
